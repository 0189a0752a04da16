/* Batch normalisation against PyTorch, channels-last: training (output,
 * grads of x / weight / bias, running stats with the unbiased variance) and
 * eval (running stats), 2-D and 3-D, with and without affine parameters. */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[4096];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    bool train = tst_meta_int(st, "%s.train", name);
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
    bool has_w = tst_meta_int(st, "%s.weight", name), has_b = tst_meta_int(st, "%s.bias", name);
    avs_tensor *x = tst_tensor(st, "%s.x", name), *y_ref = tst_tensor(st, "%s.y", name);
    avs_tensor *gy = tst_tensor(st, "%s.gy", name), *gx_ref = tst_tensor(st, "%s.gx", name);
    avs_tensor *w = has_w ? tst_tensor(st, "%s.weight", name) : NULL;
    avs_tensor *b = has_b ? tst_tensor(st, "%s.bias", name) : NULL;
    avs_tensor *gw_ref = has_w ? tst_tensor(st, "%s.gw", name) : NULL;
    avs_tensor *gb_ref = has_b ? tst_tensor(st, "%s.gb", name) : NULL;
    avs_tensor *rm = tst_tensor(st, "%s.rm0", name), *rv = tst_tensor(st, "%s.rv0", name);
    avs_tensor *rm_ref = tst_tensor(st, "%s.rm", name), *rv_ref = tst_tensor(st, "%s.rv", name);
    rm->requires_grad = rv->requires_grad = false; /* buffers */
    avs_bn bn = {.weight = w, .bias = b, .running_mean = rm, .running_var = rv,
                 .eps = (float)tst_meta_float(st, "%s.eps", name),
                 .momentum = (float)tst_meta_float(st, "%s.momentum", name)};
    char what[128];
    avs_tensor *y = avs_batch_norm(ctx, x, &bn);
    if (!tst_true(y != NULL, "%s runs", name)) {
      printf("     %s\n", avs_errmsg());
      continue;
    }
    snprintf(what, sizeof what, "%s forward", name);
    tst_close(what, y->data, y_ref->data, y->numel, 1e-5f, 1e-4f);
    snprintf(what, sizeof what, "%s running_mean", name);
    tst_close(what, rm->data, rm_ref->data, rm->numel, 1e-6f, 1e-5f);
    snprintf(what, sizeof what, "%s running_var", name);
    tst_close(what, rv->data, rv_ref->data, rv->numel, 1e-6f, 1e-5f);
    if (train) {
      avs_clearerr(); /* backward kernels report failures through the error state */
    tst_true(avs_backward_from(ctx, y, gy->data) == 0 && avs_errcode() == 0, "%s backward (%s)", name, avs_errmsg());
      snprintf(what, sizeof what, "%s grad x", name);
      tst_close(what, x->grad, gx_ref->data, x->numel, 1e-4f, 1e-3f);
      if (w) {
        snprintf(what, sizeof what, "%s grad weight", name);
        tst_close(what, w->grad, gw_ref->data, w->numel, 1e-4f, 1e-3f);
      }
      if (b) {
        snprintf(what, sizeof what, "%s grad bias", name);
        tst_close(what, b->grad, gb_ref->data, b->numel, 1e-4f, 1e-3f);
      }
    }
    avs_ctx_free(&ctx);
    avs_tensor *all[] = {x, y_ref, gy, gx_ref, w, b, gw_ref, gb_ref, rm, rv, rm_ref, rv_ref};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) avs_tensor_free(&all[i]);
  }
  /* Training needs more than one value per channel; parameters must match C. */
  {
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
    avs_tensor *x = avs_tensor_new(2, AVS_SHAPE(1, 4)), *w = avs_tensor_new(1, AVS_SHAPE(3));
    avs_bn bn = {0};
    tst_true(!avs_batch_norm(ctx, x, &bn) && avs_errcode() == AVS_ESHAPE, "one value per channel: %s", avs_errmsg());
    bn.weight = w;
    avs_tensor *x2 = avs_tensor_new(4, AVS_SHAPE(2, 3, 3, 4));
    tst_true(!avs_batch_norm(ctx, x2, &bn) && avs_errcode() == AVS_ESHAPE, "weight size: %s", avs_errmsg());
    avs_tensor_free(&x), avs_tensor_free(&x2), avs_tensor_free(&w);
    avs_ctx_free(&ctx);
  }
  avs_st_close(&st);
  return tst_finish();
}
