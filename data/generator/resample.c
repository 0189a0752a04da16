/* Windowed-sinc resampling (Kaiser, beta 8.6, 24 zero crossings), polyphase:
 * one row of taps per output phase when the rates' ratio is small. Used for
 * espeak-ng's output (tts.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "av/status.h"
#include "data/generator/speech.h"

static double bessel_i0(double x) {
  double s = 1, t = 1;
  for (int k = 1; k < 30; k++) {
    t *= (x / (2 * k)) * (x / (2 * k));
    s += t;
  }
  return s;
}

static long gcd(long a, long b) {
  while (b) {
    long t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int avs_resample(const float *x, int64_t n, int rate_in, int rate_out, float **out, int64_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (rate_in <= 0 || rate_out <= 0 || n <= 0) return avs_seterr(AVS_EINVAL, "bad resampling request");
  long g = gcd(rate_in, rate_out), L = rate_out / g, M = rate_in / g;
  if (L > 4096) return avs_seterr(AVS_EUNSUPPORTED, "resampling %d -> %d Hz is not supported", rate_in, rate_out);
  int64_t m = n * L / M;
  const int zeros = 24;
  const double beta = 8.6, i0b = bessel_i0(beta);
  double cutoff = rate_out < rate_in ? (double)rate_out / rate_in * 0.95 : 0.95; /* of the input Nyquist */
  double half = zeros / cutoff;                                                   /* in input samples */
  int K = (int)ceil(half), taps = 2 * K;
  float *y = malloc((size_t)(m > 0 ? m : 1) * sizeof(float));
  float *h = malloc((size_t)L * taps * sizeof(float));
  if (!y || !h) {
    free(y);
    free(h);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  /* h[p][k]: weight of input i0 - K + 1 + k for output phase p (t = i0 + p / L) */
  for (long p = 0; p < L; p++)
    for (int k = 0; k < taps; k++) {
      double d = (k - K + 1) - (double)p / L, u = d / half, w = 1 - u * u, v = 0;
      if (w > 0) {
        double arg = M_PI * d * cutoff;
        v = cutoff * (fabs(arg) < 1e-12 ? 1.0 : sin(arg) / arg) * bessel_i0(beta * sqrt(w)) / i0b;
      }
      h[p * taps + k] = (float)v;
    }
  for (int64_t j = 0; j < m; j++) {
    int64_t i0 = j * M / L;
    long p = (long)(j * M % L);
    const float *hp = h + p * taps;
    int64_t first = i0 - K + 1;
    float s = 0;
    for (int k = 0; k < taps; k++) {
      int64_t i = first + k;
      if (i >= 0 && i < n) s += x[i] * hp[k];
    }
    y[j] = s;
  }
  free(h);
  *out = y;
  *n_out = m;
  return AVS_OK;
}
