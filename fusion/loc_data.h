/* Training data for localization models, from any avdata manifest with
 * video and audio: no boxes needed (the objectives are self-supervised).
 * Each clip keeps its mixture at the model's rate and `frames` frames spread
 * evenly over it, resized to the model's input (squashed, as EZ-VSL's test
 * transform); a training pair is one of those frames, flipped left-right at
 * random, with the audio window centred on its time, and, where the set has
 * boxes, the unions of the sounding and of the silent objects' boxes on that
 * frame (for the objectives that use them, Senocak et al.'s supervised
 * attention). */
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
  float (*boxes)[4]; /* frames x AVS_LOC_MAX_BOXES sounding boxes in the model's image pixels */
  int *n_boxes;      /* per frame */
  float (*silent)[4];/* the same for the silent objects' boxes */
  int *n_silent;
} avs_loc_clip;

#define AVS_LOC_MAX_BOXES 8

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

typedef struct {
  avs_tensor *images; /* (n, H, W, 3) normalised */
  avs_tensor *spec;   /* (n, bins, time, 1) */
  float *gt;          /* (n, h, w): the share of each grid cell the sounding boxes cover; NULL unless asked */
  float *gt_silent;   /* (n, h, w): the same for the silent objects' boxes */
} avs_loc_batch;

/* Pairs for the clips idx[0..n), on ctx; gt and gt_silent on a grid_h x grid_w grid when grid_h > 0. */
int avs_loc_batch_make(avs_ctx *ctx, const avs_loc_set *s, const int *idx, int n, avs_rng *rng, int grid_h,
                       int grid_w, avs_loc_batch *b);
/* The share of each cell of an h x w grid over a size_w x size_h image that
 * the union of boxes[0..n) covers (boxes in pixels, half-open). */
void avs_loc_box_grid(const float (*boxes)[4], int n, int size_w, int size_h, int h, int w, float *grid);

#endif
