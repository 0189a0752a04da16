/* Smooth element-wise activations: sigmoid, tanh, GELU (exact erf form) and
 * the natural log. Sigmoid and tanh differentiate through their output, GELU
 * and log through their input. */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"
#include "av/ops/vmath.h"

/* The exponentials, tanh and erfc are the vectorisable ones of vmath.h, in
 * kernels compiled for AVX-512 / AVX2 / baseline (AVS_SIMD_CLONES). */

/* The shared shape of every op here: y = k(x) element-wise over parallel
 * ranges, then one tape node. */
typedef void (*unary_kernel)(const float *restrict x, float *restrict y, int64_t n);

static avs_tensor *unary(avs_ctx *ctx, avs_tensor *x, unary_kernel k, const char *name, avs_backward_fn backward) {
  if (!x) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  AVS_PAR_RANGE(x->numel, x->numel, lo, hi, k(xd + lo, yd + lo, hi - lo));
  avs_tape_push(ctx, name, backward, y, 1, &x);
  return y;
}

/* ---- sigmoid: y = 1 / (1 + e^-x), dy/dx = y (1 - y) ----
 * In float the direct formula is safe: e^-x overflows to inf for x < -88 and
 * gives y = 0, underflows to 0 for large x and gives y = 1. */

static void sigmoid_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *y = node->out;
  const float *yd = y->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
  int64_t n = y->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += gy[i] * yd[i] * (1.0f - yd[i]);
}

AVS_SIMD_CLONES static void sigmoid_k(const float *restrict x, float *restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = avs_vsigmoid(x[i]);
}

avs_tensor *avs_sigmoid(avs_ctx *ctx, avs_tensor *x) { return unary(ctx, x, sigmoid_k, "sigmoid", sigmoid_backward); }

/* ---- tanh: dy/dx = 1 - y^2 ---- */

static void tanh_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *y = node->out;
  const float *yd = y->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
  int64_t n = y->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += gy[i] * (1.0f - yd[i] * yd[i]);
}

AVS_SIMD_CLONES static void tanh_k(const float *restrict x, float *restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = avs_vtanh(x[i]);
}

avs_tensor *avs_tanh(avs_ctx *ctx, avs_tensor *x) { return unary(ctx, x, tanh_k, "tanh", tanh_backward); }

/* ---- GELU: y = x Phi(x) = x/2 (1 + erf(x/sqrt 2)), dy/dx = Phi(x) + x phi(x) ----
 * Phi is computed from erfc (avs_vphi), which keeps its relative accuracy in
 * the left tail where 1 + erf cancels (there it is closer to the exact value
 * than PyTorch's float result). */

AVS_SIMD_CLONES static void gelu_bwd_k(const float *restrict x, const float *restrict gy, float *restrict gx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float v = x[i], pdf;
    float cdf = avs_vphi(v, &pdf);
    gx[i] += gy[i] * (cdf + v * pdf);
  }
}

static void gelu_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *x = node->in[0];
  const float *xd = x->data, *gy = node->out->grad;
  float *gx = x->grad;
  AVS_PAR_RANGE(x->numel, x->numel, lo, hi, gelu_bwd_k(xd + lo, gy + lo, gx + lo, hi - lo));
}

AVS_SIMD_CLONES static void gelu_k(const float *restrict x, float *restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * avs_vphi(x[i], NULL);
}

avs_tensor *avs_gelu(avs_ctx *ctx, avs_tensor *x) { return unary(ctx, x, gelu_k, "gelu", gelu_backward); }

/* ---- log: y = ln x, dy/dx = 1 / x (x > 0; the caller adds its epsilon, as
 * Co-Separation's log(mag * mask + 1e-10)) ---- */

static void log_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *x = node->in[0];
  const float *xd = x->data, *gy = node->out->grad;
  float *gx = x->grad;
  int64_t n = x->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += gy[i] / xd[i];
}

static void log_k(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = logf(x[i]);
}

avs_tensor *avs_ln(avs_ctx *ctx, avs_tensor *x) { return unary(ctx, x, log_k, "log", log_backward); }
