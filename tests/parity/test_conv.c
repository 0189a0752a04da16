/* Convolution and transposed convolution against PyTorch (gen_conv.py, the
 * op-case runner; references computed in float64): forward 1e-4 rel / 1e-5 abs (where it takes
 * Winograd's path, in training or inference, 2e-5 of the output's largest magnitude: winograd.h),
 * gradients of x, w, b 1e-3 rel (a weight gradient by Winograd's path, 2e-5 of its largest
 * magnitude too: its rounding spreads over the whole tensor, up to 7e-6 of it in unit_winograd).
 * Per case also: gradients accumulate over a second backward; the primitive
 * and weight caches work (a repeated inference forward creates no primitive
 * and reorders no weights, and changed weights, version bumped, are picked
 * up). Then a reused weight address and bad shapes. */
#include <math.h>

#include "av/ops/dnnl_backend.h"
#include "av/ops/winograd.h"
#include "tests/parity/op_cases.h"

#define CONV_TOL 1e-5f, 1e-4f, 1e-4f, 1e-3f
static const oc_tol tols[] = {
    {"conv1d", CONV_TOL},           {"conv2d", CONV_TOL},           {"conv3d", CONV_TOL},
    {"conv_transpose2d", CONV_TOL}, {"conv_transpose3d", CONV_TOL}, {NULL, 0, 0, 0, 0},
};

static avs_ctx *ictx; /* inference: the caches */

static float max_abs(const float *v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i]));
  return m;
}

/* Whether the case's forward (taped or not) and weight gradient take Winograd's path, by conv.c's
 * rule: a forward
 * convolution (not transposed, one group) with a 3 x 3 kernel of stride 1 in space, equal
 * dilations there, stride 1 and no dilation in time, enough channels and tiles (avs_wino_suits). */
static bool takes_winograd(avs_st *st, const char *name, avs_tensor **in) {
  const char *op = tst_meta_str(st, "%s.op", name);
  int nsp = !strcmp(op, "conv2d") ? 2 : !strcmp(op, "conv3d") ? 3 : 0;
  int stride[3], pad[3], dil[3];
  oc_meta_int_array(st, name, "stride", stride, 3);
  oc_meta_int_array(st, name, "pad", pad, 3);
  oc_meta_int_array(st, name, "dilation", dil, 3);
  const avs_tensor *x = in[0], *w = in[1];
  if (!nsp || tst_meta_int(st, "%s.groups", name) > 1 || w->shape[nsp] != 3 || w->shape[nsp + 1] != 3) return false;
  for (int i = 0; i < nsp; i++) {
    if (stride[i] > 1) return false;
    dil[i] = dil[i] > 0 ? dil[i] : 1;
  }
  int h = nsp - 2; /* the spatial axes' index in stride, pad, dilation */
  if (dil[h] != dil[h + 1] || (h && dil[0] != 1)) return false;
  avs_wino_geo g = {.N = x->shape[0], .H = x->shape[h + 1], .W = x->shape[h + 2], .C = w->shape[1], .O = w->shape[0],
                    .pad_h = pad[h], .pad_w = pad[h + 1], .dil = dil[h]};
  g.OH = g.H + 2 * pad[h] - 2 * g.dil, g.OW = g.W + 2 * pad[h + 1] - 2 * g.dil;
  if (h) g.T = x->shape[1], g.kt = w->shape[2], g.pad_t = pad[0], g.OT = g.T + 2 * pad[0] - g.kt + 1;
  return avs_wino_suits(&g);
}

static float grad_atol(avs_st *st, const char *name, avs_tensor **in, int i, const avs_tensor *g_ref, float atol) {
  if (i != 1 || !takes_winograd(st, name, in)) return atol;
  return fmaxf(atol, 2e-5f * max_abs(g_ref->data, g_ref->numel));
}

