/* Finite-difference checks of layer normalisation: input, weight and bias,
 * with and without the affine parameters. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_ln(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_layer_norm(c, in[0], in[1], in[2], 1e-5f);
}

int main(void) {
  avs_tensor *x = avs_tensor_new(3, AVS_SHAPE(2, 3, 9)), *w = avs_tensor_new(1, AVS_SHAPE(9)),
             *b = avs_tensor_new(1, AVS_SHAPE(9));
  gc_fill(x, -2, 2, 1);
  gc_fill(w, 0.5f, 1.5f, 2);
  gc_fill(b, -1, 1, 3);
  avs_tensor *in[3] = {x, w, b};
  gc_opts o = {.h = 1e-3, .atol = 5e-4, .rtol = 1e-2};
  gc_check("layer_norm", f_ln, in, 3, NULL, o);
  avs_tensor *plain[3] = {x, NULL, NULL};
  gc_check("layer_norm_plain", f_ln, plain, 3, NULL, o);
  /* rows with a large offset: the centring must stay accurate */
  for (int64_t i = 0; i < x->numel; i++) x->data[i] += 50.0f;
  gc_check("layer_norm_offset", f_ln, in, 3, NULL, (gc_opts){.h = 1e-2, .atol = 2e-3, .rtol = 2e-2});
  avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&b);
  return tst_finish();
}
