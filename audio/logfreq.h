/* Log-frequency warping of spectrograms as Sound of Pixels does it: the
 * linear-frequency magnitude (F bins) is resampled to K log-spaced bins with
 * bilinear sampling (F.grid_sample over the grid of its warpgrid(warp=True)),
 * and a K-bin mask is brought back to F linear bins with the inverse grid
 * (warpgrid(warp=False)). The frequency axis of output row i is
 *   warp:    y = (21^((v+1)/2) - 11) / 10,   v = linspace(-1, 1, K)[i]
 *   unwarp:  y = log(10 v + 11) / log(21) * 2 - 1
 * and the time axis x = linspace(-1, 1, frames) as in the original code.
 * align_corners picks grid_sample's convention: the original repository ran
 * on PyTorch 0.4, whose grid_sample behaves as align_corners=true; PyTorch
 * >= 1.3 defaults to false (which also blends the time axis by half a frame
 * at the edges). Zero padding outside the input, as grid_sample's default.
 *
 * Layout channels-last: in [n][in_bins][frames][channels],
 * out [n][out_bins][frames][channels]. SoP: 512 -> 256 bins. */
#ifndef AVS_LOGFREQ_H
#define AVS_LOGFREQ_H

#include <stdbool.h>
#include <stdint.h>

typedef struct avs_logfreq_shape {
  int64_t n;        /* batch */
  int in_bins;      /* rows of the input */
  int64_t frames;   /* columns (time) */
  int channels;
  int out_bins;     /* rows of the output */
  bool align_corners;
} avs_logfreq_shape;

/* Linear -> log frequency (warpgrid(warp=True)). */
int avs_logfreq_warp(const avs_logfreq_shape *sh, const float *in, float *out);
/* Log -> linear frequency (warpgrid(warp=False)), e.g. a predicted mask. */
int avs_logfreq_unwarp(const avs_logfreq_shape *sh, const float *in, float *out);

#endif
