/* Mel filterbanks as torchaudio.functional.melscale_fbanks builds them (HTK or
 * Slaney mel scale, no normalisation or Slaney's area normalisation), and
 * their application to a (power or magnitude) spectrogram as
 * torchaudio.transforms.MelScale does. */
#ifndef AVS_MEL_H
#define AVS_MEL_H

#include <stdint.h>

typedef enum { AVS_MEL_HTK = 0, AVS_MEL_SLANEY } avs_mel_scale;
typedef enum { AVS_MEL_NORM_NONE = 0, AVS_MEL_NORM_SLANEY } avs_mel_norm;

double avs_mel_from_hz(double hz, avs_mel_scale scale);
double avs_mel_to_hz(double mel, avs_mel_scale scale);

/* fb: n_freqs x n_mels, row-major (torchaudio's layout). f_max <= 0 means
 * sample_rate / 2. Frequencies of the rows: linspace(0, sample_rate // 2,
 * n_freqs) as torchaudio. Logs a warning when a filter is all zeros (too many
 * mels for the frequency resolution), as torchaudio does. */
int avs_mel_fbanks(int n_freqs, double f_min, double f_max, int n_mels, int sample_rate, avs_mel_norm norm,
                   avs_mel_scale scale, float *fb);

/* mel[m][t] = sum_f fb[f][m] * spec[f][t]; spec: n_freqs x frames (the default
 * [bins][frames] layout of a magnitude/power spectrogram), mel: n_mels x frames. */
void avs_mel_apply(const float *fb, int n_freqs, int n_mels, const float *spec, int64_t frames, float *mel);

#endif
