/* Training and evaluation data for separation models, from avdata manifests:
 * every object of every clip with its stem's window (the clip's centre
 * `samples` samples, resampled to the model's rate) and its crops (the
 * object's box on `frames` frames spread over the window, squared with a 10%
 * margin, resized and normalised as the model wants). Silent objects in view
 * keep their crops and no wave: their target is silence.
 *
 * Mix-and-separate (Sound of Pixels): a training item is the sum of the
 * windows of `mix` clips of the set; every object of those clips is a source
 * to separate, each with its own crops; the targets are its mask on the
 * warped rows (binary: louder than half the mixture, as SoP; or the ratio,
 * clamped to [0, 5]) and the weight log1p(mixture) clamped to [1e-3, 10].
 * Optionally a mixture also separates a background region of one of its clips
 * (a square overlapping no object) towards silence, so that a model learns
 * that a region without an instrument is silent: what discovery (avsep
 * separate without boxes, fusion/discover.h) scores candidate regions by. */
#ifndef AVS_FUSION_SEP_DATA_H
#define AVS_FUSION_SEP_DATA_H

#include <stdbool.h>

#include "av/ctx.h"
#include "av/rng.h"
#include "data/manifest.h"
#include "fusion/sep_audio.h"
#include "video/image.h"

typedef struct {
  float *wave;   /* samples of its stem in the window; NULL when silent */
  float *crops;  /* frames x height x width x 3 */
  int clip, cls;
} avs_sep_object;

typedef struct {
  avs_sep_geometry g;
  const avs_manifest *mf;
  avs_sep_object *obj;
  int n_obj;
  int n_clips;
  int *first, *count; /* objects of clip c: obj[first[c] .. first[c] + count[c]) */
  float **background; /* per clip: crops of a region without objects, or NULL (avs_sep_load_opts) */
} avs_sep_set;

typedef void (*avs_sep_progress_fn)(void *user, int done, int total);

typedef struct {
  /* Also crop, for every clip, one square region of its window's frames (side
   * 0.2-0.6 of the frame's shorter side, placed at random from seed) that no
   * object's box covers more than 10 % of; clips where 50 draws find none
   * keep NULL in .background. */
  bool backgrounds;
  uint64_t seed;
} avs_sep_load_opts;

/* Reads every clip of mf (which must outlive the set); o NULL: no backgrounds. */
int avs_sep_set_load(const avs_manifest *mf, const avs_sep_geometry *g, const avs_sep_load_opts *o,
                     avs_sep_progress_fn progress, void *user, avs_sep_set **out);
void avs_sep_set_free(avs_sep_set **s);
/* The first sample (at the model's rate) of clip c's window: its centre. */
int64_t avs_sep_set_window_start(const avs_sep_set *s, int c);

/* The draw behind avs_sep_load_opts.backgrounds: a square in a w x h frame, side 0.2-0.6 of the shorter
 * side, that none of the n boxes covers more than 10 % of; false after 50 draws. */
bool avs_sep_background_square(const float (*boxes)[4], int n, int w, int h, avs_rng *rng, float sq[4]);

/* Whether clips a and b of the set show an instrument of the same category
 * (sounding or not): such clips are not mixed, in training or in scoring. */
bool avs_sep_set_shares_category(const avs_sep_set *s, int a, int b);

/* The crops (frames x height x width x 3) of one source: boxes[i] on frames[i]
 * (g->frames of each), squared around their centres with a 10% margin. */
int avs_sep_crop_boxes(const avs_sep_geometry *g, const avs_image *frames, const float (*boxes)[4], float *crops);
/* The times (seconds) of the g->frames frames a window starting at sample s0 uses. */
void avs_sep_frame_times(const avs_sep_geometry *g, int64_t s0, double *times);

typedef struct {
  avs_tensor *input;   /* (N, freq, time, channels): the mixtures as the net sees them (sep_audio.h) */
  avs_tensor *crops;   /* (M, frames, height, width, 3) */
  avs_tensor *target;  /* (M, freq, time); NULL with .videos */
  avs_tensor *weight;  /* (M, freq, time); NULL with .videos */
  int *mix_of;         /* M entries (ctx-owned) */
  int n_mix, n_src;
  /* With .videos (co-separation), each clip of a mixture is a video v =
   * mixture x mix + its place: */
  int n_videos;              /* n_mix x mix */
  avs_tensor *video_target;  /* (V, freq, time): the ratio of the clip's own sound (its stems' sum) to the mixture */
  avs_tensor *video_weight;  /* (V, freq, time): its mixture's clamp(log1p(mix), 1e-3, 10) */
  avs_tensor *mixmag;        /* (N, freq, time): each mixture's warped magnitude + 1e-10 (the classifier's input) */
  int *video_of, *labels;    /* M entries: each object's video and category (ctx-owned) */
  int *clip_of_video;        /* V entries: the set's clip behind each video */
} avs_sep_batch;

typedef struct {
  int mix;             /* clips per mixture (2: SoP's N = 2) */
  bool ratio;          /* ratio masks instead of binary */
  bool videos;         /* co-separation's per-video targets instead of per-object ones */
  float backgrounds;   /* chance that a mixture also separates a background region (target: silence) */
} avs_sep_batch_opts;

/* warp(lin) of one (bins, time) plane into the (freq, time) rows. */
int avs_sep_warp(const avs_sep_geometry *g, const float *lin, float *out);

/* The ideal mask of a source on the warped rows, from its warped magnitude and
 * the mixture's (n values): binary, 1 where the source holds more than half the
 * mixture (Sound of Pixels' target), or the ratio clamped to [0, max_ratio].
 * Training targets (max_ratio 5: the mixture's phase can cancel) and the
 * oracle of aveval sep --oracle (max_ratio 1) are the same rule. */
void avs_sep_ideal_mask(const float *src, const float *mix, size_t n, bool ratio, float max_ratio, float *mask);

/* A batch of `n` mixtures drawn with rng from the set (clips of a mixture
 * share no category), built on ctx: per-object targets, or with o->videos
 * per-video ones (objects are then supervised only through their video's sum).
 * With o->backgrounds, a mixture's background source follows its objects. */
int avs_sep_batch_make(avs_ctx *ctx, avs_sep_audio *fe, const avs_sep_set *s, const avs_sep_batch_opts *o, int n,
                       avs_rng *rng, avs_sep_batch *b);

#endif
