/* Conv / batch-norm / linear / pooling units (see unit.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "av/status.h"
#include "nn/fold.h"
#include "nn/trace.h"
#include "nn/unit.h"

char *avs_unit_name(char *buf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, AVS_NAME_MAX, fmt, ap);
  va_end(ap);
  return buf;
}

avs_tensor *avs_unit_param(const avs_params *p, const char *fmt, ...) {
  char name[AVS_NAME_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  avs_tensor *t = avs_params_find(p, name);
  if (!t) avs_seterr(AVS_ENOTFOUND, "%s model has no tensor '%s'", p->arch, name);
  return t;
}

/* Declares name.suffix with the given shape; AVS_OK or the error code. */
static int add(avs_params *p, const char *name, const char *suffix, int ndim, const int64_t *shape, bool grad) {
  char full[AVS_NAME_MAX];
  snprintf(full, sizeof full, "%s.%s", name, suffix);
  avs_tensor *t = avs_params_add(p, full, ndim, shape);
  if (!t) return avs_errcode();
  t->requires_grad = grad;
  return AVS_OK;
}

int avs_unit_declare_conv(avs_params *p, const char *name, const avs_conv_spec *s) {
  if (s->nsp < 1 || s->nsp > 3 || s->in < 1 || s->out < 1)
    return avs_seterr(AVS_EINVAL, "%s: bad convolution (%d spatial dims, %d -> %d channels)", name, s->nsp, s->in,
                      s->out);
  int64_t shape[5] = {s->out, s->in, s->k[0], s->k[1], s->k[2]};
  int rc = add(p, name, "weight", 2 + s->nsp, shape, true);
  if (!rc && s->bias) rc = add(p, name, "bias", 1, shape, true);
  return rc;
}

int avs_unit_declare_conv_transpose(avs_params *p, const char *name, const avs_conv_spec *s) {
  if (s->nsp < 2 || s->nsp > 3 || s->in < 1 || s->out < 1)
    return avs_seterr(AVS_EINVAL, "%s: bad transposed convolution (%d spatial dims, %d -> %d channels)", name, s->nsp,
                      s->in, s->out);
  int64_t shape[5] = {s->in, s->out, s->k[0], s->k[1], s->k[2]}; /* ConvTranspose: (in, out, k...) */
  int rc = add(p, name, "weight", 2 + s->nsp, shape, true);
  if (!rc && s->bias) rc = add(p, name, "bias", 1, shape + 1, true);
  return rc;
}

int avs_unit_declare_bn(avs_params *p, const char *name, int channels) {
  const int64_t c[1] = {channels};
  int rc = add(p, name, "weight", 1, c, true);
  if (!rc) rc = add(p, name, "bias", 1, c, true);
  if (!rc) rc = add(p, name, "running_mean", 1, c, false);
  if (!rc) rc = add(p, name, "running_var", 1, c, false);
  if (!rc) { /* PyTorch's initial state: unit weight and variance */
    char full[AVS_NAME_MAX];
    snprintf(full, sizeof full, "%s.weight", name);
    avs_tensor *w = avs_params_find(p, full);
    snprintf(full, sizeof full, "%s.running_var", name);
    avs_tensor *v = avs_params_find(p, full);
    for (int i = 0; i < channels; i++) w->data[i] = v->data[i] = 1.0f;
  }
  return rc;
}

int avs_unit_declare_linear(avs_params *p, const char *name, int in, int out) {
  int rc = add(p, name, "weight", 2, (const int64_t[]){out, in}, true);
  if (!rc) rc = add(p, name, "bias", 1, (const int64_t[]){out}, true);
  return rc;
}

int avs_unit_declare(avs_params *p, const char *conv, const char *bn, const avs_conv_spec *s) {
  int rc = avs_unit_declare_conv(p, conv, s);
  return rc ? rc : avs_unit_declare_bn(p, bn, s->out);
}

