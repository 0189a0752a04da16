/* The audio side of a separation model: a window of samples to the net's
 * input (linear magnitude and phase kept for the way back), and masks back to
 * a waveform: on the warped rows, unwarped to the linear bins (or taken there
 * at once: avs_sep_linear_logits), applied to the mixture's complex
 * spectrogram, inverse STFT. One per thread. */
#ifndef AVS_FUSION_SEP_AUDIO_H
#define AVS_FUSION_SEP_AUDIO_H

#include "fusion/separation.h"

typedef struct avs_sep_audio avs_sep_audio;

typedef struct {
  float *spec;    /* (bins, time, 2) complex spectrogram of the window */
  float *mag;     /* (bins, time) */
  float *input;   /* (freq, time, channels): the net's input, channel 0 the warped log magnitude */
  float *linear;  /* (channels - 1, bins, time): the prior channels before the warp; NULL without them */
} avs_sep_window;

int avs_sep_audio_new(const avs_model *m, avs_sep_audio **out);
void avs_sep_audio_free(avs_sep_audio **a);
const avs_sep_geometry *avs_sep_audio_geometry(const avs_sep_audio *a);

/* Buffers for one window (free with avs_sep_window_release). */
int avs_sep_window_alloc(const avs_sep_audio *a, avs_sep_window *w);
void avs_sep_window_release(avs_sep_window *w);
/* x: geometry.samples samples (zero-padded by the caller when shorter). */
int avs_sep_analyze(avs_sep_audio *a, const float *x, avs_sep_window *w);

/* A model whose input has prior channels (geometry.channels > 1, xattn's NMF shares) can have
 * them computed once for a stretch of signal holding several overlapping windows: each frame
 * once, on every thread. pr is NULL (and AVS_OK) for a model without prior channels. */
typedef struct avs_sep_prior avs_sep_prior;
int avs_sep_prior_new(avs_sep_audio *a, const float *x, int64_t n, avs_sep_prior **pr);
void avs_sep_prior_free(avs_sep_prior **pr);
/* avs_sep_analyze of the window x that starts `offset` samples into pr's stretch, its prior
 * channels taken from pr's nearest frames (pr NULL: avs_sep_analyze). */
int avs_sep_analyze_in(avs_sep_audio *a, const float *x, const avs_sep_prior *pr, int64_t offset, avs_sep_window *w);
/* avs_sep_analyze of n windows x (n x samples) on every thread (each with its own front end): the net
 * inputs into inputs (n x freq x time x channels) and, when mags is not NULL, the linear magnitudes into
 * mags (n x bins x time). Worth it where the input costs (xattn's NMF prior: ~40 ms a window). */
int avs_sep_analyze_batch(const avs_sep_audio *a, const float *x, int n, float *mags, float *inputs);
/* The window's net input as a (1, freq, time, channels) tensor on ctx; NULL on OOM. */
avs_tensor *avs_sep_window_tensor(avs_ctx *ctx, const avs_sep_geometry *g, const avs_sep_window *w);
/* The linear magnitude of x only (training targets). */
int avs_sep_magnitude(avs_sep_audio *a, const float *x, float *mag);
/* n planes (n, freq, time) on the warped rows, masks say, -> linear (n, bins, time). */
int avs_sep_unwarp(const avs_sep_audio *a, const float *rows, int n, float *linear);
/* A model whose mask logits are linear in its prior channels (avs_sep_task.forward's prior_weights)
 * has them taken on the linear bins: logits (freq, time) of one source and its weights (channels - 1)
 * of the window w's prior -> out (bins, time) = unwarp(logits) + sum_c weights_c (w.linear_c -
 * unwarp(prior_c)). That is the model's mask synthesizer fed the unwarped decoder features and the
 * prior as sharp as it was before the warp (xattn with the NMF prior, music3000 val: natural SDR 13.88 ->
 * 14.76 dB; docs/BENCHMARK.md). */
int avs_sep_linear_logits(avs_sep_audio *a, const avs_sep_window *w, const float *logits, const float *weights,
                          float *out);
/* mask (bins, time) in [0, 1] on the linear bins -> y (samples): the masked mixture window. */
int avs_sep_synthesize(avs_sep_audio *a, const avs_sep_window *w, const float *mask, float *y);

#endif
