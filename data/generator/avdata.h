/* The synthetic audio-visual benchmark generator (library avs_data).
 *
 * Three kinds of clips, each fully determined by a 64-bit clip seed:
 *   music    instruments rendered with FluidSynth; each has a fixed look and
 *            moves with its own notes (bounce/pulse/stretch/sway at onsets,
 *            brightness with loudness); solos, duets, trios side by side,
 *            sometimes a silent instrument in view as a distractor.
 *   speech   espeak-ng voices; a cartoon face per speaker whose mouth opens
 *            with the speaker's own speech; solo and two-speaker scenes.
 *   actions  a textured object on clutter moving in one of 12 ways; no audio.
 *
 * Planning is separate from rendering: avs_data_plan() draws a clip's content
 * (cheap, no audio or pixels) so a caller can keep melodies and sentences
 * disjoint across splits before paying for avs_data_render() (splits.h does
 * that for a whole data set).
 *
 *   avs_data_config cfg;
 *   avs_data_config_default(&cfg, AVS_DATA_MUSIC);
 *   avs_data_gen *g;  avs_data_gen_new(&cfg, &g);
 *   avs_data_plan_t plan;  avs_data_plan(g, seed, &plan);
 *   avs_data_clip clip;  avs_data_render(g, &plan, &clip);   // frames, stems, boxes
 *   ...  avs_data_clip_free(&clip);  avs_data_gen_free(&g);
 *
 * One avs_data_gen may render from several threads at once. */
#ifndef AVS_DATA_AVDATA_H
#define AVS_DATA_AVDATA_H

#include <stdbool.h>
#include <stdint.h>

#include "data/generator/draw.h"
#include "data/generator/melody.h"

#define AVS_DATA_VERSION 1
#define AVS_DATA_MAX_OBJECTS 4

typedef enum { AVS_DATA_MUSIC = 0, AVS_DATA_SPEECH = 1, AVS_DATA_ACTIONS = 2 } avs_data_kind;

const char *avs_data_kind_name(avs_data_kind k);
/* 0 and *k set, or AVS_EINVAL naming the known kinds. */
int avs_data_kind_parse(const char *name, avs_data_kind *k);

typedef struct {
  avs_data_kind kind;
  int width, height;    /* pixels */
  int fps;              /* frames per second */
  float seconds;        /* clip length */
  int sample_rate;      /* Hz (music: FluidSynth renders at this rate; speech: resampled) */
  int min_sources, max_sources; /* sounding objects per clip (music 1..3, speech 1..2) */
  float distractor_prob; /* music: chance of one silent instrument in view */
  int clutter;          /* background clutter shapes (mean) */
  const char *soundfont; /* music: a soundfont, or several separated by commas (each sounding object's stem
                          * from one drawn per object); NULL: Debian's FluidR3_GM */
  const char *voices;   /* speech: comma-separated espeak-ng voices; NULL: built-in list */
  int speakers;         /* speech: size of the fixed speaker pool */
  int timbres;          /* speech without voices: how many of the built-in espeak-ng variants the pool
                         * cycles through (AVS_DATA_TIMBRES_DEFAULT; at most AVS_DATA_TIMBRES_MAX) */
} avs_data_config;

#define AVS_DATA_TIMBRES_DEFAULT 24
#define AVS_DATA_TIMBRES_MAX 66

/* Defaults for a kind: music 6 s 8 fps 128x128 11025 Hz 1-3 players;
 * speech 4 s 16 fps 128x128 16000 Hz 1-2 speakers; actions 2 s 8 fps 112x112. */
void avs_data_config_default(avs_data_config *c, avs_data_kind kind);
/* AVS_EINVAL with a message naming the first bad field. */
int avs_data_config_check(const avs_data_config *c);

/* Classes: instruments (music), speaker ids (speech: "spk07"), motions (actions). */
int avs_data_class_count(avs_data_kind k);
const char *avs_data_class_name(avs_data_kind k, int i);

/* ---- plans ---- */

#define AVS_DATA_TEXT 160

