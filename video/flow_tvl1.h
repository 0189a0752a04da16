/* TV-L1 optical flow (Zach, Pock, Bischof 2007), as described and
 * parameterised by Sanchez, Meinhardt-Llopis and Facciolo, "TV-L1 Optical
 * Flow Estimation", IPOL 2013: a coarse-to-fine pyramid, warps of the second
 * image with bicubic interpolation, and the primal-dual iteration of the
 * thresholded data term and the dual TV term. The flow (u, v) in pixels maps
 * I0 to I1: I1(x + u, y + v) ~ I0(x, y).
 *
 * Two-stream and I3D networks take the flow of consecutive grayscale frames
 * clipped to +-20 pixels and scaled to [-1, 1] (avs_flow_scale). */
#ifndef AVS_VIDEO_FLOW_TVL1_H
#define AVS_VIDEO_FLOW_TVL1_H

#include <stdbool.h>
#include <stdint.h>

#include "video/preprocess.h"

typedef struct {
  float tau;      /* time step of the dual update: 0.25 */
  float lambda;   /* data term weight (intensities in 0..255): 0.15 */
  float theta;    /* coupling of the two primal variables: 0.3 */
  int n_scales;   /* pyramid levels: 5 (fewer when the coarsest would be under ~16 px, as IPOL does) */
  float zoom;     /* downsampling factor between levels: 0.5 */
  int n_warps;    /* warps per level: 5 */
  float epsilon;  /* stop when the mean squared update falls below epsilon^2: 0.01 */
  int max_iter;   /* iterations per warp at most: 300 */
  bool normalize; /* stretch both images together to 0..255 first, as IPOL does: true */
} avs_tvl1_params;

/* The IPOL 2013 defaults above. */
void avs_tvl1_defaults(avs_tvl1_params *p);

/* Flow from i0 to i1, grayscale w x h images with intensities in 0..255, into
 * flow (h, w, 2): (u, v) per pixel. p NULL: defaults. Large images use OpenMP
 * across rows (not when called from inside a parallel region). */
int avs_flow_tvl1(const float *i0, const float *i1, int w, int h, const avs_tvl1_params *p, float *flow);

/* Luma (0.299 R + 0.587 G + 0.114 B, in 0..255) of n_px RGB pixels normalised as norm says (NULL: 0..255). */
void avs_flow_gray(const float *rgb, int64_t n_px, const avs_norm *norm, float *gray);

/* Flow between consecutive frames of a clip (T, h, w, 3), normalised as norm
 * says, into flow (T-1, h, w, 2); frame pairs run in parallel with OpenMP. */
int avs_flow_tvl1_clip(const float *frames, int T, int h, int w, const avs_norm *norm, const avs_tvl1_params *p,
                       float *flow);

/* In place: clip to [-bound, bound] and divide by bound (I3D: bound 20 -> [-1, 1]). */
void avs_flow_scale(float *flow, int64_t n, float bound);

#endif
