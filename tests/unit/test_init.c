/* Statistics of the initialisers against torch.nn.init's formulas.
 * For every initialiser: all values inside the bound (uniform), the extremes
 * within 1% of it, the sample mean within 4 standard errors of the expected
 * mean, and the sample standard deviation within 2% of the expected one
 * (n >= 27648 samples: the sampling noise of the std is below 0.5%). The generator is
 * seeded, so the test is deterministic. */
#include <math.h>
#include <stdio.h>

#include "tests/harness.h"

typedef struct { double mean, std, min, max; } stats;

static stats measure(const avs_tensor *t) {
  stats s = {0, 0, INFINITY, -INFINITY};
  for (int64_t i = 0; i < t->numel; i++) {
    double v = t->data[i];
    s.mean += v;
    s.min = fmin(s.min, v), s.max = fmax(s.max, v);
  }
  s.mean /= t->numel;
  for (int64_t i = 0; i < t->numel; i++) s.std += (t->data[i] - s.mean) * (t->data[i] - s.mean);
  s.std = sqrt(s.std / (t->numel - 1));
  return s;
}

static void check_uniform(const char *what, avs_tensor *t, double lo, double hi) {
  stats s = measure(t);
  double std = (hi - lo) / sqrt(12.0), se = std / sqrt((double)t->numel);
  double slack = 1e-6 * fmax(fabs(lo), fabs(hi)); /* the bound is rounded to float */
  tst_true(s.min >= lo - slack && s.max <= hi + slack, "%s: values in [%.6g, %.6g] (min %.6g max %.6g)", what, lo, hi, s.min, s.max);
  tst_true(s.min < lo + 0.01 * (hi - lo) && s.max > hi - 0.01 * (hi - lo), "%s: extremes reach the bounds", what);
  tst_true(fabs(s.mean - (lo + hi) / 2) < 4 * se, "%s: mean %.3g (want %.3g +- %.2g)", what, s.mean, (lo + hi) / 2,
           4 * se);
  tst_true(fabs(s.std / std - 1) < 0.02, "%s: std %.6g (want %.6g, 2%%)", what, s.std, std);
}

static void check_normal(const char *what, avs_tensor *t, double mean, double std) {
  stats s = measure(t);
  double se = std / sqrt((double)t->numel);
  tst_true(fabs(s.mean - mean) < 4 * se, "%s: mean %.3g (want %.3g +- %.2g)", what, s.mean, mean, 4 * se);
  tst_true(fabs(s.std / std - 1) < 0.02, "%s: std %.6g (want %.6g, 2%%)", what, s.std, std);
  /* a normal sample this size reaches beyond 3 sigma on both sides */
  tst_true(s.min < mean - 3 * std && s.max > mean + 3 * std, "%s: tails reach 3 sigma", what);
}

int main(void) {
  avs_rng rng;
  avs_rng_seed(&rng, 42);

  avs_tensor *t = avs_tensor_new(2, AVS_SHAPE(256, 256));
  avs_init_uniform(t, -0.5f, 1.5f, &rng);
  check_uniform("uniform(-0.5, 1.5)", t, -0.5, 1.5);
  avs_init_normal(t, 2.0f, 0.5f, &rng);
  check_normal("normal(2, 0.5)", t, 2.0, 0.5);
  uint32_t v = t->version;
  avs_init_constant(t, 0.25f);
  stats s = measure(t);
  tst_true(s.min == 0.25 && s.max == 0.25, "constant(0.25)");
  tst_true(t->version == v + 1, "initialisers bump the version");

  /* kaiming_uniform_(a=0, fan_in=64): bound = sqrt(2) * sqrt(3/64) */
  avs_init_kaiming_uniform(t, 0.0f, 64, &rng);
  check_uniform("kaiming_uniform(a=0, fan_in=64)", t, -sqrt(6.0 / 64), sqrt(6.0 / 64));
  /* a = 0.2 (leaky relu): gain sqrt(2/1.04) */
  avs_init_kaiming_uniform(t, 0.2f, 100, &rng);
  double b = sqrt(2.0 / 1.04) * sqrt(3.0 / 100);
  check_uniform("kaiming_uniform(a=0.2, fan_in=100)", t, -b, b);
  avs_tensor_free(&t);

  /* kaiming_normal_(mode=fan_out, relu) on a conv weight (64,16,6,6): fan_out 64*36 */
  t = avs_tensor_new(4, AVS_SHAPE(64, 16, 6, 6));
  avs_init_kaiming_normal_fan_out(t, 64 * 36, &rng);
  check_normal("kaiming_normal(fan_out=2304)", t, 0, sqrt(2.0 / (64 * 36)));
  avs_tensor_free(&t);

  /* xavier_uniform_: bound sqrt(6/(fan_in+fan_out)) */
  t = avs_tensor_new(2, AVS_SHAPE(192, 256));
  avs_init_xavier_uniform(t, 256, 192, &rng);
  check_uniform("xavier_uniform(256, 192)", t, -sqrt(6.0 / 448), sqrt(6.0 / 448));
  avs_tensor_free(&t);

  /* nn.Conv3d(16, 64, 3) default: fan_in = 16*27, weight and bias U(+-1/sqrt(fan_in)) */
  avs_tensor *w = avs_tensor_new(5, AVS_SHAPE(64, 16, 3, 3, 3)), *bias = avs_tensor_new(1, AVS_SHAPE(40000));
  avs_init_torch_default(w, bias, &rng);
  check_uniform("conv3d default weight (fan_in 432)", w, -1 / sqrt(432.0), 1 / sqrt(432.0));
  check_uniform("conv3d default bias (fan_in 432)", bias, -1 / sqrt(432.0), 1 / sqrt(432.0));
  avs_tensor_free(&w);
  /* nn.Linear(300, 128) default, no bias */
  w = avs_tensor_new(2, AVS_SHAPE(128, 300));
  avs_init_torch_default(w, NULL, &rng);
  check_uniform("linear default weight (fan_in 300)", w, -1 / sqrt(300.0), 1 / sqrt(300.0));
  avs_tensor_free(&w), avs_tensor_free(&bias);
  return tst_finish();
}
