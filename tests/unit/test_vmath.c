/* The vectorisable float math of av/ops/vmath.h against double-precision libm:
 * dense sweeps of float inputs, errors in ulps of the exact result, and the
 * special values (0, -0, +-inf, NaN, denormals, over/underflow). */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "av/ops/vmath.h"
#include "tests/harness.h"

/* |got - want| in units of the last place of want (as a float; denormal
 * results count in units of the smallest normal's ulp). */
static double ulps(float got, double want) {
  if (isnan(want)) return isnan(got) ? 0 : INFINITY;
  if (isinf(want)) return got == (float)want ? 0 : INFINITY;
  double a = fabs(want) < FLT_MIN ? FLT_MIN : fabs(want);
  int e;
  frexp(a, &e);
  return fabs((double)got - want) / ldexp(1.0, e - 24);
}

typedef float (*f1)(float);
static float vphi(float x) { return avs_vphi(x, NULL); }
static float vphi_pdf(float x) {
  float pdf;
  avs_vphi(x, &pdf);
  return pdf;
}
static double phi_ref(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
static double pdf_ref(double x) { return exp(-0.5 * x * x) / sqrt(2 * M_PI); }

/* Max error over n+1 evenly spaced points of [lo, hi]. */
static void sweep(const char *name, f1 f, double (*ref)(double), double lo, double hi, long n, double bound) {
  double worst = 0, at = lo;
  for (long i = 0; i <= n; i++) {
    float x = (float)(lo + (hi - lo) * (double)i / (double)n);
    double u = ulps(f(x), ref((double)x));
    if (u > worst) worst = u, at = x;
  }
  tst_true(worst <= bound, "%-8s on [%g, %g]: max %.2f ulp (at %.8g), bound %.1f", name, lo, hi, worst, at, bound);
}

int main(void) {
  const long n = 1000000;
  sweep("exp", avs_vexp, exp, -87.33, 88.72, 4 * n, 1.5);
  sweep("exp", avs_vexp, exp, -1, 1, n, 1.5);
  sweep("log", avs_vlog, log, 1e-37, 1e-30, n, 1.5);
  sweep("log", avs_vlog, log, 0.25, 4, 2 * n, 1.5);
  sweep("log", avs_vlog, log, 1, 3e38, 2 * n, 1.5);
  sweep("log1p", avs_vlog1p, log1p, -0.9999, 1, 2 * n, 3);
  sweep("log1p", avs_vlog1p, log1p, -1e-3, 1e-3, n, 3);
  sweep("log1p", avs_vlog1p, log1p, 1, 1e30, n, 3);
  sweep("tanh", avs_vtanh, tanh, -12, 12, 4 * n, 2);
  sweep("tanh", avs_vtanh, tanh, -1e-3, 1e-3, n, 2);
  sweep("erfc", avs_verfc, erfc, -6, 9.1, 4 * n, 8);
  /* Phi's error grows in the left tail (one rounded exponent), within
   * 2x^2 + 16 ulp: checked piecewise */
  sweep("phi", vphi, phi_ref, -2, 9, 4 * n, 24);
  sweep("phi", vphi, phi_ref, -4, -2, n, 48);
  sweep("phi", vphi, phi_ref, -6, -4, n, 88);
  sweep("phi", vphi, phi_ref, -9, -6, n, 178);
  sweep("phi.pdf", vphi_pdf, pdf_ref, -9, 9, 2 * n, 60);

  /* special values */
  tst_true(avs_vexp(0) == 1 && avs_vexp(-0.0f) == 1, "exp(+-0) = 1");
  tst_true(avs_vexp(INFINITY) == INFINITY && avs_vexp(89) == INFINITY && avs_vexp(1e30f) == INFINITY,
           "exp overflows to inf");
  tst_true(avs_vexp(-INFINITY) == 0 && avs_vexp(-104) == 0 && avs_vexp(-1e30f) == 0, "exp underflows to 0");
  tst_true(fabs(avs_vexp(-100) - exp(-100.0)) < 1e-45 * 2 && avs_vexp(-100) > 0, "exp into the denormals");
  tst_true(isnan(avs_vexp(NAN)) && isnan(avs_vlog(NAN)) && isnan(avs_vlog1p(NAN)) && isnan(avs_vtanh(NAN)) &&
               isnan(avs_verfc(NAN)),
           "NaN in, NaN out");
  tst_true(avs_vlog(0) == -INFINITY && avs_vlog(-0.0f) == -INFINITY && isnan(avs_vlog(-1)) &&
               avs_vlog(INFINITY) == INFINITY && isnan(avs_vlog(-INFINITY)),
           "log of 0, negatives, inf");
  tst_true(fabs(avs_vlog(1e-40f) - log(1e-40f)) < 1e-5 && fabs(avs_vlog(1.4e-45f) - log(1.4e-45f)) < 1e-5,
           "log of denormals");
  tst_true(avs_vlog1p(-1) == -INFINITY && avs_vlog1p(0) == 0 && avs_vlog1p(1e-30f) == 1e-30f &&
               avs_vlog1p(INFINITY) == INFINITY && isnan(avs_vlog1p(-2)),
           "log1p of -1, 0, tiny, inf, < -1");
  tst_true(avs_vtanh(INFINITY) == 1 && avs_vtanh(-INFINITY) == -1 && avs_vtanh(30) == 1 &&
               signbit(avs_vtanh(-0.0f)) && avs_vtanh(1e-30f) == 1e-30f,
           "tanh of inf, large, -0, tiny");
  tst_true(avs_verfc(INFINITY) == 0 && avs_verfc(-INFINITY) == 2 && avs_verfc(0) == 1, "erfc of inf, -inf, 0");
  float pdf;
  tst_true(avs_vphi(INFINITY, &pdf) == 1 && pdf == 0 && avs_vphi(-INFINITY, NULL) == 0 && avs_vphi(0, NULL) == 0.5f,
           "Phi of inf, -inf, 0");
  return tst_finish();
}
