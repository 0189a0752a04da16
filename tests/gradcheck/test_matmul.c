/* Finite-difference checks of avs_linear and avs_matmul (every transpose
 * combination, batched, 2-D, and a broadcast batch of 1). Default gc_check
 * tolerances (atol 2e-3, rtol 2e-2: float32 forward values, double sums). */
#include <stdio.h>

#include "tests/gradcheck/gradcheck.h"

typedef struct { bool ta, tb; } trans;

static avs_tensor *f_linear(avs_ctx *ctx, avs_tensor **in, void *arg) {
  (void)arg;
  return avs_linear(ctx, in[0], in[1], in[2]);
}
static avs_tensor *f_matmul(avs_ctx *ctx, avs_tensor **in, void *arg) {
  const trans *t = arg;
  return avs_matmul(ctx, in[0], in[1], t->ta, t->tb);
}

int main(void) {
  avs_tensor *in[3] = {avs_tensor_new(3, AVS_SHAPE(2, 3, 5)), avs_tensor_new(2, AVS_SHAPE(4, 5)),
                       avs_tensor_new(1, AVS_SHAPE(4))};
  for (int i = 0; i < 3; i++) gc_fill(in[i], -1, 1, 10 + i);
  gc_check("linear", f_linear, in, 3, NULL, (gc_opts){0});
  gc_check("linear no bias", f_linear, in, 2, NULL, (gc_opts){0});
  for (int i = 0; i < 3; i++) avs_tensor_free(&in[i]);

  const int B = 2, M = 3, K = 4, N = 5;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int shape = 0; shape < 3; shape++) { /* batched, 2-D, a broadcast against a batch of b */
        int64_t ba = shape == 0 ? B : 0, bb = shape == 1 ? 0 : B;
        int64_t as[3] = {ba, ta ? K : M, ta ? M : K}, bs[3] = {bb, tb ? N : K, tb ? K : N};
        avs_tensor *ab[2] = {ba ? avs_tensor_new(3, as) : avs_tensor_new(2, as + 1),
                             bb ? avs_tensor_new(3, bs) : avs_tensor_new(2, bs + 1)};
        gc_fill(ab[0], -1, 1, 20 + ta), gc_fill(ab[1], -1, 1, 30 + tb);
        char name[64];
        snprintf(name, sizeof name, "matmul %s%s %s", ta ? "T" : "N", tb ? "T" : "N",
                 shape == 0 ? "batched" : shape == 1 ? "2-D" : "broadcast a");
        gc_check(name, f_matmul, ab, 2, &(trans){ta, tb}, (gc_opts){0});
        avs_tensor_free(&ab[0]), avs_tensor_free(&ab[1]);
      }
  return tst_finish();
}
