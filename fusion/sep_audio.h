/* The audio side of a separation model: a window of samples to the net's
 * input (linear magnitude and phase kept for the way back), and masks on the
 * warped rows back to a waveform (unwarp, apply to the mixture's complex
 * spectrogram, inverse STFT). One per thread. */
#ifndef AVS_FUSION_SEP_AUDIO_H
#define AVS_FUSION_SEP_AUDIO_H

#include "fusion/separation.h"

typedef struct avs_sep_audio avs_sep_audio;

typedef struct {
  float *spec;    /* (bins, time, 2) complex spectrogram of the window */
  float *mag;     /* (bins, time) */
  float *logmag;  /* (freq, time): the net's input */
} avs_sep_window;

int avs_sep_audio_new(const avs_model *m, avs_sep_audio **out);
void avs_sep_audio_free(avs_sep_audio **a);
const avs_sep_geometry *avs_sep_audio_geometry(const avs_sep_audio *a);

/* Buffers for one window (free with avs_sep_window_release). */
int avs_sep_window_alloc(const avs_sep_audio *a, avs_sep_window *w);
void avs_sep_window_release(avs_sep_window *w);
/* x: geometry.samples samples (zero-padded by the caller when shorter). */
int avs_sep_analyze(avs_sep_audio *a, const float *x, avs_sep_window *w);
/* The linear magnitude of x only (training targets). */
int avs_sep_magnitude(avs_sep_audio *a, const float *x, float *mag);
/* mask (freq, time) in [0, 1] -> y (samples): the masked mixture window. */
int avs_sep_synthesize(avs_sep_audio *a, const avs_sep_window *w, const float *mask, float *y);

#endif
