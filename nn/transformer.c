/* Transformer units (see transformer.h). */
#include "nn/transformer.h"

#include "av/ops.h"
#include "av/status.h"
#include "nn/trace.h"
#include "nn/unit.h"

int avs_unit_declare_layer_norm(avs_params *p, const char *name, int dim) {
  char n[AVS_NAME_MAX];
  avs_tensor *w = avs_params_add(p, avs_unit_name(n, "%s.weight", name), 1, AVS_SHAPE(dim));
  if (!w || !avs_params_add(p, avs_unit_name(n, "%s.bias", name), 1, AVS_SHAPE(dim))) return avs_errcode();
  for (int i = 0; i < dim; i++) w->data[i] = 1.0f;
  return AVS_OK;
}

avs_tensor *avs_unit_layer_norm(avs_ctx *ctx, const avs_params *p, const char *name, float eps, avs_tensor *x) {
  avs_tensor *w = avs_unit_param(p, "%s.weight", name), *b = avs_unit_param(p, "%s.bias", name);
  avs_tensor *y = w && b ? avs_layer_norm(ctx, x, w, b, eps) : NULL;
  if (y) avs_layer_trace_add(ctx, name, "layernorm", y, w->numel + b->numel, 0);
  return y;
}

int avs_unit_declare_mlp(avs_params *p, const char *name, int dim, int hidden, int out) {
  char n[AVS_NAME_MAX];
  int rc = avs_unit_declare_linear(p, avs_unit_name(n, "%s.fc1", name), dim, hidden);
  return rc ? rc : avs_unit_declare_linear(p, avs_unit_name(n, "%s.fc2", name), hidden, out);
}

avs_tensor *avs_unit_mlp(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x) {
  char n[AVS_NAME_MAX];
  x = avs_gelu(ctx, avs_unit_linear(ctx, p, avs_unit_name(n, "%s.fc1", name), x));
  return avs_unit_linear(ctx, p, avs_unit_name(n, "%s.fc2", name), x);
}