typedef struct {
  int class_id;         /* instrument / motion class; speech: speaker id */
  bool sounding;        /* false: a silent distractor in view */
  float gain_db;        /* level of this source in the mixture */
  float start;          /* seconds: first note / start of speech */
  avs_melody melody;    /* music */
  int soundfont;        /* music: which of the config's soundfonts renders it */
  char text[AVS_DATA_TEXT]; /* speech: the sentence */
  uint64_t content;     /* melody or sentence fingerprint (0 for silent objects) */
} avs_data_source_plan;

typedef struct avs_data_plan_t {
  avs_data_kind kind;
  uint64_t seed;
  int n;                /* objects in view, sounding first */
  int n_sounding;
  avs_data_source_plan src[AVS_DATA_MAX_OBJECTS];
} avs_data_plan_t;

typedef struct avs_data_gen avs_data_gen;

/* Loads the soundfont (music, ~2 s) or initializes espeak-ng (speech).
 * Errors: a missing or unreadable soundfont, an unknown voice, a bad config. */
int avs_data_gen_new(const avs_data_config *cfg, avs_data_gen **out);
void avs_data_gen_free(avs_data_gen **g);
const avs_data_config *avs_data_gen_config(const avs_data_gen *g);
/* Speech: the espeak-ng voice of a speaker, e.g. "en-us+f3 pitch 62 range 40 rate 171". */
const char *avs_data_speaker_desc(const avs_data_gen *g, int speaker);

int avs_data_plan(avs_data_gen *g, uint64_t seed, avs_data_plan_t *plan);

/* ---- rendered clips ---- */

typedef struct {
  int class_id;
  bool sounding;
  float gain_db;
  int16_t *stem;        /* n_samples; NULL for silent objects */
  avs_rect *box;        /* n_frames: pixels covered at least half, [x0,x1) x [y0,y1) */
  avs_rect *mouth;      /* speech: the mouth's box per frame; else NULL */
} avs_data_object;

typedef struct {
  avs_data_kind kind;
  uint64_t seed;
  int width, height, fps, n_frames;
  float *frames;        /* n_frames * height * width * 3, RGB in [0, 1] */
  uint8_t *rgb;         /* the same quantized to bytes (what the video holds) */
  int sample_rate;      /* 0 for actions */
  int64_t n_samples;
  int16_t *mix;         /* the mixture: exactly the sum of the stems */
  int n;
  avs_data_object obj[AVS_DATA_MAX_OBJECTS];
} avs_data_clip;

int avs_data_render(avs_data_gen *g, const avs_data_plan_t *plan, avs_data_clip *clip);
void avs_data_clip_free(avs_data_clip *clip);

/* Seed of clip `index` of split `split` (0 train, 1 val, 2 test) for a run
 * seed; `attempt` > 0 re-draws a clip whose content collided. */
uint64_t avs_data_clip_seed(uint64_t run_seed, avs_data_kind kind, int split, int64_t index, int attempt);

/* ---- files ---- */

/* Writes the clip's files under root/clips/<id>/ (created): video.mp4 (H.264
 * and AAC of the mixture; video only for actions), mix.wav and s<k>.wav per
 * sounding object (16-bit PCM, exactly as in the clip; .flac when flac), each
 * under a temporary name then renamed. *json receives the clip's manifest line
 * (malloc'ed, no newline) with paths relative to root, labels and per-frame
 * boxes. */
int avs_data_clip_write(const avs_data_gen *g, const avs_data_plan_t *plan, const avs_data_clip *clip,
                        const char *root, const char *id, const char *split, bool flac, char **json);

/* What the generator owns in a set folder root: meta.json, train/val/test.jsonl,
 * the clip folders clips/<kind>_<split>_<number>/ and in them video.mp4,
 * mix.wav/.flac and s<k>.wav/.flac, and the hidden temporaries of all these
 * (.<name>.tmp<pid>.<ext>). avs_data_set_clear removes those files (meta.json
 * first) and the folders left empty; anything else is kept. */
bool avs_data_owned_clip_dir(const char *name);
bool avs_data_owned_clip_file(const char *name);
int avs_data_set_clear(const char *root);

#endif
