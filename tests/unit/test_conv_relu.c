/* avs_conv's relu (av/ops.h): without a tape the ReLU runs on the convolution's own output pass
 * (oneDNN's eltwise post-op on the direct kernels, the output transform on the Winograd path);
 * with one it is a separate avs_relu, whose backward the gradients go through. Checked against
 * the convolution followed by avs_relu, on both paths (Winograd's 3 x 3 and oneDNN's), 2-D and
 * 3-D, with a bias and without, in fp32 and bf16, and for a transposed convolution (always the
 * separate ReLU):
 *  - eval: bit-identical outputs (the same arithmetic, the clamp after it), none negative, and
 *    no more oneDNN executions than the pair;
 *  - training: the output and the input, weight and bias gradients equal those of the unfused
 *    pair exactly (both run the same two ops).
 * And avs_add_relu (a residual block's end) against avs_relu(avs_add(.)): equal shapes in eval
 * (the one-pass loop) and in training (gradients of both inputs), and a per-channel b (the add's
 * broadcast), exactly.
 * And avs_batch_norm_relu against avs_relu(avs_batch_norm(.)), on oneDNN's path (channels a
 * multiple of 8: fuse_norm_relu) and the hand-written one, 2-D and 3-D, in training (batch
 * statistics: the output, the gradients of x, weight and bias, and the running statistics) and
 * in eval (running statistics), exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/dnnl_backend.h"
#include "av/ops/winograd.h"
#include "av/rng.h"
#include "tests/harness.h"

typedef struct {
  const char *what;
  int nsp, N, T, H, W, C, O, k, stride;
  bool bias, transposed;
} relu_case;

static const relu_case cases[] = {
    {"2-D 3x3 Winograd", 2, 2, 0, 14, 14, 64, 64, 3, 1, true, false},
    {"2-D 3x3 stride 2 (oneDNN)", 2, 2, 0, 15, 13, 8, 24, 3, 2, false, false},
    {"3-D 3x3x3 Winograd", 3, 1, 6, 12, 12, 64, 48, 3, 1, false, false},
    {"3-D 1x1x1 (oneDNN)", 3, 2, 4, 7, 9, 16, 40, 1, 1, true, false},
    {"2-D transposed 4x4 stride 2", 2, 2, 0, 6, 6, 16, 8, 4, 2, true, true},
};

static avs_tensor *conv(avs_ctx *ctx, const relu_case *c, avs_tensor *x, avs_tensor *w, avs_tensor *b, bool relu) {
  int pad = c->transposed ? 1 : c->k / 2;
  avs_conv p = {.stride = {c->stride, c->stride, c->stride}, .pad = {pad, pad, pad}, .relu = relu};
  if (c->transposed) return avs_conv_transpose2d(ctx, x, w, b, p);
  return c->nsp == 3 ? avs_conv3d(ctx, x, w, b, p) : avs_conv2d(ctx, x, w, b, p);
}

static float *copy_of(const float *v, int64_t n) {
  float *c = malloc(sizeof(float) * (size_t)n);
  memcpy(c, v, sizeof(float) * (size_t)n);
  return c;
}

/* out[0] = y; in training, after a backward from a fixed output gradient, out[1 + i] = the
 * gradient of in[i] (NULL: not wanted). False when y is NULL or the backward failed. */
static bool keep_results(avs_ctx *ctx, avs_tensor *y, bool train, int n, avs_tensor *const *in, float **out) {
  if (!y) return false;
  if (train) {
    float *gy = malloc(sizeof(float) * (size_t)y->numel);
    for (int64_t i = 0; i < y->numel; i++) gy[i] = sinf(0.37f * (float)i);
    bool failed = avs_backward_from(ctx, y, gy) != 0;
    free(gy);
    if (failed) return false;
  }
  out[0] = copy_of(y->data, y->numel);
  for (int i = 0; train && i < n; i++)
    if (in[i]) out[1 + i] = copy_of(in[i]->grad, in[i]->numel);
  return true;
}

/* y and, in training, dx, dw, db of one run: fused (relu flag) or conv then avs_relu. */
static bool run(const relu_case *c, bool fused, bool train, avs_precision prec, avs_tensor *x, avs_tensor *w,
                avs_tensor *b, float *out[4], long *executions) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  avs_ctx_set_precision(ctx, prec);
  x->requires_grad = w->requires_grad = b->requires_grad = train;
  avs_tensor_zero_grad(x), avs_tensor_zero_grad(w), avs_tensor_zero_grad(b);
  avs_tensor *bias = c->bias ? b : NULL;
  /* a first call builds the primitives and the weight transforms: count the second */
  avs_tensor *y = fused ? conv(ctx, c, x, w, bias, true) : avs_relu(ctx, conv(ctx, c, x, w, bias, false));
  avs_dnnl_stats before, after;
  avs_dnnl_get_stats(ctx, &before);
  if (y) y = fused ? conv(ctx, c, x, w, bias, true) : avs_relu(ctx, conv(ctx, c, x, w, bias, false));
  avs_dnnl_get_stats(ctx, &after);
  *executions = after.executions - before.executions;
  bool ok = keep_results(ctx, y, train, 3, (avs_tensor *[]){x, w, bias}, out);
  avs_ctx_free(&ctx);
  return ok;
}

