/* Short-time Fourier transform on FFTW3 (single precision) with torch.stft /
 * torch.istft semantics: periodic Hann window of win samples centred in an
 * n_fft frame, center=True pads n_fft/2 on both sides by reflection,
 * one-sided (n_fft/2 + 1 bins), not normalized. Agrees with torch 1.13 to
 * about 1e-6 relative; STFT -> ISTFT reconstructs to ~1e-7.
 *
 * Spectrogram layout, complex as (re, im) pairs:
 *   default      [bins][frames][2]  (torch's (F, T) complex, i.e. view_as_real;
 *                                    channels-last (H=F, W=T, C=2))
 *   time_major   [frames][bins][2]
 *
 * Plans are made once per avs_stft (FFTW_MEASURE) and FFTW's wisdom is cached
 * on disk so later processes plan instantly: $AVS_FFTW_WISDOM, else
 * $XDG_CACHE_HOME/avs/fftw3f.wisdom, else ~/.cache/avs/fftw3f.wisdom
 * (AVS_FFTW_WISDOM=none disables the cache). Even sizes whose half has a
 * prime factor > 31 (Sound of Pixels' 1022 = 2 * 7 * 73), slow in FFTW, go
 * through Bluestein's chirp-z on power-of-two FFTW plans instead (~2x faster).
 * Frames are spread over OpenMP threads. One avs_stft must not be used by two
 * threads at once. */
#ifndef AVS_STFT_H
#define AVS_STFT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct avs_stft_cfg {
  int n_fft;
  int hop;          /* 0: n_fft / 4 (torch's default) */
  int win;          /* 0: n_fft */
  bool no_center;   /* true: no padding, frames start at sample 0 (torch center=False) */
  bool time_major;  /* [frames][bins][2] instead of [bins][frames][2] */
} avs_stft_cfg;

/* Sound of Pixels: 11025 Hz, n_fft 1022, hop 256 -> 512 bins. */
#define AVS_STFT_SOP ((avs_stft_cfg){.n_fft = 1022, .hop = 256, .win = 1022})
/* Speech at 16 kHz: 25 ms window, 10 ms hop, n_fft 512 -> 257 bins. */
#define AVS_STFT_SPEECH ((avs_stft_cfg){.n_fft = 512, .hop = 160, .win = 400})

typedef struct avs_stft avs_stft;

/* FFTW's planner is not thread-safe: other FFTW users of the library make
 * their plans between these (audio/spectrogram.c). */
void avs_fftw_plan_begin(void);
void avs_fftw_plan_end(void);

int avs_stft_new(const avs_stft_cfg *cfg, avs_stft **out);
void avs_stft_free(avs_stft **s);
const avs_stft_cfg *avs_stft_config(const avs_stft *s);
int avs_stft_bins(const avs_stft *s);
/* Frames for a signal of n samples (torch: 1 + n / hop when centred). */
int64_t avs_stft_frames(const avs_stft *s, int64_t n);
/* Samples ISTFT gives for `frames` frames without an explicit length
 * (torch: hop * (frames - 1) when centred). */
int64_t avs_stft_length(const avs_stft *s, int64_t frames);
/* The window, n_fft values (the Hann window zero-padded to n_fft). */
const float *avs_stft_window(const avs_stft *s);

/* x: n samples -> spec: bins * frames * 2 floats. Centred transforms need
 * n > n_fft / 2 (reflection padding), others n >= n_fft. */
int avs_stft_forward(avs_stft *s, const float *x, int64_t n, float *spec);
/* spec (bins * frames * 2) -> y: `length` samples (<= 0: avs_stft_length()),
 * zero-filled past the signal as torch.istft does. The imaginary parts of the
 * DC and Nyquist bins are ignored. Fails, as torch does, where the window
 * envelope is (near) zero. */
int avs_stft_inverse(avs_stft *s, const float *spec, int64_t frames, int64_t length, float *y);

/* Helpers over n complex values (2n floats). */
void avs_stft_magphase(const float *spec, int64_t n, float *mag, float *phase); /* either may be NULL */
void avs_stft_polar(const float *mag, const float *phase, int64_t n, float *spec);

/* Where the wisdom cache lives ("" when disabled). */
const char *avs_stft_wisdom_path(void);

#endif