static float fwd_atol(avs_st *st, const char *name, avs_tensor **in, const avs_tensor *y_ref, float atol) {
  if (!takes_winograd(st, name, in)) return atol;
  return fmaxf(atol, 2e-5f * max_abs(y_ref->data, y_ref->numel));
}

static avs_tensor *conv(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  avs_conv p = {.groups = (int)tst_meta_int(st, "%s.groups", name)};
  oc_meta_int_array(st, name, "stride", p.stride, 3);
  oc_meta_int_array(st, name, "pad", p.pad, 3);
  oc_meta_int_array(st, name, "dilation", p.dilation, 3);
  oc_meta_int_array(st, name, "out_pad", p.out_pad, 3);
  avs_tensor *x = in[0], *w = in[1], *b = n > 2 ? in[2] : NULL;
  if (!strcmp(op, "conv1d")) return avs_conv1d(ctx, x, w, b, p);
  if (!strcmp(op, "conv2d")) return avs_conv2d(ctx, x, w, b, p);
  if (!strcmp(op, "conv3d")) return avs_conv3d(ctx, x, w, b, p);
  if (!strcmp(op, "conv_transpose2d")) return avs_conv_transpose2d(ctx, x, w, b, p);
  if (!strcmp(op, "conv_transpose3d")) return avs_conv_transpose3d(ctx, x, w, b, p);
  return NULL;
}

static void after(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n, avs_tensor *y) {
  (void)y;
  avs_tensor *w = in[1], *b = n > 2 ? in[2] : NULL;
  avs_tensor *y_ref = tst_tensor(st, "%s.y", name), *gy = tst_tensor(st, "%s.gy", name);
  avs_tensor *gw_ref = tst_tensor(st, "%s.g1", name);
  char what[128];
  /* gradients accumulate: a second backward doubles them */
  avs_ctx_reset(ctx);
  avs_tensor *y2 = conv(ctx, st, name, op, in, n);
  tst_true(y2 && avs_backward_from(ctx, y2, gy->data) == 0, "%s second backward (%s)", name, avs_errmsg());
  for (int64_t i = 0; i < gw_ref->numel; i++) gw_ref->data[i] *= 2;
  snprintf(what, sizeof what, "%s grad w accumulates", name);
  tst_close(what, w->grad, gw_ref->data, w->numel, grad_atol(st, name, in, 1, gw_ref, 2e-4f), 1e-3f);

  /* inference: caches */
  avs_dnnl_stats s0, s1;
  avs_dnnl_get_stats(ictx, &s0);
  avs_tensor *y1 = conv(ictx, st, name, op, in, n);
  avs_dnnl_get_stats(ictx, &s1);
  bool winograd = s1.executions == s0.executions; /* Winograd's path runs no oneDNN primitive */
  avs_dnnl_get_stats(ictx, &s0);
  y2 = conv(ictx, st, name, op, in, n);
  avs_dnnl_get_stats(ictx, &s1);
  tst_true(y1 && y2 && !memcmp(y1->data, y2->data, sizeof(float) * y1->numel) &&
               s1.prims_created == s0.prims_created && s1.weight_reorders == s0.weight_reorders,
           "%s repeated inference: identical, %ld new primitives, %ld weight reorders", name,
           s1.prims_created - s0.prims_created, s1.weight_reorders - s0.weight_reorders);
  snprintf(what, sizeof what, "%s inference forward%s", name, winograd ? " (Winograd)" : "");
  float wino_atol = 2e-5f * max_abs(y_ref->data, y_ref->numel); /* unit_winograd's bound against direct */
  if (y1) tst_close(what, y1->data, y_ref->data, y1->numel, winograd ? wino_atol : 1e-5f, 1e-4f);
  /* scaling the weights by 2 (version bumped) scales the output minus bias by 2 */
  for (int64_t i = 0; i < w->numel; i++) w->data[i] *= 2;
  w->version++;
  avs_tensor *y3 = conv(ictx, st, name, op, in, n);
  int64_t C = y_ref->shape[y_ref->ndim - 1];
  for (int64_t i = 0; i < y_ref->numel; i++) {
    float bias = b ? b->data[i % C] : 0;
    y_ref->data[i] = 2 * (y_ref->data[i] - bias) + bias;
  }
  snprintf(what, sizeof what, "%s after weight update", name);
  if (tst_true(y3 != NULL, "%s runs after a weight update", name))
    tst_close(what, y3->data, y_ref->data, y3->numel, winograd ? 2 * wino_atol : 2e-5f, 1e-4f);
  avs_ctx_reset(ictx);
  avs_tensor_free(&y_ref), avs_tensor_free(&gy), avs_tensor_free(&gw_ref);
}

