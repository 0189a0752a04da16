/* Attention units (see attention.h). */
#include "nn/attention.h"

#include "av/ops.h"
#include "av/status.h"
#include "nn/trace.h"
#include "nn/transformer.h"
#include "nn/unit.h"

#define CROSS_LN_EPS 1e-5f

int avs_unit_declare_mha(avs_params *p, const char *name, int dim) {
  char n[AVS_NAME_MAX];
  if (!avs_params_add(p, avs_unit_name(n, "%s.in_proj_weight", name), 2, AVS_SHAPE(3 * dim, dim)) ||
      !avs_params_add(p, avs_unit_name(n, "%s.in_proj_bias", name), 1, AVS_SHAPE(3 * dim)))
    return avs_errcode();
  return avs_unit_declare_linear(p, avs_unit_name(n, "%s.out_proj", name), dim, dim);
}

avs_tensor *avs_unit_mha(avs_ctx *ctx, const avs_params *p, const char *name, int heads, avs_tensor *q,
                         avs_tensor *k, avs_tensor *v, avs_tensor **weights) {
  if (weights) *weights = NULL;
  avs_mha_w w = {avs_unit_param(p, "%s.in_proj_weight", name), avs_unit_param(p, "%s.in_proj_bias", name),
                 avs_unit_param(p, "%s.out_proj.weight", name), avs_unit_param(p, "%s.out_proj.bias", name), heads};
  if (!q || !k || !v || !w.in_proj_weight || !w.in_proj_bias || !w.out_proj_weight || !w.out_proj_bias) return NULL;
  avs_tensor *y = avs_mha_weights(ctx, q, k, v, &w, weights);
  if (y) {
    int64_t e = q->shape[2], lk = k->shape[1];
    int64_t params = w.in_proj_weight->numel + w.in_proj_bias->numel + w.out_proj_weight->numel + w.out_proj_bias->numel;
    /* q and out projections per query, k and v per key, then q k^T and p v (Lq Lk dim each) */
    int64_t macs = 2 * y->numel * e + 2 * k->numel * e + 2 * y->numel * lk;
    avs_layer_trace_add(ctx, name, "attention", y, params, macs);
  }
  return y;
}

int avs_unit_declare_cross_block(avs_params *p, const char *name, int dim, int hidden) {
  char n[AVS_NAME_MAX];
  int rc = avs_unit_declare_mha(p, avs_unit_name(n, "%s.attn", name), dim);
  if (!rc) rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm1", name), dim);
  if (!rc) rc = avs_unit_declare_mlp(p, avs_unit_name(n, "%s.mlp", name), dim, hidden, dim);
  if (!rc) rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm2", name), dim);
  return rc;
}

avs_tensor *avs_unit_cross_block(avs_ctx *ctx, const avs_params *p, const char *name, int heads, avs_tensor *x,
                                 avs_tensor *pos_x, avs_tensor *mem, avs_tensor *pos_mem, avs_tensor **weights) {
  char n[AVS_NAME_MAX];
  avs_tensor *q = pos_x ? avs_add(ctx, x, pos_x) : x, *k = pos_mem ? avs_add(ctx, mem, pos_mem) : mem;
  avs_tensor *a = avs_unit_mha(ctx, p, avs_unit_name(n, "%s.attn", name), heads, q, k, mem, weights);
  x = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "%s.norm1", name), CROSS_LN_EPS, avs_add(ctx, x, a));
  avs_tensor *m = avs_unit_mlp(ctx, p, avs_unit_name(n, "%s.mlp", name), x);
  return avs_unit_layer_norm(ctx, p, avs_unit_name(n, "%s.norm2", name), CROSS_LN_EPS, avs_add(ctx, x, m));
}
