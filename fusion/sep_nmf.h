/* NMF class shares as a separation model's audio prior (xattn's nmf hyperparameter).
 *
 * Each instrument class has a KL-NMF dictionary (audio/nmf.h) learned from the
 * training stems of that class. A mixture window's linear magnitude is
 * decomposed on all the dictionaries at once (activations fitted, dictionaries
 * fixed), and each class's share of every bin, W_c H_c / sum_j W_j H_j, is what
 * the model sees besides the log magnitude: an audio-only guess of "which class
 * holds this bin", for the visual side to pick from. On music1000's test split
 * these shares alone, taken for each source's true class, score 10.8 dB SDR with
 * 40 components (9.3 with 20; docs/MODELS.md); the model has to find the class
 * from the pixels, and whether the instrument sounds at all.
 *
 * Layout: dictionaries (classes, bins, comps), each (bins, comps) as audio/nmf.h
 * wants; the shares enter the net input (freq, time, channels) as channels
 * 1..classes, warped to the model's rows like the magnitude, as logits
 * ln((s + 1e-3) / (1 - s + 1e-3)) so that a synthesizer weight of 1 on one
 * class reproduces that class's NMF mask. */
#ifndef AVS_FUSION_SEP_NMF_H
#define AVS_FUSION_SEP_NMF_H

#include "av/params.h"
#include "fusion/sep_data.h"
#include "nn/hparam.h"

#define AVS_SEP_NMF_ITERS 50          /* default updates of the activations (20 components: 9.26 dB; 100: 9.43) */
#define AVS_SEP_NMF_LEARN_ITERS 100   /* updates of a dictionary */
#define AVS_SEP_NMF_LEARN_FRAMES 4000 /* most STFT frames a dictionary is learned from */
#define AVS_SEP_NMF_MAX_CLASSES 1000  /* a model's nmf at most */
#define AVS_SEP_NMF_DICTIONARY "audio.nmf.dictionary" /* the dictionaries' tensor in a model with the prior */

/* A model with the prior (xattn, cosep) has the int fields nmf, nmf_components and nmf_iters in its
 * cfg `type`; these are their hyperparameters, checked by avs_sep_nmf_check. */
#define AVS_SEP_NMF_HPARAMS(type)                                                                                 \
  AVS_HP(type, nmf, AVS_HP_INT,                                                                                   \
         "C > 0: the audio input also holds the shares of C instrument classes' NMF dictionaries in every bin, "  \
         "learned from the training stems (fusion/sep_nmf.h); 0: none (0)"),                                     \
      AVS_HP(type, nmf_components, AVS_HP_INT, "components of each NMF class dictionary (20)"),                  \
      AVS_HP(type, nmf_iters, AVS_HP_INT,                                                                         \
             "updates of the NMF activations per window; the prior's cost scales with nmf_components x nmf_iters (50)")

/* AVS_EINVAL naming arch unless nmf is in 0..AVS_SEP_NMF_MAX_CLASSES, comps and iters in 1..1000. */
int avs_sep_nmf_check(const char *arch, int nmf, int comps, int iters);
/* Declares the dictionaries (nmf, 512, comps) as a buffer: learned by NMF before training (avtrain
 * sep and cosep), not by the gradient. Nothing when nmf is 0. */
int avs_sep_nmf_declare(avs_params *p, int nmf, int comps);
/* A model's avs_sep_task.audio_prior: avs_sep_nmf_shares with the dictionaries in p. */
int avs_sep_nmf_prior(const avs_params *p, const avs_sep_geometry *g, const char *arch, int nmf, int comps,
                      int iters, const float *mag, int64_t frames, float *prior, float *linear);

/* The share logits of mag (bins, frames), any number of frames, into shares (freq, frames, classes) and,
 * when linear is not NULL, on the linear bins before the warp into linear (classes, bins, frames), after
 * `iters` updates of the activations (xattn's nmf_iters; the cost scales with comps x iters).
 * With fixed dictionaries the updates of one frame's activations see that frame alone, so the
 * frames go by chunks of g->time (a window's frames: one chunk, as in training), the chunks on
 * every thread, each from seed 7. AVS_EINVAL for no classes or frames; AVS_ENOMEM. */
int avs_sep_nmf_shares(const avs_sep_geometry *g, const float *dict, int classes, int comps, int iters,
                       const float *mag, int64_t frames, float *shares, float *linear);

/* How many classes hold at least min_share of a window's energy: each class's energy is
 * sum over bins of share x magnitude^2, from the window's share logits on the linear bins
 * (classes, bins, time: avs_sep_window.linear) and its magnitude (bins, time). The benchmark's
 * instruments in a clip are of distinct classes, so this counts the instruments that sound
 * (discovery's count, fusion/discover.h). At least 1 when the window has any energy. */
int avs_sep_nmf_count(const avs_sep_geometry *g, int classes, const float *linear, const float *mag, float min_share);

/* The dictionaries (classes, bins, comps) from the sounding objects of s: per class up to
 * AVS_SEP_NMF_LEARN_FRAMES frames of its objects' windows (those above 1e-3 of their window's loudest
 * frame's energy), AVS_SEP_NMF_LEARN_ITERS updates from seed 1000 + class. A class with fewer than comps
 * such frames keeps a zero dictionary (its share is then 0 everywhere) and counts in *missing.
 * AVS_EINVAL naming the category when a sounding object's class is not below `classes`. */
int avs_sep_nmf_learn(const avs_sep_set *s, avs_sep_audio *fe, int classes, int comps, avs_sep_progress_fn progress,
                      void *user, float *dict, int *missing);

#endif
