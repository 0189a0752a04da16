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

#include "fusion/sep_data.h"

#define AVS_SEP_NMF_ITERS 50          /* default updates of the activations (20 components: 9.26 dB; 100: 9.43) */
#define AVS_SEP_NMF_LEARN_ITERS 100   /* updates of a dictionary */
#define AVS_SEP_NMF_LEARN_FRAMES 4000 /* most STFT frames a dictionary is learned from */
#define AVS_SEP_NMF_MAX_CLASSES 1000  /* xattn's nmf at most */

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
