/* Finite-difference checks of the element-wise activations. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_relu(avs_ctx *ctx, avs_tensor **in, void *arg) { (void)arg; return avs_relu(ctx, in[0]); }
static avs_tensor *f_leaky(avs_ctx *ctx, avs_tensor **in, void *arg) { (void)arg; return avs_leaky_relu(ctx, in[0], 0.2f); }

int main(void) {
  avs_tensor *x = avs_tensor_new(3, AVS_SHAPE(2, 5, 7));
  gc_fill(x, -1, 1, 1);
  /* keep inputs away from the kink at 0, where finite differences are meaningless */
  for (int64_t i = 0; i < x->numel; i++)
    if (x->data[i] > -0.05f && x->data[i] < 0.05f) x->data[i] += 0.1f;
  gc_check("relu", f_relu, &x, 1, NULL, (gc_opts){0});
  gc_check("leaky_relu", f_leaky, &x, 1, NULL, (gc_opts){0});
  avs_tensor_free(&x);
  return tst_finish();
}
