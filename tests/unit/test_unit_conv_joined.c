/* The joined conv unit (nn/unit.h, avs_unit_conv_bn_joined): conv + BN of [x, rows of shared] computed
 * as two convolutions on the split weight equals the same unit on the concatenation (avs_concat of x
 * and avs_rows of shared), forward and every gradient (x, shared, conv weight, BN affine), in training
 * (batch statistics) and in eval mode (BN as an op, and folded into the conv through a fold cache);
 * shared without index pairs row i with row i. Tolerances: the split sums the convolution in two parts,
 * so values agree to float32 rounding of sums of 45 products (1e-5 of the largest magnitude). */
#include <stdlib.h>
#include <string.h>

#include "av/rng.h"
#include "nn/fold.h"
#include "nn/unit.h"
#include "tests/harness.h"

static const avs_conv_spec spec = {2, 5, 4, {3, 3}, {1, 1}, {1, 1}, false, {0}};

static void fill(avs_tensor *t, avs_rng *r, float lo, float hi) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = lo + (hi - lo) * avs_rng_uniform(r);
}

/* The unit on [x, rows(shared)] (joined) or on their concatenation (reference). */
static avs_tensor *run(avs_ctx *ctx, const avs_params *p, avs_tensor *x, avs_tensor *shared, const int *index,
                       bool joined) {
  if (joined) return avs_unit_conv_bn_joined(ctx, p, "c", "bn", &spec, x, shared, index);
  avs_tensor *r = index ? avs_rows(ctx, shared, index, x->shape[0]) : shared;
  return avs_unit_conv_bn(ctx, p, "c", "bn", &spec, avs_concat(ctx, 2, (avs_tensor *[]){x, r}, 3));
}

static void zero_grads(avs_tensor *const *t, int n) {
  for (int i = 0; i < n; i++) avs_tensor_zero_grad(t[i]);
}

