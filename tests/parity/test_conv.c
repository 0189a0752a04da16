/* Convolution and transposed convolution against PyTorch: forward 1e-4 rel /
 * 1e-5 abs, gradients of x, w, b 1e-3 rel. Also checks that the primitive and
 * weight caches work: a repeated inference forward creates no primitive and
 * reorders no weights, and changed weights (version bumped) are picked up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/dnnl_backend.h"
#include "tests/harness.h"

static void ints(const char *s, int *v, int n) {
  for (int i = 0; i < n; i++) v[i] = 0;
  for (int i = 0; i < n && *s; i++) {
    char *end;
    v[i] = (int)strtol(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
  }
}

static avs_tensor *run(avs_ctx *ctx, const char *op, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  if (!strcmp(op, "conv1d")) return avs_conv1d(ctx, x, w, b, p);
  if (!strcmp(op, "conv2d")) return avs_conv2d(ctx, x, w, b, p);
  if (!strcmp(op, "conv3d")) return avs_conv3d(ctx, x, w, b, p);
  if (!strcmp(op, "conv_transpose2d")) return avs_conv_transpose2d(ctx, x, w, b, p);
  if (!strcmp(op, "conv_transpose3d")) return avs_conv_transpose3d(ctx, x, w, b, p);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[4096];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  avs_ctx *ictx = avs_ctx_new(&(avs_ctx_params){.train = false});
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    const char *op = tst_meta_str(st, "%s.op", name);
    avs_conv p = {.groups = (int)tst_meta_int(st, "%s.groups", name)};
    ints(tst_meta_str(st, "%s.stride", name), p.stride, 3);
    ints(tst_meta_str(st, "%s.pad", name), p.pad, 3);
    ints(tst_meta_str(st, "%s.dilation", name), p.dilation, 3);
    ints(tst_meta_str(st, "%s.out_pad", name), p.out_pad, 3);
    bool has_b = tst_meta_int(st, "%s.bias", name);
    avs_tensor *x = tst_tensor(st, "%s.x", name), *w = tst_tensor(st, "%s.w", name);
    avs_tensor *b = has_b ? tst_tensor(st, "%s.b", name) : NULL;
    avs_tensor *y_ref = tst_tensor(st, "%s.y", name), *gy = tst_tensor(st, "%s.gy", name);
    avs_tensor *gx_ref = tst_tensor(st, "%s.gx", name), *gw_ref = tst_tensor(st, "%s.gw", name);
    avs_tensor *gb_ref = has_b ? tst_tensor(st, "%s.gb", name) : NULL;
    char what[128];

    avs_tensor *y = run(ctx, op, x, w, b, p);
    if (!tst_true(y != NULL, "%s runs", name)) {
      printf("     %s\n", avs_errmsg());
      continue;
    }
    tst_true(avs_tensor_same_shape(y, y_ref), "%s output shape", name);
    snprintf(what, sizeof what, "%s forward", name);
    tst_close(what, y->data, y_ref->data, y->numel, 1e-5f, 1e-4f);
    avs_clearerr(); /* backward kernels report failures through the error state */
    tst_true(avs_backward_from(ctx, y, gy->data) == 0 && avs_errcode() == 0, "%s backward (%s)", name, avs_errmsg());
    snprintf(what, sizeof what, "%s grad x", name);
    tst_close(what, x->grad, gx_ref->data, x->numel, 1e-4f, 1e-3f);
    snprintf(what, sizeof what, "%s grad w", name);
    tst_close(what, w->grad, gw_ref->data, w->numel, 1e-4f, 1e-3f);
    if (b) {
      snprintf(what, sizeof what, "%s grad b", name);
      tst_close(what, b->grad, gb_ref->data, b->numel, 1e-4f, 1e-3f);
    }
    /* gradients accumulate: a second backward doubles them */
    avs_ctx_reset(ctx);
    y = run(ctx, op, x, w, b, p);
    avs_backward_from(ctx, y, gy->data);
    for (int64_t i = 0; i < gw_ref->numel; i++) gw_ref->data[i] *= 2;
    snprintf(what, sizeof what, "%s grad w accumulates", name);
    tst_close(what, w->grad, gw_ref->data, w->numel, 2e-4f, 1e-3f);
    avs_ctx_reset(ctx);

    /* inference: caches */
    avs_tensor *y1 = run(ictx, op, x, w, b, p);
    avs_dnnl_stats s0, s1;
    avs_dnnl_get_stats(ictx, &s0);
    avs_tensor *y2 = run(ictx, op, x, w, b, p);
    avs_dnnl_get_stats(ictx, &s1);
    tst_true(y1 && y2 && !memcmp(y1->data, y2->data, sizeof(float) * y1->numel) &&
                 s1.prims_created == s0.prims_created && s1.weight_reorders == s0.weight_reorders,
             "%s repeated inference: identical, %ld new primitives, %ld weight reorders", name,
             s1.prims_created - s0.prims_created, s1.weight_reorders - s0.weight_reorders);
    snprintf(what, sizeof what, "%s inference forward", name);
    tst_close(what, y1->data, y_ref->data, y1->numel, 1e-5f, 1e-4f);
    /* scaling the weights by 2 (version bumped) scales the output minus bias by 2 */
    for (int64_t i = 0; i < w->numel; i++) w->data[i] *= 2;
    w->version++;
    avs_tensor *y3 = run(ictx, op, x, w, b, p);
    int64_t C = y_ref->shape[y_ref->ndim - 1];
    for (int64_t i = 0; i < y_ref->numel; i++) {
      float bias = b ? b->data[i % C] : 0;
      y_ref->data[i] = 2 * (y_ref->data[i] - bias) + bias;
    }
    snprintf(what, sizeof what, "%s after weight update", name);
    tst_close(what, y3->data, y_ref->data, y3->numel, 2e-5f, 1e-4f);
    avs_ctx_reset(ictx);

    avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&b), avs_tensor_free(&y_ref);
    avs_tensor_free(&gy), avs_tensor_free(&gx_ref), avs_tensor_free(&gw_ref), avs_tensor_free(&gb_ref);
  }

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
    tst_true(y1 && y2 && y2->data[100] == 3 * first && first != 0,
             "fresh weights at a reused address are reordered (%g = 3 x %g)", y2 ? y2->data[100] : 0, first);
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
  avs_ctx_free(&ctx);
  avs_ctx_free(&ictx);
  avs_st_close(&st);
  return tst_finish();
}
