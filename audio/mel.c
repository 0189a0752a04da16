#include "audio/mel.h"

#include <math.h>
#include <stdlib.h>

#include "av/gemm.h"
#include "av/status.h"

double avs_mel_from_hz(double hz, avs_mel_scale scale) {
  if (scale == AVS_MEL_HTK) return 2595.0 * log10(1.0 + hz / 700.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp, logstep = log(6.4) / 27.0;
  if (hz >= min_log_hz) return min_log_mel + log(hz / min_log_hz) / logstep;
  return hz / f_sp;
}

double avs_mel_to_hz(double mel, avs_mel_scale scale) {
  if (scale == AVS_MEL_HTK) return 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp, logstep = log(6.4) / 27.0;
  if (mel >= min_log_mel) return min_log_hz * exp(logstep * (mel - min_log_mel));
  return f_sp * mel;
}

int avs_mel_fbanks(int n_freqs, double f_min, double f_max, int n_mels, int sample_rate, avs_mel_norm norm,
                   avs_mel_scale scale, float *fb) {
  if (f_max <= 0) f_max = sample_rate / 2.0;
  if (n_freqs < 2 || n_mels < 1 || sample_rate < 1 || f_min < 0 || f_min >= f_max)
    return avs_seterr(AVS_EINVAL, "bad mel filterbank: %d freqs, %d mels, %d Hz, f_min %g, f_max %g", n_freqs, n_mels,
                      sample_rate, f_min, f_max);
  double *f_pts = malloc(sizeof(double) * (size_t)(n_mels + 2));
  if (!f_pts) return avs_seterr(AVS_ENOMEM, "out of memory");
  const double m_min = avs_mel_from_hz(f_min, scale), m_max = avs_mel_from_hz(f_max, scale);
  for (int i = 0; i < n_mels + 2; i++)
    f_pts[i] = avs_mel_to_hz(m_min + (m_max - m_min) * i / (n_mels + 1), scale);
  const double top = (double)(sample_rate / 2); /* torchaudio: linspace(0, sample_rate // 2, n_freqs) */
  int empty = 0;
  for (int m = 0; m < n_mels; m++) {
    const double lo = f_pts[m], c = f_pts[m + 1], hi = f_pts[m + 2];
    const double enorm = norm == AVS_MEL_NORM_SLANEY ? 2.0 / (hi - lo) : 1.0;
    double mx = 0;
    for (int f = 0; f < n_freqs; f++) {
      const double fr = top * f / (n_freqs - 1);
      const double down = (fr - lo) / (c - lo), up = (hi - fr) / (hi - c);
      double v = down < up ? down : up;
      if (v < 0) v = 0;
      fb[(int64_t)f * n_mels + m] = (float)(v * enorm);
      if (v > mx) mx = v;
    }
    empty += mx == 0.0;
  }
  free(f_pts);
  if (empty)
    avs_log(AVS_LOG_WARN, "mel filterbank: %d of %d filters are all zeros (n_mels %d is too high for %d frequency bins)",
            empty, n_mels, n_mels, n_freqs);
  return AVS_OK;
}

void avs_mel_apply(const float *fb, int n_freqs, int n_mels, const float *spec, int64_t frames, float *mel) {
  /* mel (n_mels x T) = fb^T (n_mels x F) * spec (F x T) */
  avs_gemm(true, false, n_mels, (int)frames, n_freqs, 1.0f, fb, n_mels, spec, (int)frames, 0.0f, mel, (int)frames);
}
