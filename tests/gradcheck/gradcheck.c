#include "tests/gradcheck/gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void gc_fill(avs_tensor *t, float lo, float hi, uint64_t seed) {
  avs_rng r;
  avs_rng_seed(&r, seed);
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = lo + (hi - lo) * avs_rng_uniform(&r);
}

static double project(avs_ctx *ctx, gc_forward_fn fwd, avs_tensor **in, void *arg, const float *r,
                      int64_t *n_out) {
  avs_ctx_reset(ctx);
  avs_tensor *y = fwd(ctx, in, arg);
  if (!y) {
    printf("FAIL forward failed: %s\n", avs_errmsg());
    exit(1);
  }
  double s = 0;
  if (r)
    for (int64_t i = 0; i < y->numel; i++) s += (double)y->data[i] * r[i];
  *n_out = y->numel;
  return s;
}

bool gc_check(const char *name, gc_forward_fn fwd, avs_tensor **in, int n_in, void *arg, gc_opts o) {
  double h = o.h ? o.h : 1e-2, atol = o.atol ? o.atol : 2e-3, rtol = o.rtol ? o.rtol : 2e-2;
  int max_checks = o.max_checks ? o.max_checks : 64;
  /* Training mode so ops tape; the checks of batch norm etc. want batch statistics. */
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  int64_t n_out;
  project(ctx, fwd, in, arg, NULL, &n_out);
  float *r = malloc(sizeof(float) * n_out);
  avs_rng rng;
  avs_rng_seed(&rng, 1234);
  for (int64_t i = 0; i < n_out; i++) r[i] = avs_rng_uniform(&rng) * 2 - 1;

  /* analytic gradients */
  for (int i = 0; i < n_in; i++)
    if (in[i]) avs_tensor_zero_grad(in[i]);
  avs_ctx_reset(ctx);
  avs_tensor *y = fwd(ctx, in, arg);
  if (!y || avs_backward_from(ctx, y, r)) {
    printf("FAIL %s: backward failed: %s\n", name, avs_errmsg());
    exit(1);
  }
  bool all_ok = true;
  for (int i = 0; i < n_in; i++) {
    avs_tensor *t = in[i];
    if (!t || !t->requires_grad) continue;
    int64_t step = t->numel > max_checks ? t->numel / max_checks : 1;
    int n = 0;
    float *got = malloc(sizeof(float) * (t->numel / step + 1)), *want = malloc(sizeof(float) * (t->numel / step + 1));
    for (int64_t j = 0; j < t->numel; j += step, n++) {
      float keep = t->data[j];
      t->data[j] = keep + (float)h;
      t->version++;
      double lp = project(ctx, fwd, in, arg, r, &n_out);
      t->data[j] = keep - (float)h;
      t->version++;
      double lm = project(ctx, fwd, in, arg, r, &n_out);
      t->data[j] = keep;
      t->version++;
      /* the true step is the float difference, not h */
      double dh = (double)(keep + (float)h) - (double)(keep - (float)h);
      want[n] = (float)((lp - lm) / dh);
      got[n] = t->grad ? t->grad[j] : 0.0f;
    }
    char what[128];
    snprintf(what, sizeof what, "%s d/d(in%d)", name, i);
    all_ok &= tst_close(what, got, want, n, (float)atol, (float)rtol);
    free(got);
    free(want);
  }
  free(r);
  avs_ctx_free(&ctx);
  return all_ok;
}
