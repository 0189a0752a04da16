/* The instrument categories of the "music" kind: General MIDI program, a
 * comfortable pitch range, a rhythm character, how the player moves with its
 * sound, and its fixed visual appearance (a glyph). */
#ifndef AVS_DATA_INSTRUMENTS_H
#define AVS_DATA_INSTRUMENTS_H

#include "data/generator/draw.h"

typedef enum {
  AVS_MOTION_BOUNCE,  /* hops up at each onset */
  AVS_MOTION_PULSE,   /* grows at each onset */
  AVS_MOTION_STRETCH, /* widens at each onset (bellows) */
  AVS_MOTION_SWAY,    /* tilts at each onset, alternating sides */
} avs_motion;

#define AVS_N_BEATS 6 /* note lengths in beats: 0.25 0.5 1 1.5 2 3 */

typedef struct {
  const char *name;
  int program;        /* General MIDI program, 0-based, bank 0 */
  int lo, hi;         /* MIDI pitch range used for melodies */
  avs_motion motion;
  float beat_weight[AVS_N_BEATS]; /* how often each note length is picked */
  float legato;       /* sounding fraction of each note's length */
} avs_instrument;

int avs_instrument_count(void);
const avs_instrument *avs_instrument_get(int i);
/* Index by name, or -1. */
int avs_instrument_find(const char *name);
/* The instrument's glyph in glyph units (about 2 units tall or wide), bounds set. */
void avs_instrument_glyph(int i, avs_glyph *g);

extern const float avs_beat_len[AVS_N_BEATS];

#endif
