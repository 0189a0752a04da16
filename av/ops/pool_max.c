/* Max pooling's kernels, channels-last (pool.c computes the geometry). Our own
 * rather than oneDNN's: its AVX2 channels-last max pooling ran at about a quarter
 * of memory bandwidth (C3D's pool1 12-15 ms where 3 ms is the traffic), forward
 * and backward alike.
 *
 * PyTorch's rule: a window's maximum is its first element (in scan order) that
 * is larger than all before it or NaN; padding is never chosen (-inf). Training
 * keeps the chosen element's spatial index per output value for the backward
 * pass, which adds each output's gradient at that index. */
#include <math.h>
#include <string.h>

#include "av/ops/elem.h"
#include "av/ops/pool_max.h"

/* The window's valid range along one axis: [lo, hi) of the input. */
static void window(const avs_pool_dims *g, int a, int64_t o, int64_t *lo, int64_t *hi) {
  int64_t start = o * g->s[a] - g->pl[a], end = start + g->k[a];
  *lo = start > 0 ? start : 0;
  *hi = end < g->in[a] ? end : g->in[a];
}

/* One output row (n, o0, o1): every o2 and channel; idx NULL in inference. */
static void max_row(const avs_pool_dims *g, const float *x, float *y, int32_t *idx, int64_t n, int64_t o0,
                    int64_t o1) {
  int64_t C = g->C, lo0, hi0, lo1, hi1, lo2, hi2;
  window(g, 0, o0, &lo0, &hi0);
  window(g, 1, o1, &lo1, &hi1);
  const float *xn = x + n * g->in[0] * g->in[1] * g->in[2] * C;
  for (int64_t o2 = 0; o2 < g->out[2]; o2++) {
    int64_t off = ((n * g->out[0] + o0) * g->out[1] + o1) * g->out[2] + o2;
    float *yo = y + off * C;
    int32_t *io = idx ? idx + off * C : NULL;
    window(g, 2, o2, &lo2, &hi2);
    int32_t first = (int32_t)((lo0 * g->in[1] + lo1) * g->in[2] + lo2);
    for (int64_t c = 0; c < C; c++) yo[c] = -INFINITY;
    if (io)
      for (int64_t c = 0; c < C; c++) io[c] = first;
    for (int64_t i0 = lo0; i0 < hi0; i0++)
      for (int64_t i1 = lo1; i1 < hi1; i1++)
        for (int64_t i2 = lo2; i2 < hi2; i2++) {
          int32_t at = (int32_t)((i0 * g->in[1] + i1) * g->in[2] + i2);
          const float *xv = xn + (int64_t)at * C;
          if (io) {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) {
              bool take = xv[c] > yo[c] || isnan(xv[c]);
              yo[c] = take ? xv[c] : yo[c];
              io[c] = take ? at : io[c];
            }
          } else {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) yo[c] = xv[c] > yo[c] || isnan(xv[c]) ? xv[c] : yo[c];
          }
        }
  }
}

void avs_pool_max_forward(const avs_pool_dims *g, const float *x, float *y, int32_t *idx) {
  int64_t rows = g->N * g->out[0] * g->out[1];
  int64_t work = rows * g->out[2] * g->C * g->k[0] * g->k[1] * g->k[2];
#pragma omp parallel for schedule(static) if (work >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) max_row(g, x, y, idx, r / (g->out[0] * g->out[1]), r / g->out[1] % g->out[0],
                                             r % g->out[1]);
}

/* Samples [n0, n1), channels [c0, c1) of every output. Windows may overlap
 * (stride < kernel), so threads split the samples (or, with fewer samples than
 * threads, the channels), never the positions: no two write one value. */
static void max_backward_part(const avs_pool_dims *g, const float *gy, const int32_t *idx, float *gx, int64_t n0,
                              int64_t n1, int64_t c0, int64_t c1) {
  int64_t C = g->C, outs = g->out[0] * g->out[1] * g->out[2], ins = g->in[0] * g->in[1] * g->in[2];
  for (int64_t n = n0; n < n1; n++)
    for (int64_t o = 0; o < outs; o++) {
      const float *go = gy + (n * outs + o) * C;
      const int32_t *io = idx + (n * outs + o) * C;
      float *gxn = gx + n * ins * C;
      for (int64_t c = c0; c < c1; c++) gxn[(int64_t)io[c] * C + c] += go[c];
    }
}

void avs_pool_max_backward(const avs_pool_dims *g, const float *gy, const int32_t *idx, float *gx, bool fresh) {
  if (fresh) memset(gx, 0, sizeof(float) * (size_t)(g->N * g->in[0] * g->in[1] * g->in[2] * g->C));
  int64_t work = g->N * g->out[0] * g->out[1] * g->out[2] * g->C;
  if (g->N >= omp_get_max_threads())
    AVS_PAR_RANGE(g->N, work, n0, n1, max_backward_part(g, gy, idx, gx, n0, n1, 0, g->C));
  else
    AVS_PAR_RANGE(g->C, work, c0, c1, max_backward_part(g, gy, idx, gx, 0, g->N, c0, c1));
}
