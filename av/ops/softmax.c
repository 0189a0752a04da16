/* Softmax and log-softmax over the last dim, with the row maximum subtracted
 * first so that no exponential overflows. Both differentiate through their
 * output:
 *   softmax      gx = y * (gy - sum(gy * y))
 *   log_softmax  gx = gy - exp(y) * sum(gy)
 * Row sums accumulate in double. The row kernels are compiled for AVX-512 /
 * AVX2 / baseline (AVS_SIMD_CLONES) and run over ranges of rows in parallel. */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"
#include "av/ops/vmath.h"

static inline float row_max(const float *x, int64_t c) {
  float m = x[0];
#pragma omp simd reduction(max : m)
  for (int64_t j = 1; j < c; j++) m = x[j] > m ? x[j] : m;
  return m;
}

/* Writes e^(x - m) into y and returns the sum in double. */
static inline double row_exp(const float *restrict x, float m, int64_t c, float *restrict y) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < c; j++) {
    y[j] = avs_vexp(x[j] - m);
    s += y[j];
  }
  return s;
}

static bool rows_of(const avs_tensor *x, const char *op, int64_t *rows, int64_t *c) {
  if (x->ndim < 1) {
    avs_seterr(AVS_ESHAPE, "%s: needs at least one dim, got a scalar", op);
    return false;
  }
  *c = x->shape[x->ndim - 1];
  *rows = *c ? x->numel / *c : 0;
  return true;
}

/* ---- softmax ---- */

AVS_SIMD_CLONES static void softmax_k(const float *x, float *y, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    float inv = (float)(1.0 / row_exp(xr, row_max(xr, c), c, yr));
#pragma omp simd
    for (int64_t j = 0; j < c; j++) yr[j] *= inv;
  }
}

AVS_SIMD_CLONES static void softmax_bwd_k(const float *y, const float *gy, float *gx, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * c, *gyr = gy + r * c;
    float *gxr = gx + r * c;
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < c; j++) dot += gyr[j] * yr[j];
    float d = (float)dot;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) gxr[j] += yr[j] * (gyr[j] - d);
  }
}

static void softmax_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *y = node->out;
  int64_t c = y->shape[y->ndim - 1], rows = c ? y->numel / c : 0;
  const float *yd = y->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
  AVS_PAR_RANGE(rows, y->numel, lo, hi, softmax_bwd_k(yd + lo * c, gy + lo * c, gx + lo * c, hi - lo, c));
}

avs_tensor *avs_softmax(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  int64_t rows, c;
  if (!rows_of(x, "softmax", &rows, &c)) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  AVS_PAR_RANGE(rows, x->numel, lo, hi, softmax_k(xd + lo * c, yd + lo * c, hi - lo, c));
  avs_tape_push(ctx, "softmax", softmax_backward, y, 1, &x);
  return y;
}

/* ---- log-softmax ---- */

AVS_SIMD_CLONES static void log_softmax_k(const float *x, float *y, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    float m = row_max(xr, c);
    /* y is scratch for the exponentials, then overwritten */
    float lse = (float)log(row_exp(xr, m, c, yr));
#pragma omp simd
    for (int64_t j = 0; j < c; j++) yr[j] = (xr[j] - m) - lse;
  }
}

AVS_SIMD_CLONES static void log_softmax_bwd_k(const float *y, const float *gy, float *gx, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = y + r * c, *gyr = gy + r * c;
    float *gxr = gx + r * c;
    double s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < c; j++) s += gyr[j];
    float sf = (float)s;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) gxr[j] += gyr[j] - avs_vexp(yr[j]) * sf;
  }
}

static void log_softmax_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *y = node->out;
  int64_t c = y->shape[y->ndim - 1], rows = c ? y->numel / c : 0;
  const float *yd = y->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
  AVS_PAR_RANGE(rows, y->numel, lo, hi, log_softmax_bwd_k(yd + lo * c, gy + lo * c, gx + lo * c, hi - lo, c));
}

avs_tensor *avs_log_softmax(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  int64_t rows, c;
  if (!rows_of(x, "log_softmax", &rows, &c)) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  AVS_PAR_RANGE(rows, x->numel, lo, hi, log_softmax_k(xd + lo * c, yd + lo * c, hi - lo, c));
  avs_tape_push(ctx, "log_softmax", log_softmax_backward, y, 1, &x);
  return y;
}
