/* Linear layer: y = x w^T + b over x's last dim, any leading dims.
 * Forward and backward are single products through avs_gemm on x viewed as
 * (M, in) with M the product of the leading dims. */
#include "av/gemm.h"
#include "av/ops.h"
#include "av/ops/elem.h"

/* Rows of x viewed as a matrix: the product of its leading dims. */
static int rows_of(const avs_tensor *x) {
  int64_t m = 1;
  for (int i = 0; i < x->ndim - 1; i++) m *= x->shape[i];
  return (int)m;
}

static void linear_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2], *y = node->out;
  int out = (int)w->shape[0], in = (int)w->shape[1], m = rows_of(x);
  const float *gy = y->grad;
  /* dx += gy w;  dw += gy^T x;  db += column sums of gy */
  if (x->requires_grad) avs_gemm(false, false, m, in, out, 1.0f, gy, out, w->data, in, 1.0f, x->grad, in);
  if (w->requires_grad) avs_gemm(true, false, out, in, m, 1.0f, gy, out, x->data, in, 1.0f, w->grad, in);
  if (b && b->requires_grad) avs_elem_colsum(gy, NULL, m, out, 1.0f, b->grad);
}

avs_tensor *avs_linear(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b) {
  if (!x || !w) return NULL;
  char s1[64], s2[64];
  if (x->ndim < 1 || w->ndim != 2 || x->shape[x->ndim - 1] != w->shape[1])
    return AVS_OP_FAIL("linear", "input %s does not fit weight %s (out, in)",
                       avs_shape_str(x->ndim, x->shape, s1, sizeof s1), avs_shape_str(w->ndim, w->shape, s2, sizeof s2));
  if (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))
    return AVS_OP_FAIL("linear", "bias %s does not fit weight %s", avs_shape_str(b->ndim, b->shape, s1, sizeof s1),
                       avs_shape_str(w->ndim, w->shape, s2, sizeof s2));
  int out = (int)w->shape[0], in = (int)w->shape[1];
  int64_t shape[AVS_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
  shape[x->ndim - 1] = out;
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, shape);
  if (!y) return NULL;
  int m = rows_of(x);
  float *yd = y->data;
  if (b) {
    const float *bd = b->data;
#pragma omp parallel for schedule(static) if ((int64_t)m * out >= AVS_PAR_MIN)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < out; j++) yd[(int64_t)i * out + j] = bd[j];
  }
  if (in > 0)
    avs_gemm(false, true, m, out, in, 1.0f, x->data, in, w->data, in, b ? 1.0f : 0.0f, yd, out);
  else if (!b)
    memset(yd, 0, sizeof(float) * y->numel);
  avs_tensor *ins[3] = {x, w, b};
  if (avs_tape_wants(ctx, 3, ins) && !avs_tape_push(ctx, "linear", linear_backward, y, 3, ins)) return NULL;
  return y;
}