static avs_conv conv_params(const avs_conv_spec *s) {
  avs_conv c = {0};
  for (int i = 0; i < s->nsp; i++)
    c.stride[i] = s->stride[i] ? s->stride[i] : 1, c.pad[i] = s->pad[i], c.dilation[i] = s->dilation[i];
  return c;
}

/* The convolution op of a spec's spatial dims (1-D, 2-D or 3-D). */
static avs_tensor *conv_op(avs_ctx *ctx, int nsp, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv c) {
  return nsp == 3 ? avs_conv3d(ctx, x, w, b, c) : nsp == 2 ? avs_conv2d(ctx, x, w, b, c) : avs_conv1d(ctx, x, w, b, c);
}

static const char *const conv_kinds[4] = {"", "conv1d", "conv2d", "conv3d"};

/* A convolution or a transposed one under `name`, traced; multiply-adds: every
 * output element of a conv meets in/groups x k weights, every input element of a
 * transposed conv meets out x k weights. */
static avs_tensor *conv_unit(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                             avs_tensor *x, bool transposed, bool relu) {
  avs_tensor *w = avs_unit_param(p, "%s.weight", name);
  avs_tensor *b = s->bias ? avs_unit_param(p, "%s.bias", name) : NULL;
  if (!x || !w || (s->bias && !b)) return NULL;
  avs_conv c = conv_params(s);
  c.relu = relu;
  bool d3 = s->nsp == 3;
  avs_tensor *y = transposed ? (d3 ? avs_conv_transpose3d : avs_conv_transpose2d)(ctx, x, w, b, c)
                             : conv_op(ctx, s->nsp, x, w, b, c);
  if (!y) return NULL;
  int64_t macs = transposed ? x->numel * (w->numel / s->in) : y->numel * (w->numel / s->out);
  avs_layer_trace_add(ctx, name, transposed ? (d3 ? "convT3d" : "convT2d") : conv_kinds[s->nsp], y,
                      w->numel + (b ? b->numel : 0), macs);
  return y;
}

avs_tensor *avs_unit_conv(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                          avs_tensor *x) {
  return conv_unit(ctx, p, name, s, x, false, false);
}

avs_tensor *avs_unit_conv_relu(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                               avs_tensor *x) {
  return conv_unit(ctx, p, name, s, x, false, true);
}

avs_tensor *avs_unit_conv_transpose(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                                    avs_tensor *x) {
  return conv_unit(ctx, p, name, s, x, true, false);
}

static bool bn_params(const avs_params *p, const char *name, avs_bn *bn) {
  *bn = (avs_bn){.weight = avs_unit_param(p, "%s.weight", name), .bias = avs_unit_param(p, "%s.bias", name),
                 .running_mean = avs_unit_param(p, "%s.running_mean", name),
                 .running_var = avs_unit_param(p, "%s.running_var", name)};
  return bn->weight && bn->bias && bn->running_mean && bn->running_var;
}

static avs_tensor *bn_unit(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x, bool relu) {
  avs_bn bn;
  if (!bn_params(p, name, &bn)) return NULL;
  avs_tensor *y = relu ? avs_batch_norm_relu(ctx, x, &bn) : avs_batch_norm(ctx, x, &bn);
  avs_layer_trace_amend(ctx, y, bn.weight->numel + bn.bias->numel);
  return y;
}

avs_tensor *avs_unit_bn(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x) {
  return bn_unit(ctx, p, name, x, false);
}

avs_tensor *avs_unit_bn_relu(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x) {
  return bn_unit(ctx, p, name, x, true);
}

avs_tensor *avs_unit_bn_layer(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x) {
  avs_bn bn;
  if (!bn_params(p, name, &bn)) return NULL;
  avs_tensor *y = avs_batch_norm(ctx, x, &bn);
  if (y) avs_layer_trace_add(ctx, name, "batchnorm", y, bn.weight->numel + bn.bias->numel, 0);
  return y;
}

/* conv, batch norm and, when relu, ReLU: folded into one convolution (with the ReLU on its output
 * pass) in eval mode, the ReLU on the batch norm's pass in training. */