static void extra(avs_ctx *ctx) {
  (void)ctx;
  /* A new weight tensor at a freed one's address, with the same version,
   * must not be served the old reordered weights. */
  {
    avs_tensor *x = avs_tensor_new(5, AVS_SHAPE(1, 4, 6, 6, 16));
    for (int64_t i = 0; i < x->numel; i++) x->data[i] = (float)((i * 37) % 11) - 5;
    avs_tensor *w1 = avs_tensor_new(5, AVS_SHAPE(32, 16, 3, 3, 3));
    for (int64_t i = 0; i < w1->numel; i++) w1->data[i] = 0.01f * (float)((i * 13) % 7 - 3);
    avs_conv p = {.pad = {1, 1, 1}};
    avs_tensor *y1 = avs_conv3d(ictx, x, w1, NULL, p);
    float first = y1 ? y1->data[100] : 0;
    avs_tensor_free(&w1);
    avs_tensor *w2 = avs_tensor_new(5, AVS_SHAPE(32, 16, 3, 3, 3));
    for (int64_t i = 0; i < w2->numel; i++) w2->data[i] = 0.03f * (float)((i * 13) % 7 - 3);
    avs_tensor *y2 = avs_conv3d(ictx, x, w2, NULL, p);
    /* 3x up to the kernel's float rounding (0.03f is not exactly 3 x 0.01f); stale
     * weights would give 1x */
    tst_true(y1 && y2 && fabsf(y2->data[100] - 3 * first) <= 1e-5f * fabsf(3 * first) && first != 0,
             "fresh weights at a reused address are reordered (%.8g = 3 x %.8g)", y2 ? y2->data[100] : 0, first);
    avs_tensor_free(&w2);
    avs_tensor_free(&x);
    avs_ctx_reset(ictx);
  }
  /* Bad shapes fail with a message naming the op. */
  {
    avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(1, 5, 5, 3)), *w = avs_tensor_new(4, AVS_SHAPE(4, 2, 3, 3));
    avs_tensor *y = avs_conv2d(ictx, x, w, NULL, (avs_conv){0});
    tst_true(!y && avs_errcode() == AVS_ESHAPE && strstr(avs_errmsg(), "conv2d"), "channel mismatch: %s", avs_errmsg());
    y = avs_conv3d(ictx, x, w, NULL, (avs_conv){0});
    tst_true(!y && avs_errcode() == AVS_ESHAPE, "rank mismatch: %s", avs_errmsg());
    avs_tensor *w3 = avs_tensor_new(4, AVS_SHAPE(4, 3, 7, 7));
    y = avs_conv2d(ictx, x, w3, NULL, (avs_conv){0});
    tst_true(!y && avs_errcode() == AVS_ESHAPE, "kernel larger than input: %s", avs_errmsg());
    tst_true(avs_conv2d(ictx, NULL, w3, NULL, (avs_conv){0}) == NULL, "NULL input gives NULL");
    avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&w3);
  }
  avs_ctx_free(&ictx);
}

int main(int argc, char **argv) {
  ictx = avs_ctx_new(&(avs_ctx_params){.train = false});
  return oc_run(argc, argv,
                &(oc_suite){.run = conv, .tols = tols, .after = after, .extra = extra, .grad_atol = grad_atol,
                              .fwd_atol = fwd_atol});
}
