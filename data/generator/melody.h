/* Random melodies and rhythms in an instrument's range: a key and scale, a
 * tempo, note lengths drawn from the instrument's rhythm character, a pitch
 * walk with steps and leaps, rests and phrase breaks. */
#ifndef AVS_DATA_MELODY_H
#define AVS_DATA_MELODY_H

#include <stdint.h>

#include "av/rng.h"
#include "data/generator/instruments.h"

#define AVS_MELODY_MAX_NOTES 256

typedef struct {
  float t_on, t_off; /* seconds */
  uint8_t pitch, velocity;
} avs_note;

/* Shared by the players of an ensemble (same tempo and key) or drawn per player. */
typedef struct {
  float bpm;
  int root;  /* pitch class 0..11 */
  int scale; /* index into the scale table */
} avs_melody_style;

typedef struct {
  int n;
  avs_note note[AVS_MELODY_MAX_NOTES];
  avs_melody_style style;
  uint64_t fingerprint; /* hash of the pitch/length sequence and tempo */
} avs_melody;

void avs_melody_style_random(avs_melody_style *s, avs_rng *rng);
/* Fills m with notes in [start, seconds). */
void avs_melody_random(avs_melody *m, const avs_instrument *ins, const avs_melody_style *style, float start,
                       float seconds, avs_rng *rng);
/* Note-name summary such as "C4 E4 G4 ..." (first notes only), for manifests. */
void avs_melody_describe(const avs_melody *m, char *buf, int size);

#endif