static avs_tensor *conv_bn(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn_name,
                           const avs_conv_spec *s, avs_tensor *x, bool relu) {
  avs_bn bn;
  avs_tensor *w = avs_unit_param(p, "%s.weight", conv), *b = s->bias ? avs_unit_param(p, "%s.bias", conv) : NULL;
  if (!x || !w || (s->bias && !b) || !bn_params(p, bn_name, &bn)) return NULL;
  avs_tensor *fw, *fb;
  int folded = avs_ctx_train(ctx) ? 0 : avs_fold_get(ctx, w, b, &bn, &fw, &fb);
  if (folded < 0) return NULL;
  if (!folded) return bn_unit(ctx, p, bn_name, avs_unit_conv(ctx, p, conv, s, x), relu);
  avs_conv c = conv_params(s);
  c.relu = relu;
  avs_tensor *y = conv_op(ctx, s->nsp, x, fw, fb, c);
  if (y) avs_layer_trace_add(ctx, conv, conv_kinds[s->nsp], y,
                             w->numel + (b ? b->numel : 0) + bn.weight->numel + bn.bias->numel,
                             y->numel * (w->numel / s->out));
  return y;
}

avs_tensor *avs_unit_conv_bn(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn_name,
                             const avs_conv_spec *s, avs_tensor *x) {
  return conv_bn(ctx, p, conv, bn_name, s, x, false);
}

/* conv(W, [x, r]) = conv(W_x, x) + conv(W_r, r), r = shared's rows by index: the weight split along its
 * input channels (dim 1 of a conv's (O, I, k..), dim 0 of a transposed one's (I, O, k..)), the bias
 * with x's part; shared is convolved once per row of its own. Traced under name. */
static avs_tensor *joined(avs_ctx *ctx, const char *name, const avs_conv_spec *s, bool transposed, avs_tensor *x,
                          avs_tensor *shared, const int *index, avs_tensor *w, avs_tensor *b, int64_t params) {
  if (!index && shared->shape[0] != x->shape[0]) {
    avs_seterr(AVS_ESHAPE, "%s: %lld rows joined to %lld shared rows without an index", name,
               (long long)x->shape[0], (long long)shared->shape[0]);
    return NULL;
  }
  int in_dim = transposed ? 0 : 1;
  int64_t cx = x->shape[x->ndim - 1], k = w->numel / (w->shape[0] * w->shape[1]); /* kernel positions */
  avs_conv c = conv_params(s);
  avs_tensor *wx = avs_slice(ctx, w, in_dim, 0, cx, 1), *ws = avs_slice(ctx, w, in_dim, cx, w->shape[in_dim], 1);
  avs_tensor *yx = transposed ? avs_conv_transpose2d(ctx, x, wx, b, c) : conv_op(ctx, s->nsp, x, wx, b, c);
  avs_tensor *ys = transposed ? avs_conv_transpose2d(ctx, shared, ws, NULL, c)
                              : conv_op(ctx, s->nsp, shared, ws, NULL, c);
  /* one shared row (one mixture): the add broadcasts it, no copy per row of x */
  avs_tensor *y = avs_add(ctx, yx, index && ys && shared->shape[0] > 1 ? avs_rows(ctx, ys, index, x->shape[0]) : ys);
  if (!y) return NULL;
  int64_t macs = transposed ? (x->numel + shared->numel) * s->out * k
                            : yx->numel * cx * k + ys->numel * (w->shape[1] - cx) * k;
  avs_layer_trace_add(ctx, name, transposed ? "convT2d" : conv_kinds[s->nsp], y, params, macs);
  return y;
}

