/* scipy.signal.spectrogram's defaults (see spectrogram.h). Windows and sums in
 * double; the FFT in single precision as the rest of audio/. */
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>

#include "audio/spectrogram.h"
#include "audio/stft.h"
#include "av/status.h"

struct avs_psd {
  int nperseg, hop, bins;
  double scale;        /* 1 / (fs sum(w^2)) */
  float *win, *buf;    /* nperseg each */
  fftwf_complex *spec; /* bins */
  fftwf_plan plan;
};

/* scipy.signal.windows.tukey(M, alpha, sym=False): the symmetric window of M + 1 points without its last. */
static void tukey_periodic(int m, double alpha, float *w) {
  int n = m + 1, width = (int)floor(alpha * (n - 1) / 2.0);
  for (int i = 0; i < m; i++) {
    double v = 1.0;
    if (i <= width) v = 0.5 * (1 + cos(M_PI * (-1 + 2.0 * i / alpha / (n - 1))));
    else if (i >= n - width - 1) v = 0.5 * (1 + cos(M_PI * (-2.0 / alpha + 1 + 2.0 * i / alpha / (n - 1))));
    w[i] = (float)v;
  }
}

int avs_psd_new(int nperseg, int hop, double fs, avs_psd **out) {
  *out = NULL;
  if (nperseg < 2 || nperseg > 65536 || nperseg % 2 || hop < 1 || hop > nperseg || !(fs > 0))
    return avs_seterr(AVS_EINVAL, "spectrogram: bad nperseg %d, hop %d or rate %g", nperseg, hop, fs);
  avs_psd *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  s->nperseg = nperseg, s->hop = hop, s->bins = nperseg / 2 + 1;
  s->win = malloc(sizeof(float) * (size_t)nperseg);
  s->buf = fftwf_malloc(sizeof(float) * (size_t)nperseg);
  s->spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->bins);
  if (s->buf && s->spec) {
    avs_fftw_plan_begin();
    s->plan = fftwf_plan_dft_r2c_1d(nperseg, s->buf, s->spec, FFTW_ESTIMATE);
    avs_fftw_plan_end();
  }
  if (!s->win || !s->plan) {
    avs_psd_free(&s);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  tukey_periodic(nperseg, 0.25, s->win);
  double ss = 0;
  for (int i = 0; i < nperseg; i++) ss += (double)s->win[i] * s->win[i];
  s->scale = 1.0 / (fs * ss);
  *out = s;
  return AVS_OK;
}

void avs_psd_free(avs_psd **ps) {
  avs_psd *s = *ps;
  if (!s) return;
  if (s->plan) {
    avs_fftw_plan_begin();
    fftwf_destroy_plan(s->plan);
    avs_fftw_plan_end();
  }
  fftwf_free(s->buf);
  fftwf_free(s->spec);
  free(s->win);
  free(s);
  *ps = NULL;
}

int64_t avs_psd_segments(const avs_psd *s, int64_t n) { return n < s->nperseg ? 0 : (n - s->nperseg) / s->hop + 1; }
int avs_psd_bins(const avs_psd *s) { return s->bins; }

int avs_psd_forward(avs_psd *s, const float *x, int64_t n, float *out) {
  int64_t segs = avs_psd_segments(s, n);
  if (segs < 1) return avs_seterr(AVS_EINVAL, "spectrogram: %lld samples, fewer than one segment of %d", (long long)n,
                                  s->nperseg);
  for (int64_t t = 0; t < segs; t++) {
    const float *seg = x + t * s->hop;
    double mean = 0;
    for (int i = 0; i < s->nperseg; i++) mean += seg[i];
    mean /= s->nperseg;
    for (int i = 0; i < s->nperseg; i++) s->buf[i] = (float)((seg[i] - mean) * s->win[i]);
    fftwf_execute(s->plan);
    for (int k = 0; k < s->bins; k++) {
      double re = s->spec[k][0], im = s->spec[k][1], p = (re * re + im * im) * s->scale;
      if (k > 0 && k < s->bins - 1) p *= 2;
      out[k * segs + t] = (float)p;
    }
  }
  return AVS_OK;
}
