/* scipy.signal.spectrogram with its defaults, as the localizers' loaders
 * (LVS, EZ-VSL) compute their audio input: segments of nperseg samples every
 * hop (no padding), each with its mean removed (detrend 'constant'), times a
 * periodic Tukey window (alpha 0.25), |FFT|^2 scaled to a power spectral
 * density (1 / (fs sum(w^2))), one-sided (bins 1 .. nperseg/2 - 1 doubled).
 * Output (bins, segments) row-major, bins = nperseg / 2 + 1. One object per
 * thread. */
#ifndef AVS_AUDIO_SPECTROGRAM_H
#define AVS_AUDIO_SPECTROGRAM_H

#include <stdint.h>

typedef struct avs_psd avs_psd;

/* nperseg even, 2..65536; 1 <= hop <= nperseg; fs > 0. */
int avs_psd_new(int nperseg, int hop, double fs, avs_psd **out);
void avs_psd_free(avs_psd **s);
/* Segments in n samples: (n - nperseg) / hop + 1, 0 when n < nperseg. */
int64_t avs_psd_segments(const avs_psd *s, int64_t n);
int avs_psd_bins(const avs_psd *s);
/* x (n samples) -> out (bins x segments). */
int avs_psd_forward(avs_psd *s, const float *x, int64_t n, float *out);

#endif
