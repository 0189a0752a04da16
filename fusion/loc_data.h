/* Training data for localization models, from any avdata manifest with
 * video and audio: no boxes needed (the objectives are self-supervised).
 * Each clip keeps its mixture at the model's rate and `frames` frames spread
 * evenly over it, resized to the model's input (squashed, as EZ-VSL's test
 * transform); a training pair is one of those frames, flipped left-right at
 * random, with the audio window centred on its time. */
#ifndef AVS_FUSION_LOC_DATA_H
#define AVS_FUSION_LOC_DATA_H

#include <stdint.h>

#include "av/ctx.h"
#include "av/rng.h"
#include "data/manifest.h"
#include "fusion/localization.h"

typedef struct {
  float *wave;       /* the mixture at g.rate */
  int64_t n;         /* its samples */
  uint8_t *images;   /* frames x height x width x 3 */
  double *times;     /* seconds, per frame */
} avs_loc_clip;

typedef struct {
  avs_loc_geometry g;
  int frames;        /* per clip */
  avs_loc_clip *clips;
  int n_clips;
} avs_loc_set;

typedef void (*avs_loc_progress_fn)(void *user, int done, int total);

/* Reads every clip of mf (which needs audio) keeping `frames` frames of each. */
int avs_loc_set_load(const avs_manifest *mf, const avs_loc_geometry *g, int frames, avs_loc_progress_fn progress,
                     void *user, avs_loc_set **out);
void avs_loc_set_free(avs_loc_set **s);

/* Pairs for the clips idx[0..n): images (n, H, W, 3) normalised and spectrograms (n, bins, time, 1), on ctx. */
int avs_loc_batch_make(avs_ctx *ctx, const avs_loc_set *s, const int *idx, int n, avs_rng *rng, avs_tensor **images,
                       avs_tensor **spec);

#endif
