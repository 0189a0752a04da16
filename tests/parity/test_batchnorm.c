/* Batch normalisation against PyTorch (gen_batchnorm.py, the op-case runner),
 * channels-last: training (output, grads of x / weight / bias, running stats
 * with the unbiased variance) and eval (running stats), 1-D, 2-D and 3-D,
 * with and without affine parameters, channel counts that go to oneDNN (a
 * multiple of 8) and that batchnorm.c computes itself (the others, 13 as
 * xattn's bn0 among them). Forward 1e-5 abs / 1e-4 rel, gradients
 * 1e-4 / 1e-3, running statistics 1e-6 / 1e-5. Then bad shapes. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"batch_norm", 1e-5f, 1e-4f, 1e-4f, 1e-3f},
    {NULL, 0, 0, 0, 0},
};

/* in: x, [weight], [bias], running mean, running variance */
static avs_bn params(avs_st *st, const char *name, avs_tensor **in, int *i) {
  avs_bn bn = {.eps = (float)tst_meta_float(st, "%s.eps", name),
               .momentum = (float)tst_meta_float(st, "%s.momentum", name)};
  *i = 1;
  if (tst_meta_int(st, "%s.weight", name)) bn.weight = in[(*i)++];
  if (tst_meta_int(st, "%s.bias", name)) bn.bias = in[(*i)++];
  bn.running_mean = in[(*i)++];
  bn.running_var = in[(*i)++];
  return bn;
}

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)op;
  int used;
  avs_bn bn = params(st, name, in, &used);
  if (used != n) return NULL;
  avs_ctx_set_train(ctx, tst_meta_int(st, "%s.train", name) != 0);
  return avs_batch_norm(ctx, in[0], &bn);
}

/* the running statistics after the step */
static void after(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n, avs_tensor *y) {
  (void)ctx, (void)op, (void)n, (void)y;
  int used;
  avs_bn bn = params(st, name, in, &used);
  tst_close_ref(st, name, "rm", bn.running_mean->data, 1e-6f, 1e-5f);
  tst_close_ref(st, name, "rv", bn.running_var->data, 1e-6f, 1e-5f);
}

/* Training needs more than one value per channel; parameters must match C. */
static void extra(avs_ctx *ctx) {
  avs_tensor *x = avs_tensor_new(2, AVS_SHAPE(1, 4)), *w = avs_tensor_new(1, AVS_SHAPE(3));
  avs_bn bn = {0};
  tst_true(!avs_batch_norm(ctx, x, &bn) && avs_errcode() == AVS_ESHAPE, "one value per channel: %s", avs_errmsg());
  bn.weight = w;
  avs_tensor *x2 = avs_tensor_new(4, AVS_SHAPE(2, 3, 3, 4));
  tst_true(!avs_batch_norm(ctx, x2, &bn) && avs_errcode() == AVS_ESHAPE, "weight size: %s", avs_errmsg());
  avs_tensor_free(&x), avs_tensor_free(&x2), avs_tensor_free(&w);
}

int main(int argc, char **argv) {
  return oc_run(argc, argv, &(oc_suite){.run = run, .tols = tols, .after = after, .extra = extra});
}
