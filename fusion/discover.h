/* Finding the sounding things in a picture without being told where they
 * are, with a separation model: square candidate regions on a grid over the
 * frame (three sizes), each region's crops give a mask for one window of the
 * mixture, and the share of the mixture's energy that mask keeps is the
 * region's score. The heatmap is the best score at each grid cell; sources
 * are picked greedily by score, skipping regions that overlap a picked one or
 * whose mask repeats a picked one's (the same source seen at another size).
 * How many: as asked; else, for a model with the NMF prior, as many as the
 * instrument classes the prior hears in the window (avs_sep_nmf_count: those
 * holding 15 % of its energy or more); else as many regions as keep 10 % of
 * the mixture's energy or more. */
#ifndef AVS_FUSION_DISCOVER_H
#define AVS_FUSION_DISCOVER_H

#include <stdint.h>

#include "fusion/separation.h"
#include "video/image.h"

#define AVS_DISCOVER_GRID 8
#define AVS_DISCOVER_MAX 8

typedef struct {
  float box[4];   /* [x0, y0, x1, y1] in pixels of the frame */
  float share;    /* share of the mixture's energy its mask keeps, 0..1 */
} avs_found_source;

typedef struct {
  int sources;    /* 0: as many as the NMF prior hears or, without it, as stand out; else exactly this many */
  float min_share;/* > 0: the regions that keep this share stand out, whatever the model (0: 0.1 without a prior) */
} avs_discover_opts;

typedef struct {
  avs_found_source src[AVS_DISCOVER_MAX];
  int n;
  float heat[AVS_DISCOVER_GRID * AVS_DISCOVER_GRID]; /* row-major, cell (gx, gy) over the frame */
} avs_discover_result;

/* Where discovery looks in a whole clip: the loudest of the model's windows
 * of x (n samples at the model's rate; the windows of fusion/separate.h), its
 * samples (zero past the end of a signal shorter than one window) and the model's frames of it from `video`
 * (times before 0 read the first frame). */
#define AVS_DISCOVER_MAX_FRAMES 64
typedef struct {
  int64_t start;                                /* first sample */
  float *samples;                               /* the model's `samples` of it */
  avs_image frames[AVS_DISCOVER_MAX_FRAMES];    /* the model's `frames` of it */
  int n_frames;
} avs_discover_window;
int avs_sep_loudest_window(const avs_model *m, const char *video, const float *x, int64_t n,
                           avs_discover_window *w);
void avs_discover_window_release(avs_discover_window *w);

/* window: the model's `samples` samples of the mixture; frames: the model's
 * `frames` frames of that window (all of one size). */
int avs_sep_discover(const avs_model *m, const float *window, const avs_image *frames, const avs_discover_opts *o,
                     avs_discover_result *r);
/* The candidate region nearest to (x, y) with the best score: --point. */
int avs_sep_region_at(const avs_model *m, const float *window, const avs_image *frames, float x, float y,
                      avs_found_source *out);

#endif
