/* Finite-difference checks of convolution and transposed convolution
 * backward kernels (input, weight, bias) on tiny shapes. Each perturbation
 * bumps the weight's version, so this also exercises the weight cache. */
#include "tests/gradcheck/gradcheck.h"

typedef struct {
  int op; /* 1,2,3: conv1d/2d/3d; 12, 13: transposed 2d/3d */
  avs_conv p;
} conv_arg;

static avs_tensor *f_conv(avs_ctx *ctx, avs_tensor **in, void *arg) {
  conv_arg *a = arg;
  switch (a->op) {
    case 1: return avs_conv1d(ctx, in[0], in[1], in[2], a->p);
    case 2: return avs_conv2d(ctx, in[0], in[1], in[2], a->p);
    case 3: return avs_conv3d(ctx, in[0], in[1], in[2], a->p);
    case 12: return avs_conv_transpose2d(ctx, in[0], in[1], in[2], a->p);
    default: return avs_conv_transpose3d(ctx, in[0], in[1], in[2], a->p);
  }
}

static void check(const char *name, int op, int ndim, const int64_t *xs, const int64_t *ws, int64_t nb, avs_conv p) {
  avs_tensor *in[3] = {avs_tensor_new(ndim, xs), avs_tensor_new(ndim, ws), nb ? avs_tensor_new(1, &nb) : NULL};
  gc_fill(in[0], -1, 1, 11);
  gc_fill(in[1], -0.5f, 0.5f, 12);
  if (in[2]) gc_fill(in[2], -0.5f, 0.5f, 13);
  conv_arg a = {op, p};
  gc_check(name, f_conv, in, 3, &a, (gc_opts){0});
  for (int i = 0; i < 3; i++) avs_tensor_free(&in[i]);
}

int main(void) {
  check("conv1d", 1, 3, AVS_SHAPE(2, 7, 4), AVS_SHAPE(6, 2, 3), 6,
        (avs_conv){.stride = {2}, .pad = {1}, .dilation = {1}, .groups = 2});
  check("conv2d", 2, 4, AVS_SHAPE(2, 5, 6, 3), AVS_SHAPE(4, 3, 3, 2), 4,
        (avs_conv){.stride = {1, 2}, .pad = {1, 1}, .dilation = {2, 1}});
  check("conv2d_depthwise", 2, 4, AVS_SHAPE(1, 5, 5, 4), AVS_SHAPE(4, 1, 3, 3), 0,
        (avs_conv){.pad = {1, 1}, .groups = 4});
  check("conv3d", 3, 5, AVS_SHAPE(1, 3, 4, 4, 3), AVS_SHAPE(4, 3, 3, 3, 3), 4,
        (avs_conv){.stride = {1, 2, 1}, .pad = {1, 1, 1}});
  check("conv_transpose2d", 12, 4, AVS_SHAPE(2, 3, 4, 4), AVS_SHAPE(4, 3, 3, 3), 6,
        (avs_conv){.stride = {2, 2}, .pad = {1, 1}, .out_pad = {1, 0}, .groups = 2});
  check("conv_transpose3d", 13, 5, AVS_SHAPE(1, 2, 3, 3, 2), AVS_SHAPE(2, 3, 2, 3, 3), 3,
        (avs_conv){.stride = {2, 1, 2}, .pad = {0, 1, 1}, .out_pad = {1, 0, 1}});
  return tst_finish();
}
