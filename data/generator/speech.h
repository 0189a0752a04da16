/* The "speech" kind's parts: a fixed pool of speakers (an espeak-ng voice with
 * its pitch, range and rate, and the look of a face), sentences from a small
 * grammar over a word list, espeak-ng synthesis, and the face glyph. */
#ifndef AVS_DATA_SPEECH_H
#define AVS_DATA_SPEECH_H

#include <stdint.h>

#include "av/rng.h"
#include "data/generator/draw.h"

typedef struct {
  char voice[64];       /* espeak-ng voice name, e.g. "en-us+f3" */
  int pitch, range, rate; /* espeak-ng parameters: 0..100, 0..100, words per minute */
  /* face */
  float skin[3], hair[3], eye[3], lip[3], shirt[3];
  int hair_style, glasses, beard, ears;
  float head_w, head_h, eye_size, eye_gap, brow, nose;
} avs_speaker;

/* The speaker pool: n speakers drawn from a fixed seed (the same pool in every
 * run), voices cycling through `voices` (comma-separated espeak-ng names;
 * NULL: English voices with the first `timbres` of a built-in list of variants). */
int avs_speakers_make(const char *voices, int n, int timbres, avs_speaker **out);
void avs_speaker_describe(const avs_speaker *s, char *buf, int size);

/* A random sentence of at most max_words words; returns the word count. */
int avs_sentence_random(avs_rng *rng, int max_words, char *buf, int size);

/* espeak-ng is one global engine: these calls serialize on a lock. */
int avs_tts_init(void);
/* Checks that espeak-ng knows the voice (AVS_ENOTFOUND otherwise). */
int avs_tts_check_voice(const char *voice);
/* Speaks text with the speaker's voice; *audio (malloc'ed) gets *n samples at
 * out_rate. */
int avs_tts_say(const avs_speaker *s, const char *text, int out_rate, float **audio, int64_t *n);

/* Windowed-sinc resampling of x (n samples at rate_in) to rate_out; *out malloc'ed. */
int avs_resample(const float *x, int64_t n, int rate_in, int rate_out, float **out, int64_t *n_out);

/* The speaker's face in glyph units (head about 2 units tall), mouth opening
 * 0..1, eyes closed when blink. Returns the index of the mouth part. */
int avs_face_glyph(const avs_speaker *s, float mouth_open, float mouth_round, int blink, avs_glyph *g);

#endif