int main(void) {
  avs_params p;
  avs_params_init(&p, "test");
  tst_true(!avs_unit_declare_conv(&p, "c", &spec) && !avs_unit_declare_bn(&p, "bn", 4), "declare: %s", avs_errmsg());
  avs_rng r;
  avs_rng_seed(&r, 3);
  avs_tensor *w = avs_params_find(&p, "c.weight"), *g = avs_params_find(&p, "bn.weight");
  avs_tensor *b = avs_params_find(&p, "bn.bias"), *rm = avs_params_find(&p, "bn.running_mean");
  avs_tensor *rv = avs_params_find(&p, "bn.running_var");
  fill(w, &r, -0.5f, 0.5f), fill(g, &r, 0.5f, 1.5f), fill(b, &r, -0.5f, 0.5f), fill(rm, &r, -0.2f, 0.2f);
  fill(rv, &r, 0.5f, 2.0f);
  avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(3, 6, 5, 3)), *shared = avs_tensor_new(4, AVS_SHAPE(2, 6, 5, 2));
  fill(x, &r, -1, 1), fill(shared, &r, -1, 1);
  const int index[3] = {1, 0, 1}; /* a mixture's level shared by two of the three sources */
  avs_tensor *grads[5] = {x, shared, w, g, b};
  float *gy = malloc(sizeof(float) * 3 * 6 * 5 * 4), *want[5];
  for (int i = 0; i < 3 * 6 * 5 * 4; i++) gy[i] = avs_rng_uniform(&r) - 0.5f;

  /* training: batch statistics, gradients */
  float *ref = NULL;
  for (int joined = 0; joined < 2; joined++) {
    float rm0[4], rv0[4];
    memcpy(rm0, rm->data, sizeof rm0), memcpy(rv0, rv->data, sizeof rv0);
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
    zero_grads(grads, 5);
    avs_tensor *y = run(ctx, &p, x, shared, index, joined);
    tst_true(y && !avs_backward_from(ctx, y, gy), "train %s: %s", joined ? "joined" : "concat", avs_errmsg());
    if (!joined && y) {
      ref = malloc(sizeof(float) * y->numel), memcpy(ref, y->data, sizeof(float) * y->numel);
      for (int i = 0; i < 5; i++) want[i] = malloc(sizeof(float) * grads[i]->numel);
      for (int i = 0; i < 5; i++) memcpy(want[i], grads[i]->grad, sizeof(float) * grads[i]->numel);
    } else if (y && ref) {
      tst_close("train forward", y->data, ref, y->numel, 1e-5f, 1e-5f);
      const char *names[5] = {"grad x", "grad shared", "grad conv weight", "grad bn weight", "grad bn bias"};
      for (int i = 0; i < 5; i++) tst_close(names[i], grads[i]->grad, want[i], grads[i]->numel, 1e-5f, 1e-5f);
    }
    memcpy(rm->data, rm0, sizeof rm0), memcpy(rv->data, rv0, sizeof rv0); /* the same statistics for both */
    avs_ctx_free(&ctx);
  }
  free(ref);
  for (int i = 0; i < 5; i++) free(want[i]);

  /* eval: BN as an op, then folded; and without index (row i with row i) */
  for (int fold = 0; fold < 2; fold++)
    for (int indexed = 0; indexed < 2; indexed++) {
      avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
      avs_fold_cache *cache = fold ? avs_fold_cache_new() : NULL;
      avs_ctx_swap_fold(ctx, cache);
      avs_tensor *x2 = indexed ? x : avs_rows(ctx, x, (const int[]){0, 1}, 2);
      avs_tensor *y = run(ctx, &p, x2, shared, indexed ? index : NULL, true);
      avs_tensor *y0 = run(ctx, &p, x2, shared, indexed ? index : NULL, false);
      if (tst_true(y && y0 && y->numel == y0->numel, "eval %s %s: %s", fold ? "folded" : "bn op",
                   indexed ? "indexed" : "row by row", avs_errmsg()))
        tst_close(fold ? "eval folded" : "eval bn op", y->data, y0->data, y->numel, 1e-5f, 1e-5f);
      avs_ctx_swap_fold(ctx, NULL);
      avs_ctx_free(&ctx);
      avs_fold_cache_free(&cache);
    }
  /* one shared row for all rows of x (one mixture): broadcast, gradients summed over x's rows */
  avs_tensor *one = avs_tensor_new(4, AVS_SHAPE(1, 6, 5, 2));
  fill(one, &r, -1, 1);
  const int zeros[3] = {0, 0, 0};
  for (int joined = 0; joined < 2; joined++) {
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
    avs_tensor_zero_grad(one);
    avs_tensor *y = run(ctx, &p, x, one, zeros, joined);
    tst_true(y && !avs_backward_from(ctx, y, gy), "one shared row: %s", avs_errmsg());
    if (!joined && y) {
      ref = malloc(sizeof(float) * y->numel), memcpy(ref, y->data, sizeof(float) * y->numel);
      want[0] = malloc(sizeof(float) * one->numel), memcpy(want[0], one->grad, sizeof(float) * one->numel);
    } else if (y && ref) {
      tst_close("one shared row forward", y->data, ref, y->numel, 1e-5f, 1e-5f);
      tst_close("one shared row grad", one->grad, want[0], one->numel, 1e-5f, 1e-5f);
    }
    avs_ctx_free(&ctx);
  }
  /* without an index the rows must pair one to one */
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  tst_true(!avs_unit_conv_bn_joined(ctx, &p, "c", "bn", &spec, x, shared, NULL) && avs_errcode() == AVS_ESHAPE,
           "3 rows with 2 shared rows and no index refused: %s", avs_errmsg());
  avs_ctx_free(&ctx);
  free(ref), free(want[0]), free(gy);
  avs_tensor_free(&one), avs_tensor_free(&x), avs_tensor_free(&shared);
  avs_params_free(&p);
  return tst_finish();
}
