/* Pooling against PyTorch: max/avg 2-D and 3-D (padding, ceil mode,
 * count_include_pad) and adaptive average pooling; forward 1e-5 abs / 1e-4
 * rel, input gradient 1e-5 abs / 1e-3 rel. A repeated inference forward
 * creates no primitive. */
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

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, avs_tensor *x) {
  const char *op = tst_meta_str(st, "%s.op", name);
  if (!strncmp(op, "adaptive", 8)) {
    int o[3];
    ints(tst_meta_str(st, "%s.out", name), o, 3);
    if (!strcmp(op, "adaptive_avg_pool2d")) return avs_adaptive_avg_pool2d(ctx, x, o[0], o[1]);
    return avs_adaptive_avg_pool3d(ctx, x, o[0], o[1], o[2]);
  }
  avs_pool p = {.ceil_mode = tst_meta_int(st, "%s.ceil_mode", name),
                .count_include_pad = tst_meta_int(st, "%s.count_include_pad", name)};
  ints(tst_meta_str(st, "%s.kernel", name), p.kernel, 3);
  ints(tst_meta_str(st, "%s.stride", name), p.stride, 3);
  ints(tst_meta_str(st, "%s.pad", name), p.pad, 3);
  if (!strcmp(op, "max_pool2d")) return avs_max_pool2d(ctx, x, p);
  if (!strcmp(op, "max_pool3d")) return avs_max_pool3d(ctx, x, p);
  if (!strcmp(op, "avg_pool2d")) return avs_avg_pool2d(ctx, x, p);
  if (!strcmp(op, "avg_pool3d")) return avs_avg_pool3d(ctx, x, p);
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
    avs_tensor *x = tst_tensor(st, "%s.x", name), *y_ref = tst_tensor(st, "%s.y", name);
    avs_tensor *gy = tst_tensor(st, "%s.gy", name), *gx_ref = tst_tensor(st, "%s.gx", name);
    char what[128];
    avs_tensor *y = run(ctx, st, name, x);
    if (!tst_true(y != NULL, "%s runs", name)) {
      printf("     %s\n", avs_errmsg());
      continue;
    }
    if (!tst_true(avs_tensor_same_shape(y, y_ref), "%s output shape", name)) continue;
    snprintf(what, sizeof what, "%s forward", name);
    tst_close(what, y->data, y_ref->data, y->numel, 1e-5f, 1e-4f);
    avs_clearerr(); /* backward kernels report failures through the error state */
    tst_true(avs_backward_from(ctx, y, gy->data) == 0 && avs_errcode() == 0, "%s backward (%s)", name, avs_errmsg());
    snprintf(what, sizeof what, "%s grad x", name);
    tst_close(what, x->grad, gx_ref->data, x->numel, 1e-5f, 1e-3f);
    avs_ctx_reset(ctx);

    avs_tensor *y1 = run(ictx, st, name, x);
    avs_dnnl_stats s0, s1;
    avs_dnnl_get_stats(ictx, &s0);
    avs_tensor *y2 = run(ictx, st, name, x);
    avs_dnnl_get_stats(ictx, &s1);
    tst_true(y1 && y2 && !memcmp(y1->data, y2->data, sizeof(float) * y1->numel) &&
                 s1.prims_created == s0.prims_created,
             "%s repeated inference: identical, %ld new primitives", name, s1.prims_created - s0.prims_created);
    snprintf(what, sizeof what, "%s inference forward", name);
    tst_close(what, y1->data, y_ref->data, y1->numel, 1e-5f, 1e-4f);
    avs_ctx_reset(ictx);
    avs_tensor_free(&x), avs_tensor_free(&y_ref), avs_tensor_free(&gy), avs_tensor_free(&gx_ref);
  }
  /* Bad parameters fail with a message naming the op. */
  {
    avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(1, 5, 5, 3));
    avs_tensor *y = avs_max_pool2d(ictx, x, (avs_pool){.kernel = {2, 2}, .pad = {2, 0}});
    tst_true(!y && avs_errcode() == AVS_ESHAPE && strstr(avs_errmsg(), "max_pool2d"), "padding over half the kernel: %s",
             avs_errmsg());
    y = avs_avg_pool3d(ictx, x, (avs_pool){.kernel = {2, 2, 2}});
    tst_true(!y && avs_errcode() == AVS_ESHAPE, "rank mismatch: %s", avs_errmsg());
    y = avs_avg_pool2d(ictx, x, (avs_pool){.kernel = {6, 2}});
    tst_true(!y && avs_errcode() == AVS_ESHAPE, "kernel larger than input: %s", avs_errmsg());
    y = avs_adaptive_avg_pool2d(ictx, x, 0, 2);
    tst_true(!y && avs_errcode() == AVS_ESHAPE, "empty adaptive output: %s", avs_errmsg());
    avs_tensor_free(&x);
  }
  avs_ctx_free(&ctx);
  avs_ctx_free(&ictx);
  avs_st_close(&st);
  return tst_finish();
}