avs_tensor *avs_unit_conv_bn_joined(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn_name,
                                    const avs_conv_spec *s, avs_tensor *x, avs_tensor *shared, const int *index) {
  if (!shared) return bn_name ? avs_unit_conv_bn(ctx, p, conv, bn_name, s, x) : avs_unit_conv(ctx, p, conv, s, x);
  avs_bn bn;
  avs_tensor *w = avs_unit_param(p, "%s.weight", conv), *b = s->bias ? avs_unit_param(p, "%s.bias", conv) : NULL;
  if (!x || !w || (s->bias && !b) || (bn_name && !bn_params(p, bn_name, &bn))) return NULL;
  avs_tensor *fw = w, *fb = b;
  int folded = bn_name && !avs_ctx_train(ctx) ? avs_fold_get(ctx, w, b, &bn, &fw, &fb) : 0;
  if (folded < 0) return NULL;
  avs_tensor *y = joined(ctx, conv, s, false, x, shared, index, fw, fb,
                         w->numel + (b ? b->numel : 0) + (bn_name ? bn.weight->numel + bn.bias->numel : 0));
  return bn_name && !folded && y ? avs_batch_norm(ctx, y, &bn) : y;
}

avs_tensor *avs_unit_conv_transpose_joined(avs_ctx *ctx, const avs_params *p, const char *name,
                                           const avs_conv_spec *s, avs_tensor *x, avs_tensor *shared,
                                           const int *index) {
  if (!shared) return avs_unit_conv_transpose(ctx, p, name, s, x);
  if (s->nsp != 2) {
    avs_seterr(AVS_EINVAL, "%s: a joined transposed convolution is 2-D, not %d-D", name, s->nsp);
    return NULL;
  }
  avs_tensor *w = avs_unit_param(p, "%s.weight", name), *b = s->bias ? avs_unit_param(p, "%s.bias", name) : NULL;
  if (!x || !w || (s->bias && !b)) return NULL;
  return joined(ctx, name, s, true, x, shared, index, w, b, w->numel + (b ? b->numel : 0));
}

avs_tensor *avs_unit_forward(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn,
                             const avs_conv_spec *s, avs_tensor *x, bool relu) {
  return conv_bn(ctx, p, conv, bn, s, x, relu);
}

avs_tensor *avs_unit_linear(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x) {
  char bias[AVS_NAME_MAX];
  avs_tensor *w = avs_unit_param(p, "%s.weight", name), *b = avs_params_find(p, avs_unit_name(bias, "%s.bias", name));
  if (!x || !w) return NULL;
  avs_tensor *y = avs_linear(ctx, x, w, b);
  if (y) avs_layer_trace_add(ctx, name, "linear", y, w->numel + (b ? b->numel : 0), y->numel * w->shape[1]);
  return y;
}

avs_tensor *avs_unit_max_pool(avs_ctx *ctx, const char *name, int nsp, avs_tensor *x, avs_pool pool) {
  avs_tensor *y = nsp == 3 ? avs_max_pool3d(ctx, x, pool) : avs_max_pool2d(ctx, x, pool);
  if (y) avs_layer_trace_add(ctx, name, nsp == 3 ? "maxpool3d" : "maxpool2d", y, 0, 0);
  return y;
}

/* With fixed statistics: y = x * scale + shift, scale = w / sqrt(var + eps),
 * shift = b - mean * scale. */
avs_tensor *avs_unit_batch_norm(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn, bool norm_eval, bool relu) {
  if (!x) return NULL;
  if (!norm_eval || !avs_ctx_train(ctx)) return relu ? avs_batch_norm_relu(ctx, x, bn) : avs_batch_norm(ctx, x, bn);
  int64_t c = bn->running_var->numel;
  avs_tensor *inv = avs_ctx_tensor(ctx, 1, &c);
  if (!inv) return NULL;
  float eps = bn->eps > 0 ? bn->eps : 1e-5f;
  for (int64_t i = 0; i < c; i++) inv->data[i] = 1.0f / sqrtf(bn->running_var->data[i] + eps);
  avs_tensor *scale = avs_mul(ctx, bn->weight, inv);
  avs_tensor *shift = avs_sub(ctx, bn->bias, avs_mul(ctx, bn->running_mean, scale));
  avs_tensor *y = avs_add(ctx, avs_mul(ctx, x, scale), shift);
  return relu ? avs_relu(ctx, y) : y;
}
