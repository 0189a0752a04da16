/* The separation kind of the model layer (nn/model.h): visually guided source
 * separation. A separation model sees a window of a mixture's spectrogram and,
 * for each source to separate, a small clip of frames cropped around the
 * source (its box, a pixel's neighbourhood, or the whole frame), and predicts
 * one spectrogram mask per source. Sound of Pixels (fusion/sop.h) is the
 * reference architecture; every separation architecture fills an
 * avs_sep_task.
 *
 * Geometry: audio at `rate` Hz, windows of `samples` samples, STFT n_fft/hop
 * (Hann) -> `bins` linear bins x `time` frames, warped to `freq` log-frequency
 * rows (audio/logfreq.h) and log-compressed for the net; masks come back on
 * the `freq` rows and are unwarped to the linear bins. Visual input per
 * source: `frames` RGB frames of height x width, normalised as `norm`. */
#ifndef AVS_FUSION_SEPARATION_H
#define AVS_FUSION_SEPARATION_H

#include <stdbool.h>
#include <stdint.h>

#include "av/ctx.h"
#include "nn/model.h"

typedef struct {
  int rate, n_fft, hop, samples;
  int bins, time, freq;          /* linear bins, STFT frames per window, warped rows */
  int channels;                  /* the audio net's input channels per (row, frame): 1, the log magnitude, + priors */
  int frames, height, width;     /* visual input per source */
  const char *norm;              /* video/preprocess.h preset */
} avs_sep_geometry;

/* The separation kind's descriptor (avs_arch.task). */
typedef struct {
  void (*geometry)(const void *cfg, avs_sep_geometry *g);
  /* Linear magnitude (bins, time) of one window -> the audio net's input channel 0 (freq, time). */
  int (*audio_input)(const void *cfg, const float *mag, float *logmag);
  /* With geometry.channels > 1 (NULL otherwise): the input's other channels, a prior computed
   * from the linear magnitude (bins, frames) of any number of frames, each frame on its own
   * (xattn's NMF class shares), into prior (freq, frames, channels - 1) and, when linear is not
   * NULL, the same prior before the warp, on the linear bins, into linear (channels - 1, bins, frames). */
  int (*audio_prior)(const avs_params *p, const void *cfg, const float *mag, int64_t frames, float *prior,
                     float *linear);
  /* logmag (N, freq, time, 1) -> audio features (N, freq, time, K). */
  avs_tensor *(*audio)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *logmag);
  /* crops (M, frames, height, width, 3) -> visual vectors (M, K). */
  avs_tensor *(*visual)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *crops);
  /* features (M, freq, time, K) and visual vectors (M, K) -> mask logits (M, freq, time). */
  avs_tensor *(*masks)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *feats, avs_tensor *vis);
  /* Instead of audio, visual and masks, for a model whose paths do not split
   * (the cross-modal attention model: each source's copy of its mixture's
   * spectrogram attends to that source's clip): logmag (N, freq, time, channels) of N mixtures,
   * crops (M, ...) of M sources, source j of mixture mix_of[j] -> mask logits (M, freq, time). When the logits are linear in
   * the prior channels (xattn's synthesizer reads the NMF share logits) and prior_weights is not NULL,
   * also each source's weights of them, (M, channels - 1), so that the masks can be taken on the
   * linear bins (avs_sep_linear_logits); *prior_weights stays NULL otherwise. */
  avs_tensor *(*forward)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *logmag, const int *mix_of,
                         avs_tensor *crops, avs_tensor **prior_weights);
} avs_sep_task;

static inline const avs_sep_task *avs_sep_task_of(const avs_arch *a) { return a->task; }

/* Sound of Pixels' audio input, shared by the architectures on its geometry: a
 * linear magnitude (512 bins, frames) -> log(warp(mag + 1e-10)) on freq
 * log-frequency rows (audio/logfreq.h, align_corners as PyTorch 0.4). */
#define AVS_SEP_SOP_BINS 512
int avs_sep_sop_logmag(int freq, const float *mag, int64_t frames, float *logmag);
/* Its geometry: 11025 Hz, STFT 1022 / hop 256 (Hann) with centre padding, so
 * `time` frames span 256 * time - 1 samples (65535 for 256); ImageNet-normalised frames. */
void avs_sep_sop_geometry(int freq, int time, int frames, int height, int width, avs_sep_geometry *g);


/* A separation model file; want_arch NULL accepts any separation architecture. */
int avs_sep_model_load(const char *path, const char *want_arch, avs_model **out);
void avs_sep_model_geometry(const avs_model *m, avs_sep_geometry *g);

/* Mask logits (M, freq, time) of M sources: logmag (N, freq, time, 1) holds N
 * mixtures, crops (M, frames, height, width, 3) one clip per source, and
 * source j belongs to mixture mix_of[j]. Eval mode folds batch norms. */
avs_tensor *avs_sep_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *logmag, avs_tensor *crops,
                                  const int *mix_of);
/* The same and, for a model whose logits are linear in its prior channels, each source's weights
 * of them into *prior_weights (M, channels - 1; NULL for other models): see avs_sep_task.forward. */
avs_tensor *avs_sep_model_forward_prior(avs_ctx *ctx, const avs_model *m, avs_tensor *logmag, avs_tensor *crops,
                                        const int *mix_of, avs_tensor **prior_weights);

#endif
