/* Multi-head attention as torch.nn.MultiheadAttention(batch_first=True):
 * in-projection by the three row blocks of in_proj_weight / in_proj_bias,
 * avs_attention (or, when the weights are wanted, avs_attention_weights and
 * avs_attention_apply), out-projection. Composed of taped ops; the row blocks are
 * views that alias the packed parameter and its gradient, so the linear
 * layers' backward accumulates straight into in_proj_weight->grad. */
#include "av/ops.h"
#include "av/ops/op_util.h"

/* Rows [row0, row0+rows) of t (2-D or 1-D) as an arena tensor sharing t's data
 * and, when the op will be taped, t's gradient. */
static avs_tensor *row_view(avs_ctx *ctx, avs_tensor *t, int64_t row0, int64_t rows) {
  if (!t) return NULL;
  int64_t row = t->ndim == 2 ? t->shape[1] : 1;
  avs_tensor *v = avs_ctx_wrap(ctx, t->data + row0 * row, t->ndim, t->ndim == 2 ? AVS_SHAPE(rows, row) : AVS_SHAPE(rows));
  if (!v) return NULL;
  if (avs_tape_wants(ctx, 1, &t)) {
    float *g = avs_grad(ctx, t);
    if (!g) return NULL;
    v->grad = g + row0 * row;
    v->requires_grad = true;
  }
  return v;
}

avs_tensor *avs_mha_weights(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, const avs_mha_w *w,
                            avs_tensor **weights) {
  if (weights) *weights = NULL;
  if (!q || !k || !v || !w || !w->in_proj_weight || !w->out_proj_weight) return NULL;
  char s1[64], s2[64];
  if (q->ndim != 3) return AVS_OP_FAIL("mha", "query %s is not (N,L,E)", avs_shape_str(q->ndim, q->shape, s1, sizeof s1));
  int64_t e = q->shape[2];
  avs_tensor *wi = w->in_proj_weight, *bi = w->in_proj_bias, *wo = w->out_proj_weight, *bo = w->out_proj_bias;
  if (wi->ndim != 2 || wi->shape[0] != 3 * e || wi->shape[1] != e)
    return AVS_OP_FAIL("mha", "in_proj_weight %s, expected (%lld, %lld)", avs_shape_str(wi->ndim, wi->shape, s1, sizeof s1),
                       (long long)(3 * e), (long long)e);
  if (bi && (bi->ndim != 1 || bi->shape[0] != 3 * e))
    return AVS_OP_FAIL("mha", "in_proj_bias %s, expected (%lld)", avs_shape_str(bi->ndim, bi->shape, s1, sizeof s1),
                       (long long)(3 * e));
  if (wo->ndim != 2 || wo->shape[0] != e || wo->shape[1] != e)
    return AVS_OP_FAIL("mha", "out_proj.weight %s, expected (%lld, %lld)",
                       avs_shape_str(wo->ndim, wo->shape, s2, sizeof s2), (long long)e, (long long)e);
  /* avs_linear and avs_attention check the rest (k, v, heads). */
  avs_tensor *pw[3], *pb[3] = {NULL, NULL, NULL}, *proj[3], *in[3] = {q, k, v};
  for (int i = 0; i < 3; i++) {
    pw[i] = row_view(ctx, wi, i * e, e);
    if (!pw[i] || (bi && !(pb[i] = row_view(ctx, bi, i * e, e)))) return NULL;
    proj[i] = avs_linear(ctx, in[i], pw[i], pb[i]);
  }
  if (!weights) return avs_linear(ctx, avs_attention(ctx, proj[0], proj[1], proj[2], w->heads), wo, bo);
  *weights = avs_attention_weights(ctx, proj[0], proj[1], w->heads);
  return avs_linear(ctx, avs_attention_apply(ctx, *weights, proj[2]), wo, bo);
}

avs_tensor *avs_mha(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, const avs_mha_w *w) {
  return avs_mha_weights(ctx, q, k, v, w, NULL);
}
