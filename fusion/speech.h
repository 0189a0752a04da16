/* The speech kind of the model layer (nn/model.h): audio-visual speech
 * separation. A speech model sees the complex STFT of a mixture and, for each
 * speaker, a track of grayscale mouth crops over the clip's video frames and
 * one grayscale face crop, and predicts one complex ratio mask per speaker;
 * the mask times the mixture's STFT (a complex product) is that speaker's
 * STFT, and the inverse STFT its voice. fusion/avspeech.h is the reference
 * architecture; every speech architecture fills an avs_speech_task.
 *
 * Geometry: audio at 16 kHz, STFT n_fft 512 / window 400 / hop 160 (periodic
 * Hann, centred: audio/stft.h's AVS_STFT_SPEECH) -> 257 bins at 100 frames/s;
 * video at `fps` frames/s.
 *
 * Time alignment (C and the PyTorch reference agree exactly): STFT frame t is
 * centred on sample 160 t, i.e. at t / 100 s, and sees the video frame shown
 * then, v(t) = min(floor(t * fps / 100), V - 1), computed in integers as
 * (t * fps) / 100 (fps an integer). A clip of V frames therefore needs about
 * 100 V / fps STFT frames; T and V may be any lengths (frames past V reuse the last).
 *
 * Layouts channels-last:
 *   spec    (N, T, 257, 2)        the mixture's STFT, (re, im) pairs, time-major
 *                                 (avs_stft with time_major), not compressed
 *   mouths  (N S, V, M, M, 1)     grayscale mouth crops, row n S + s = speaker s
 *                                 of mixture n, pixel values p / 127.5 - 1
 *   faces   (N S, Z, Z, 1)        one grayscale face crop per speaker, likewise
 *   masks   (N, S, T, 257, 2)     complex masks (re, im), each part bounded */
#ifndef AVS_FUSION_SPEECH_H
#define AVS_FUSION_SPEECH_H

#include "audio/stft.h"
#include "av/ctx.h"
#include "nn/model.h"

#define AVS_SPEECH_RATE 16000
#define AVS_SPEECH_BINS 257 /* n_fft 512 */
#define AVS_SPEECH_HOP 160  /* 100 STFT frames per second */

typedef struct {
  int speakers;              /* S: masks per mixture, inputs per mixture */
  int fps;                   /* video frames per second */
  int mouth_size, face_size; /* M, Z */
} avs_speech_geometry;

/* The speech kind's descriptor (avs_arch.task). */
typedef struct {
  void (*geometry)(const void *cfg, avs_speech_geometry *g);
  /* spec (N,T,257,2), mouths (N S,V,M,M,1), faces (N S,Z,Z,1) -> masks (N,S,T,257,2). */
  avs_tensor *(*forward)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *spec, avs_tensor *mouths,
                         avs_tensor *faces);
} avs_speech_task;

static inline const avs_speech_task *avs_speech_task_of(const avs_arch *a) { return a->task; }

/* The STFT every speech model reads (AVS_STFT_SPEECH, time-major). */
avs_stft_cfg avs_speech_stft_cfg(void);

/* The video frame STFT frame t sees (see "Time alignment"). */
static inline int64_t avs_speech_video_frame(int64_t t, int fps, int64_t frames) {
  int64_t v = t * fps / 100;
  return v < frames ? v : frames - 1;
}

/* Power-law compression of n complex values (2n floats; out may be spec):
 * c = S |S|^(power - 1), computed as S (|S|^2 + 1e-12)^((power - 1) / 2) so that
 * S = 0 gives 0. Not differentiable (the mixture is an input). */
#define AVS_SPEECH_COMPRESS_EPS 1e-12f
void avs_speech_compress(const float *spec, int64_t n, float power, float *out);

/* Each speaker's STFT: masks (N,S,T,F,2) times spec (N,T,F,2) as complex
 * numbers -> (N,S,T,F,2). Differentiable in the masks (and in spec). */
avs_tensor *avs_speech_apply_masks(avs_ctx *ctx, avs_tensor *masks, avs_tensor *spec);
/* The thresholded SNR loss (Wisdom et al., "Unsupervised sound separation using
 * mixture invariant training", 2020) on STFTs: for each of est's rows (item,
 * speaker; est and target (N,S,...) alike) 10 log10((|est - target|^2 + tau
 * |target|^2) / |target|^2) with tau = 10^(-cap_db / 10), averaged over the rows:
 * minus the mean SNR in dB, each row's capped at cap_db. Unlike the MSE, a quiet
 * speaker counts as much as a loud one, as in the mean SDR it is scored by.
 * Differentiable in est. */
avs_tensor *avs_speech_snr_loss(avs_ctx *ctx, avs_tensor *est, avs_tensor *target, float cap_db);

/* A speech model file; want_arch NULL accepts any speech architecture. Any
 * other kind of model is refused with one line naming what it is. */
int avs_speech_model_load(const char *path, const char *want_arch, avs_model **out);
void avs_speech_model_geometry(const avs_model *m, avs_speech_geometry *g);
/* The architecture's forward; eval mode folds batch norms. */
avs_tensor *avs_speech_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *spec, avs_tensor *mouths,
                                     avs_tensor *faces);

#endif
