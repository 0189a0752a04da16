/* Finite-difference checks of the tape's fresh gradients (avs_node.sets_fresh):
 * an intermediate h feeds every op whose backward may set its input's gradient
 * instead of adding to it (conv, max pool, batch norm, leaky ReLU, reshape,
 * permute, concat, matmul) and one that only adds (mul). Walked in reverse, the first
 * consumer of h gets h's gradient unzeroed and sets it, the later ones add:
 * the two orders below put a setting op first and an adding op first. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *flat(avs_ctx *c, avs_tensor *t) { return avs_reshape(c, t, 1, AVS_SHAPE(-1)); }

/* in: x (2,5,5,4), w (3,4,3,3); h = x * x; every op's output flattened and concatenated */
static avs_tensor *consumers(avs_ctx *c, avs_tensor **in, void *arg) {
  bool adding_first = *(bool *)arg;
  avs_tensor *h = avs_mul(c, in[0], in[0]);
  int perm[4] = {0, 3, 1, 2};
  avs_bn bn = {0};
  avs_tensor *outs[7] = {
      flat(c, avs_conv2d(c, h, in[1], NULL, (avs_conv){.pad = {1, 1}})),
      flat(c, avs_max_pool2d(c, h, (avs_pool){.kernel = {2, 2}, .stride = {2, 2}})),
      flat(c, avs_batch_norm(c, h, &bn)),
      flat(c, avs_leaky_relu(c, h, 0.1f)),
      flat(c, avs_permute(c, h, perm)),
      flat(c, h),
      flat(c, avs_mul(c, h, h)),
  };
  /* created last = reached first by the backward walk */
  avs_tensor *last = adding_first ? outs[6] : flat(c, avs_conv2d(c, h, in[1], NULL, (avs_conv){.pad = {1, 1}}));
  avs_tensor *all[8] = {outs[0], outs[1], outs[2], outs[3], outs[4], outs[5], outs[6], last};
  return avs_concat(c, 8, all, 0);
}

/* h goes twice into one concat: only its first slot may be set */
static avs_tensor *repeated(avs_ctx *c, avs_tensor **in, void *arg) {
  (void)arg;
  avs_tensor *h = avs_mul(c, in[0], in[0]);
  avs_tensor *xs[3] = {h, avs_leaky_relu(c, h, 0.2f), h};
  return avs_concat(c, 3, xs, -1);
}

/* matmul: h (3,4,5) fresh for the last product (which also gets a fresh 2-D
 * intermediate broadcast over the batch), then h twice in one product (h h^T) */
static avs_tensor *products(avs_ctx *c, avs_tensor **in, void *arg) {
  (void)arg;
  avs_tensor *h = avs_mul(c, in[0], in[0]), *g = avs_mul(c, in[1], in[1]);
  avs_tensor *ys[3] = {flat(c, avs_matmul(c, h, in[1], false, false)), flat(c, avs_matmul(c, h, h, false, true)),
                       flat(c, avs_matmul(c, h, g, false, false))};
  return avs_concat(c, 3, ys, 0);
}

int main(void) {
  avs_tensor *in[2] = {avs_tensor_new(4, AVS_SHAPE(2, 5, 5, 4)), avs_tensor_new(4, AVS_SHAPE(3, 4, 3, 3))};
  gc_fill(in[0], 0.2f, 1.2f, 31); /* away from 0: h's ReLU kink and max-pool ties stay far */
  gc_fill(in[1], -0.5f, 0.5f, 32);
  bool order = false;
  gc_check("fresh_setting_op_first", consumers, in, 2, &order, (gc_opts){.h = 2e-3});
  order = true;
  gc_check("fresh_adding_op_first", consumers, in, 2, &order, (gc_opts){.h = 2e-3});
  gc_check("fresh_repeated_input", repeated, in, 1, NULL, (gc_opts){.h = 2e-3});
  avs_tensor *mm[2] = {avs_tensor_new(3, AVS_SHAPE(3, 4, 5)), avs_tensor_new(2, AVS_SHAPE(5, 6))};
  gc_fill(mm[0], -1, 1, 33), gc_fill(mm[1], -1, 1, 34);
  gc_check("fresh_matmul", products, mm, 2, NULL, (gc_opts){.h = 2e-3});
  avs_tensor_free(&mm[0]), avs_tensor_free(&mm[1]);
  avs_tensor_free(&in[0]), avs_tensor_free(&in[1]);
  return tst_finish();
}