static void check(const relu_case *c, avs_precision prec, avs_rng *r) {
  int64_t xs[5] = {c->N}, ws[5] = {c->transposed ? c->C : c->O, c->transposed ? c->O : c->C};
  int nx = 1;
  if (c->T) xs[nx++] = c->T;
  xs[nx++] = c->H, xs[nx++] = c->W, xs[nx++] = c->C;
  for (int i = 0; i < c->nsp; i++) ws[2 + i] = c->k;
  avs_tensor *x = avs_tensor_new(nx, xs), *w = avs_tensor_new(c->nsp + 2, ws), *b = avs_tensor_new(1, AVS_SHAPE(c->O));
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = 2 * avs_rng_uniform(r) - 1;
  for (int64_t i = 0; i < w->numel; i++) w->data[i] = (2 * avs_rng_uniform(r) - 1) * 0.2f;
  for (int64_t i = 0; i < b->numel; i++) b->data[i] = 2 * avs_rng_uniform(r) - 1;
  for (int train = 0; train < 2; train++) {
    float *out[2][4] = {{0}};
    long ex[2];
    char what[160];
    snprintf(what, sizeof what, "%s, %s, %s", c->what, prec == AVS_BF16 ? "bf16" : "fp32", train ? "train" : "eval");
    bool ok = run(c, false, train, prec, x, w, b, out[0], &ex[0]) && run(c, true, train, prec, x, w, b, out[1], &ex[1]);
    tst_true(ok, "%s: both ran (%s)", what, ok ? "yes" : avs_errmsg());
    if (!ok) continue;
    int64_t o = c->N * c->O; /* the output's size */
    for (int i = 0; i < c->nsp; i++) {
      int64_t in = i == 0 && c->T ? c->T : i == c->nsp - 1 ? c->W : c->H;
      int64_t pad = c->transposed ? 1 : c->k / 2;
      o *= c->transposed ? (in - 1) * c->stride - 2 * pad + c->k : (in + 2 * pad - c->k) / c->stride + 1;
    }
    char name[200];
    snprintf(name, sizeof name, "%s: output", what);
    tst_close(name, out[1][0], out[0][0], o, 0, 0);
    int negatives = 0;
    for (int64_t i = 0; i < o; i++) negatives += out[1][0][i] < 0;
    tst_true(negatives == 0, "%s: no negative output (%d)", what, negatives);
    if (train) {
      snprintf(name, sizeof name, "%s: input gradient", what);
      tst_close(name, out[1][1], out[0][1], x->numel, 0, 0);
      snprintf(name, sizeof name, "%s: weight gradient", what);
      tst_close(name, out[1][2], out[0][2], w->numel, 0, 0);
      snprintf(name, sizeof name, "%s: bias gradient", what);
      if (c->bias) tst_close(name, out[1][3], out[0][3], b->numel, 0, 0);
    } else if (!c->transposed) {
      /* one pass fewer is not visible in executions (avs_relu is not oneDNN's), but the fused
       * call must not run more primitives than the pair */
      tst_true(ex[1] <= ex[0], "%s: oneDNN executions fused %ld <= unfused %ld", what, ex[1], ex[0]);
    }
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 4; j++) free(out[i][j]);
  }
  avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&b);
}

/* relu(a + b): out[0] y, out[1] da, out[2] db. */
static bool add_relu_run(bool fused, bool train, avs_tensor *a, avs_tensor *b, float *out[3]) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  a->requires_grad = b->requires_grad = train;
  avs_tensor_zero_grad(a), avs_tensor_zero_grad(b);
  avs_tensor *y = fused ? avs_add_relu(ctx, a, b) : avs_relu(ctx, avs_add(ctx, a, b));
  bool ok = keep_results(ctx, y, train, 2, (avs_tensor *[]){a, b}, out);
  avs_ctx_free(&ctx);
  return ok;
}

static void check_add_relu(int64_t channels_of_b, avs_rng *r) {
  avs_tensor *a = avs_tensor_new(4, AVS_SHAPE(2, 9, 11, 24));
  avs_tensor *b = channels_of_b ? avs_tensor_new(1, AVS_SHAPE(24)) : avs_tensor_new(4, AVS_SHAPE(2, 9, 11, 24));
  for (int64_t i = 0; i < a->numel; i++) a->data[i] = 2 * avs_rng_uniform(r) - 1;
  for (int64_t i = 0; i < b->numel; i++) b->data[i] = 2 * avs_rng_uniform(r) - 1;
  for (int train = 0; train < 2; train++) {
    float *out[2][3] = {{0}};
    char what[96], name[128];
    snprintf(what, sizeof what, "add_relu, b %s, %s", channels_of_b ? "per channel" : "same shape",
             train ? "train" : "eval");
    bool ok = add_relu_run(false, train, a, b, out[0]) && add_relu_run(true, train, a, b, out[1]);
    tst_true(ok, "%s: both ran (%s)", what, ok ? "yes" : avs_errmsg());
    if (ok) {
      snprintf(name, sizeof name, "%s: output", what);
      tst_close(name, out[1][0], out[0][0], a->numel, 0, 0);
      if (train) {
        snprintf(name, sizeof name, "%s: gradient of a", what);
        tst_close(name, out[1][1], out[0][1], a->numel, 0, 0);
        snprintf(name, sizeof name, "%s: gradient of b", what);
        tst_close(name, out[1][2], out[0][2], b->numel, 0, 0);
      }
    }
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 3; j++) free(out[i][j]);
  }
  avs_tensor_free(&a), avs_tensor_free(&b);
}

