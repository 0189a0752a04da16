/* Finite-difference checks of the batch norm backward kernel (training mode,
 * batch statistics): input, weight and bias, 2-D and 3-D channels-last. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_bn(avs_ctx *ctx, avs_tensor **in, void *arg) {
  avs_bn bn = *(avs_bn *)arg;
  bn.weight = in[1], bn.bias = in[2];
  return avs_batch_norm(ctx, in[0], &bn);
}

static void check(const char *name, int ndim, const int64_t *xs, bool affine) {
  int64_t C = xs[ndim - 1];
  avs_tensor *in[3] = {avs_tensor_new(ndim, xs), affine ? avs_tensor_new(1, &C) : NULL,
                       affine ? avs_tensor_new(1, &C) : NULL};
  avs_tensor *rm = avs_tensor_new(1, &C), *rv = avs_tensor_new(1, &C);
  rm->requires_grad = rv->requires_grad = false;
  gc_fill(in[0], -2, 2, 21);
  if (affine) gc_fill(in[1], 0.5f, 1.5f, 22), gc_fill(in[2], -0.5f, 0.5f, 23);
  avs_bn bn = {.running_mean = rm, .running_var = rv};
  gc_check(name, f_bn, in, 3, &bn, (gc_opts){.h = 5e-3});
  for (int i = 0; i < 3; i++) avs_tensor_free(&in[i]);
  avs_tensor_free(&rm), avs_tensor_free(&rv);
}

int main(void) {
  check("batch_norm2d", 4, AVS_SHAPE(3, 4, 3, 5), true);
  check("batch_norm3d", 5, AVS_SHAPE(2, 2, 3, 3, 4), true);
  check("batch_norm2d_noaffine", 4, AVS_SHAPE(2, 3, 4, 3), false);
  check("batch_norm2d_one_channel", 4, AVS_SHAPE(2, 5, 4, 1), true); /* oneDNN's plain layout (Sound of Pixels' bn0) */
  return tst_finish();
}
