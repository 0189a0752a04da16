/* ReLU and LeakyReLU: y = x > 0 ? x : slope * x (slope 0 for ReLU). */
#include "av/ops.h"
#include "av/ops/op_util.h"

typedef struct { float slope; } relu_saved;

static void relu_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *y = node->out;
  float slope = ((relu_saved *)node->saved)->slope;
  const float *xd = x->data, *gy = y->grad;
  float *gx = x->grad;
  if (avs_node_fresh(node, 0)) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < x->numel; i++) gx[i] = xd[i] > 0 ? gy[i] : slope * gy[i];
    return;
  }
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < x->numel; i++) gx[i] += xd[i] > 0 ? gy[i] : slope * gy[i];
}

static avs_tensor *leaky(avs_ctx *ctx, avs_tensor *x, float slope, const char *name) {
  if (!x) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < x->numel; i++) yd[i] = xd[i] > 0 ? xd[i] : slope * xd[i];
  avs_node *node = avs_tape_push(ctx, name, relu_backward, y, 1, &x);
  if (node) {
    relu_saved *s = avs_ctx_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->slope = slope;
    node->saved = s;
    node->sets_fresh = true;
  }
  return y;
}

avs_tensor *avs_relu(avs_ctx *ctx, avs_tensor *x) { return leaky(ctx, x, 0.0f, "relu"); }
avs_tensor *avs_leaky_relu(avs_ctx *ctx, avs_tensor *x, float slope) { return leaky(ctx, x, slope, "leaky_relu"); }
