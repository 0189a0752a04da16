/* Finite-difference checks of the last-dim ops (av/ops/rowwise.c) and affine:
 * l2_normalize, weighted_mean (both operands), max_last, s x + b. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_l2(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_l2_normalize(c, in[0], 1e-12f); }
static avs_tensor *f_wmean(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_weighted_mean(c, in[0], avs_sigmoid(c, in[1])); /* positive weights, as the localizers' soft masks */
}
static avs_tensor *f_max(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_max_last(c, in[0]); }
static avs_tensor *f_affine(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_affine(c, in[0], -1.7f, 0.3f); }

static avs_tensor *param(int ndim, const int64_t *shape, float lo, float hi, uint64_t seed) {
  avs_tensor *t = avs_tensor_new(ndim, shape);
  gc_fill(t, lo, hi, seed);
  return t;
}

int main(void) {
  avs_tensor *x = param(3, AVS_SHAPE(2, 3, 9), -2, 2, 1), *w = param(3, AVS_SHAPE(2, 3, 9), -3, 3, 2);
  gc_check("l2_normalize", f_l2, &x, 1, NULL, (gc_opts){0});
  avs_tensor *in[2] = {x, w};
  gc_check("weighted_mean", f_wmean, in, 2, NULL, (gc_opts){0});
  /* distinct values far apart, so that a step h does not move the maximum */
  avs_tensor *m = param(2, AVS_SHAPE(4, 6), 0, 1, 3);
  float *md = m->data;
  for (int64_t i = 0; i < m->numel; i++) md[i] = (float)((i * 7) % 24) * 0.25f - 3.0f;
  gc_check("max_last", f_max, &m, 1, NULL, (gc_opts){0});
  gc_check("affine", f_affine, &x, 1, NULL, (gc_opts){0});

  /* the threaded paths */
  avs_tensor *big = param(2, AVS_SHAPE(3000, 16), -2, 2, 4), *bw = param(2, AVS_SHAPE(3000, 16), -2, 2, 5);
  avs_tensor *in2[2] = {big, bw};
  gc_check("l2_normalize_large", f_l2, &big, 1, NULL, (gc_opts){.max_checks = 16});
  gc_check("weighted_mean_large", f_wmean, in2, 2, NULL, (gc_opts){.max_checks = 16});
  avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&m), avs_tensor_free(&big), avs_tensor_free(&bw);
  return tst_finish();
}
