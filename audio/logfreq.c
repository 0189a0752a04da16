#include "audio/logfreq.h"

#include <math.h>
#include <stdlib.h>

#include "av/status.h"

typedef struct {
  int64_t i0, i1; /* clamped indices */
  float w0, w1;   /* weights, zero where the corner falls outside */
} tap;

/* np.linspace(-1, 1, n)[i] in float64, as the original grid is built. */
static double lin(int64_t i, int64_t n) {
  if (n == 1) return -1.0;
  if (i == n - 1) return 1.0;
  return -1.0 + (double)i * (2.0 / (double)(n - 1));
}

/* grid_sample's unnormalize + bilinear weights, in float as PyTorch does. */
static tap make_tap(float coord, int64_t size, bool align) {
  float ic = align ? ((coord + 1.f) / 2.f) * (float)(size - 1) : ((coord + 1.f) * (float)size - 1.f) / 2.f;
  float f0 = floorf(ic);
  int64_t i0 = (int64_t)f0, i1 = i0 + 1;
  tap t;
  t.w0 = (f0 + 1.f) - ic; /* (i_se - ic) */
  t.w1 = ic - f0;
  if (i0 < 0 || i0 >= size) t.w0 = 0, i0 = 0;
  if (i1 < 0 || i1 >= size) t.w1 = 0, i1 = 0;
  t.i0 = i0, t.i1 = i1;
  return t;
}

static int sample(const avs_logfreq_shape *sh, const float *in, float *out, bool warp) {
  if (sh->n < 1 || sh->in_bins < 1 || sh->frames < 1 || sh->channels < 1 || sh->out_bins < 1)
    return avs_seterr(AVS_EINVAL, "log-frequency warp: bad shape n %lld, bins %d -> %d, frames %lld, channels %d",
                      (long long)sh->n, sh->in_bins, sh->out_bins, (long long)sh->frames, sh->channels);
  const int64_t T = sh->frames, C = sh->channels, H = sh->in_bins, K = sh->out_bins;
  tap *ty = malloc(sizeof(tap) * (size_t)K), *tx = malloc(sizeof(tap) * (size_t)T);
  if (!ty || !tx) {
    free(ty), free(tx);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  for (int64_t i = 0; i < K; i++) {
    double v = lin(i, K);
    double g = warp ? (pow(21.0, (v + 1.0) / 2.0) - 11.0) / 10.0 : log(v * 10.0 + 11.0) / log(21.0) * 2.0 - 1.0;
    ty[i] = make_tap((float)g, H, sh->align_corners);
  }
  for (int64_t j = 0; j < T; j++) tx[j] = make_tap((float)lin(j, T), T, sh->align_corners);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < sh->n; b++)
    for (int64_t i = 0; i < K; i++) {
      const float *r0 = in + (b * H + ty[i].i0) * T * C, *r1 = in + (b * H + ty[i].i1) * T * C;
      const float wy0 = ty[i].w0, wy1 = ty[i].w1;
      float *o = out + (b * K + i) * T * C;
      for (int64_t j = 0; j < T; j++) {
        const tap x = tx[j];
        for (int64_t c = 0; c < C; c++) {
          float top = x.w0 * r0[x.i0 * C + c] + x.w1 * r0[x.i1 * C + c];
          float bot = x.w0 * r1[x.i0 * C + c] + x.w1 * r1[x.i1 * C + c];
          o[j * C + c] = wy0 * top + wy1 * bot;
        }
      }
    }
  free(ty);
  free(tx);
  return AVS_OK;
}

int avs_logfreq_warp(const avs_logfreq_shape *sh, const float *in, float *out) { return sample(sh, in, out, true); }
int avs_logfreq_unwarp(const avs_logfreq_shape *sh, const float *in, float *out) { return sample(sh, in, out, false); }
