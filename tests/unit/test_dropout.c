/* Dropout: mask statistics, scaling, gradient, eval/p=0 identity, bad p. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/harness.h"

#define N 200000

/* The kept count of N elements is Binomial(N, 1-p): it must lie within
 * 5 standard deviations of N(1-p) (a false failure has probability < 1e-6,
 * and the seed is fixed, so the test is deterministic anyway). */
static void check_p(avs_ctx *ctx, avs_tensor *x, float p) {
  avs_ctx_reset(ctx);
  avs_tensor *y = avs_dropout(ctx, x, p);
  if (!tst_true(y && y != x, "p=%.2f: dropout runs in training (%s)", p, y ? "" : avs_errmsg())) return;
  float scale = 1.0f / (1.0f - p);
  int64_t kept = 0, wrong = 0;
  for (int64_t i = 0; i < N; i++) {
    if (y->data[i] != 0.0f) {
      kept++;
      wrong += y->data[i] != x->data[i] * scale; /* survivors scaled by exactly 1/(1-p) */
    }
  }
  double mean = (double)N * (1 - p), sd = sqrt((double)N * p * (1 - p));
  tst_true(fabs(kept - mean) <= 5 * sd, "p=%.2f: kept %lld of %d, expected %.0f +- %.0f (5 sd)", p, (long long)kept, N,
           mean, 5 * sd);
  tst_true(wrong == 0, "p=%.2f: every kept element is x/(1-p) (%lld are not)", p, (long long)wrong);

  /* gradient = mask * scale * gy */
  float *gy = malloc(sizeof(float) * N);
  for (int64_t i = 0; i < N; i++) gy[i] = (float)(i % 7) - 3.0f;
  avs_tensor_zero_grad(x);
  int rc = avs_backward_from(ctx, y, gy);
  int64_t bad = 0;
  for (int64_t i = 0; rc == 0 && i < N; i++) {
    float want = y->data[i] != 0.0f ? gy[i] * scale : 0.0f;
    bad += x->grad[i] != want;
  }
  tst_true(rc == 0 && bad == 0, "p=%.2f: gradient is mask * gy / (1-p) (%lld differ)", p, (long long)bad);
  free(gy);
}

int main(void) {
  avs_tensor *x = avs_tensor_new(1, AVS_SHAPE(N));
  for (int64_t i = 0; i < N; i++) x->data[i] = 1.0f + (float)(i % 13); /* no zeros, so y != 0 marks survivors */
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true, .seed = 42});
  check_p(ctx, x, 0.1f);
  check_p(ctx, x, 0.5f);
  check_p(ctx, x, 0.9f);

  /* the generator advances: two calls draw different masks */
  avs_ctx_reset(ctx);
  avs_tensor *a = avs_dropout(ctx, x, 0.5f), *b = avs_dropout(ctx, x, 0.5f);
  int64_t same = 0;
  for (int64_t i = 0; i < N; i++) same += (a->data[i] == 0) == (b->data[i] == 0);
  tst_true(same < N * 0.55, "successive masks differ (%lld of %d agree, about half expected)", (long long)same, N);

  /* the same seed reproduces the same mask */
  avs_ctx *c1 = avs_ctx_new(&(avs_ctx_params){.train = true, .seed = 7});
  avs_ctx *c2 = avs_ctx_new(&(avs_ctx_params){.train = true, .seed = 7});
  avs_tensor *m1 = avs_dropout(c1, x, 0.3f), *m2 = avs_dropout(c2, x, 0.3f);
  tst_close("same seed, same output", m1->data, m2->data, N, 0, 0);
  avs_ctx_free(&c1), avs_ctx_free(&c2);

  /* identity: p = 0 in training, any p in eval mode */
  avs_ctx_reset(ctx);
  tst_true(avs_dropout(ctx, x, 0.0f) == x, "p=0 is the identity");
  avs_ctx_set_train(ctx, false);
  tst_true(avs_dropout(ctx, x, 0.5f) == x, "eval mode is the identity");
  avs_ctx_set_train(ctx, true);

  /* bad probabilities */
  float bad[] = {1.0f, 1.5f, -0.1f, NAN};
  for (int i = 0; i < 4; i++) {
    avs_clearerr();
    avs_tensor *y = avs_dropout(ctx, x, bad[i]);
    tst_true(!y && avs_errcode() == AVS_EINVAL, "p=%g rejected (%s)", bad[i], avs_errmsg());
  }
  avs_ctx_set_train(ctx, false);
  tst_true(!avs_dropout(ctx, x, 1.0f), "p=1 rejected in eval mode too");
  tst_true(!avs_dropout(ctx, NULL, 0.5f), "NULL input gives NULL");

  avs_ctx_free(&ctx);
  avs_tensor_free(&x);
  return tst_finish();
}
