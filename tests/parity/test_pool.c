/* Pooling against PyTorch (gen_pool.py, the op-case runner): max/avg 2-D and
 * 3-D (padding, ceil mode, count_include_pad) and adaptive average pooling;
 * forward 1e-5 abs / 1e-4 rel, input gradient 1e-5 abs / 1e-3 rel. Per case
 * also: a repeated inference forward is identical and creates no primitive.
 * Then bad parameters. */
#include "av/ops/dnnl_backend.h"
#include "tests/parity/op_cases.h"

#define POOL_TOL 1e-5f, 1e-4f, 1e-5f, 1e-3f
static const oc_tol tols[] = {
    {"max_pool2d", POOL_TOL},          {"max_pool3d", POOL_TOL},          {"avg_pool2d", POOL_TOL},
    {"avg_pool3d", POOL_TOL},          {"adaptive_avg_pool2d", POOL_TOL}, {"adaptive_avg_pool3d", POOL_TOL},
    {NULL, 0, 0, 0, 0},
};

static avs_ctx *ictx; /* inference: the primitive cache */

static avs_tensor *pool(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)n;
  avs_tensor *x = in[0];
  if (!strncmp(op, "adaptive", 8)) {
    int o[3];
    oc_meta_int_array(st, name, "out", o, 3);
    if (!strcmp(op, "adaptive_avg_pool2d")) return avs_adaptive_avg_pool2d(ctx, x, o[0], o[1]);
    return avs_adaptive_avg_pool3d(ctx, x, o[0], o[1], o[2]);
  }
  avs_pool p = {.ceil_mode = tst_meta_int(st, "%s.ceil_mode", name),
                .count_include_pad = tst_meta_int(st, "%s.count_include_pad", name)};
  oc_meta_int_array(st, name, "kernel", p.kernel, 3);
  oc_meta_int_array(st, name, "stride", p.stride, 3);
  oc_meta_int_array(st, name, "pad", p.pad, 3);
  if (!strcmp(op, "max_pool2d")) return avs_max_pool2d(ctx, x, p);
  if (!strcmp(op, "max_pool3d")) return avs_max_pool3d(ctx, x, p);
  if (!strcmp(op, "avg_pool2d")) return avs_avg_pool2d(ctx, x, p);
  if (!strcmp(op, "avg_pool3d")) return avs_avg_pool3d(ctx, x, p);
  return NULL;
}

static void after(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n, avs_tensor *y) {
  (void)ctx, (void)y;
  avs_tensor *y_ref = tst_tensor(st, "%s.y", name);
  avs_tensor *y1 = pool(ictx, st, name, op, in, n);
  avs_dnnl_stats s0, s1;
  avs_dnnl_get_stats(ictx, &s0);
  avs_tensor *y2 = pool(ictx, st, name, op, in, n);
  avs_dnnl_get_stats(ictx, &s1);
  tst_true(y1 && y2 && !memcmp(y1->data, y2->data, sizeof(float) * y1->numel) && s1.prims_created == s0.prims_created,
           "%s repeated inference: identical, %ld new primitives", name, s1.prims_created - s0.prims_created);
  char what[128];
  snprintf(what, sizeof what, "%s inference forward", name);
  if (y1) tst_close(what, y1->data, y_ref->data, y1->numel, 1e-5f, 1e-4f);
  avs_ctx_reset(ictx);
  avs_tensor_free(&y_ref);
}

/* Bad parameters fail with a message naming the op. */
static void extra(avs_ctx *ctx) {
  (void)ctx;
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
  avs_ctx_free(&ictx);
}

int main(int argc, char **argv) {
  ictx = avs_ctx_new(&(avs_ctx_params){.train = false});
  return oc_run(argc, argv, &(oc_suite){.run = pool, .tols = tols, .after = after, .extra = extra});
}
