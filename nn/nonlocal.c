/* Non-local block, embedded Gaussian (see nonlocal.h). */
#include "nn/nonlocal.h"

#include "av/ops.h"
#include "av/status.h"
#include "nn/trace.h"
#include "nn/unit.h"

static int inter_width(const avs_nonlocal_spec *s) {
  if (s->inter > 0) return s->inter;
  return s->channels / 2 > 0 ? s->channels / 2 : 1;
}

static avs_conv_spec pointwise(int in, int out) {
  return (avs_conv_spec){3, in, out, {1, 1, 1}, {1, 1, 1}, {0}, true, {0}};
}

int avs_nonlocal_declare(avs_params *p, const char *prefix, const avs_nonlocal_spec *s) {
  if (s->channels < 1) return avs_seterr(AVS_EINVAL, "non-local block %s: %d channels", prefix, s->channels);
  int c = s->channels, ci = inter_width(s), rc;
  const char *pooled = s->sub_sample ? ".0" : "";
  char n[AVS_NAME_MAX];
  avs_conv_spec down = pointwise(c, ci), up = pointwise(ci, c);
  /* The port's state_dict order: g, W, theta, phi. */
  if ((rc = avs_unit_declare_conv(p, avs_unit_name(n, "%sg%s", prefix, pooled), &down))) return rc;
  if ((rc = avs_unit_declare_conv(p, avs_unit_name(n, "%sW.0", prefix), &up))) return rc;
  if ((rc = avs_unit_declare_bn(p, avs_unit_name(n, "%sW.1", prefix), c))) return rc;
  avs_tensor *gamma = avs_unit_param(p, "%sW.1.weight", prefix);
  for (int i = 0; i < c; i++) gamma->data[i] = 0; /* zero-initialised: the block starts as the identity */
  if ((rc = avs_unit_declare_conv(p, avs_unit_name(n, "%stheta", prefix), &down))) return rc;
  return avs_unit_declare_conv(p, avs_unit_name(n, "%sphi%s", prefix, pooled), &down);
}

/* A 1x1x1 conv, then the 1x2x2 max pool when sub-sampling; flattened to (N, L, ci). */
static avs_tensor *embed(avs_ctx *ctx, const avs_params *p, const char *prefix, const char *name,
                         const avs_nonlocal_spec *s, bool pooled, avs_tensor *x) {
  char n[AVS_NAME_MAX];
  avs_conv_spec down = pointwise(s->channels, inter_width(s));
  avs_tensor *y = avs_unit_conv(ctx, p, avs_unit_name(n, "%s%s%s", prefix, name, pooled ? ".0" : ""), &down, x);
  if (pooled) y = avs_unit_max_pool(ctx, avs_unit_name(n, "%s%s.1", prefix, name), 3, y,
                                    (avs_pool){.kernel = {1, 2, 2}, .stride = {1, 2, 2}});
  return y ? avs_reshape(ctx, y, 3, AVS_SHAPE(y->shape[0], -1, y->shape[4])) : NULL;
}

avs_tensor *avs_nonlocal_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, const avs_nonlocal_spec *s,
                                 avs_tensor *x) {
  if (!x) return NULL;
  if (x->ndim != 5 || x->shape[4] != s->channels) {
    char sh[96];
    avs_seterr(AVS_ESHAPE, "non-local block %s: input %s is not (N,T,H,W,%d)", prefix,
               avs_shape_str(x->ndim, x->shape, sh, sizeof sh), s->channels);
    return NULL;
  }
  char n[AVS_NAME_MAX];
  avs_tensor *theta = embed(ctx, p, prefix, "theta", s, false, x);
  avs_tensor *phi = embed(ctx, p, prefix, "phi", s, s->sub_sample, x);
  avs_tensor *g = embed(ctx, p, prefix, "g", s, s->sub_sample, x);
  /* (N, THW, L') attention of every position over the pooled ones; no 1/sqrt(d) scaling. */
  avs_tensor *attn = avs_softmax(ctx, avs_matmul(ctx, theta, phi, false, true));
  avs_tensor *y = avs_matmul(ctx, attn, g, false, false);
  y = avs_reshape(ctx, y, 5, AVS_SHAPE(x->shape[0], x->shape[1], x->shape[2], x->shape[3], inter_width(s)));
  avs_conv_spec up = pointwise(inter_width(s), s->channels);
  y = avs_unit_conv(ctx, p, avs_unit_name(n, "%sW.0", prefix), &up, y);
  avs_bn bn = {.weight = avs_unit_param(p, "%sW.1.weight", prefix), .bias = avs_unit_param(p, "%sW.1.bias", prefix),
               .running_mean = avs_unit_param(p, "%sW.1.running_mean", prefix),
               .running_var = avs_unit_param(p, "%sW.1.running_var", prefix)};
  if (!bn.weight || !bn.bias || !bn.running_mean || !bn.running_var) return NULL;
  y = avs_unit_batch_norm(ctx, y, &bn, s->norm_eval, false);
  avs_layer_trace_amend(ctx, y, bn.weight->numel + bn.bias->numel);
  return avs_add(ctx, y, x);
}

/* ---- placement after a ResNet block (see nonlocal.h) ---- */

int avs_nonlocal_resnet_check(const char *model, int mask) {
  if (mask >= 0 && !(mask >> AVS_NONLOCAL_RESNET_BITS)) return AVS_OK;
  return avs_seterr(AVS_EINVAL, "%s: nonlocal %d is not a mask of %d blocks (0 to %d; bit 2*(L-1)+b is layerL.b)",
                    model, mask, AVS_NONLOCAL_RESNET_BITS, (1 << AVS_NONLOCAL_RESNET_BITS) - 1);
}

static avs_nonlocal_spec after_spec(int channels, bool norm_eval) {
  return (avs_nonlocal_spec){.channels = channels, .sub_sample = true, .norm_eval = norm_eval};
}

int avs_nonlocal_after_declare(avs_params *p, const char *block, int channels) {
  char n[AVS_NAME_MAX];
  avs_nonlocal_spec s = after_spec(channels, false);
  return avs_nonlocal_declare(p, avs_unit_name(n, "%s.nonlocal.", block), &s);
}

avs_tensor *avs_nonlocal_after_forward(avs_ctx *ctx, const avs_params *p, const char *block, bool norm_eval,
                                       avs_tensor *x) {
  if (!x) return NULL;
  char n[AVS_NAME_MAX];
  avs_nonlocal_spec s = after_spec((int)x->shape[x->ndim - 1], norm_eval);
  return avs_nonlocal_forward(ctx, p, avs_unit_name(n, "%s.nonlocal.", block), &s, x);
}