/* relu(batch_norm(x)): out[0] y, out[1..3] the gradients of x, weight, bias, out[4] the running
 * mean and variance after the call (each run starts them from the same values). */
static bool bn_relu_run(bool fused, bool train, avs_tensor *x, const avs_bn *bn, float *out[5]) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  int64_t C = bn->weight->numel;
  for (int64_t c = 0; c < C; c++) bn->running_mean->data[c] = 0.1f * (float)c, bn->running_var->data[c] = 1.5f;
  x->requires_grad = bn->weight->requires_grad = bn->bias->requires_grad = train;
  avs_tensor_zero_grad(x), avs_tensor_zero_grad(bn->weight), avs_tensor_zero_grad(bn->bias);
  avs_tensor *y = fused ? avs_batch_norm_relu(ctx, x, bn) : avs_relu(ctx, avs_batch_norm(ctx, x, bn));
  bool ok = keep_results(ctx, y, train, 3, (avs_tensor *[]){x, bn->weight, bn->bias}, out);
  if (ok) {
    out[4] = malloc(sizeof(float) * 2 * (size_t)C);
    memcpy(out[4], bn->running_mean->data, sizeof(float) * C);
    memcpy(out[4] + C, bn->running_var->data, sizeof(float) * C);
  }
  avs_ctx_free(&ctx);
  return ok;
}

static void check_bn_relu(int nx, const int64_t *xs, avs_rng *r) {
  int64_t C = xs[nx - 1];
  avs_tensor *x = avs_tensor_new(nx, xs);
  avs_bn bn = {.weight = avs_tensor_new(1, &C), .bias = avs_tensor_new(1, &C),
               .running_mean = avs_tensor_new(1, &C), .running_var = avs_tensor_new(1, &C)};
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = 2 * avs_rng_uniform(r) - 1;
  for (int64_t c = 0; c < C; c++)
    bn.weight->data[c] = 0.5f + avs_rng_uniform(r), bn.bias->data[c] = avs_rng_uniform(r) - 0.5f;
  for (int train = 0; train < 2; train++) {
    float *out[2][5] = {{0}};
    char what[96], name[128];
    snprintf(what, sizeof what, "batch_norm_relu %dD C%lld (%s), %s", nx - 2, (long long)C,
             C % 8 ? "by hand" : "oneDNN", train ? "train" : "eval");
    bool ok = bn_relu_run(false, train, x, &bn, out[0]) && bn_relu_run(true, train, x, &bn, out[1]);
    tst_true(ok, "%s: both ran (%s)", what, ok ? "yes" : avs_errmsg());
    if (ok) {
      snprintf(name, sizeof name, "%s: output", what);
      tst_close(name, out[1][0], out[0][0], x->numel, 0, 0);
      snprintf(name, sizeof name, "%s: running statistics", what);
      tst_close(name, out[1][4], out[0][4], 2 * C, 0, 0);
      const char *grads[3] = {"x", "weight", "bias"};
      for (int i = 0; train && i < 3; i++) {
        snprintf(name, sizeof name, "%s: gradient of %s", what, grads[i]);
        tst_close(name, out[1][1 + i], out[0][1 + i], i ? C : x->numel, 0, 0);
      }
    }
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 5; j++) free(out[i][j]);
  }
  avs_tensor_free(&x), avs_tensor_free(&bn.weight), avs_tensor_free(&bn.bias);
  avs_tensor_free(&bn.running_mean), avs_tensor_free(&bn.running_var);
}

int main(void) {
  avs_rng r;
  avs_rng_seed(&r, 5);
  avs_precision p;
  bool bf16 = avs_precision_parse("bf16", &p) == AVS_OK; /* oneDNN has bf16 (AVX-512) */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    check(&cases[i], AVS_FP32, &r);
    if (bf16) check(&cases[i], AVS_BF16, &r);
  }
  check_add_relu(0, &r);
  check_add_relu(24, &r);
  check_bn_relu(4, AVS_SHAPE(3, 9, 11, 32), &r);
  check_bn_relu(5, AVS_SHAPE(2, 4, 14, 14, 64), &r);
  check_bn_relu(4, AVS_SHAPE(3, 9, 11, 12), &r);
  check_bn_relu(5, AVS_SHAPE(2, 3, 7, 9, 20), &r);
  return tst_finish();
}
