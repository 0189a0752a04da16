/* Separating a whole signal of any length with a separation model: windows
 * of the model's `samples` lie inside the signal, half a window apart, the
 * last one flush with its end (a signal shorter than a window is one window,
 * padded with silence at its end); each window's sources are separated from
 * their crops, and the windows are overlap-added with sin^2 weights divided by
 * their sum at each sample: the sources of a signal add up to the masked
 * mixture, time-aligned. */
#ifndef AVS_FUSION_SEPARATE_H
#define AVS_FUSION_SEPARATE_H

#include <stdbool.h>
#include <stdint.h>

#include "fusion/sep_data.h"
#include "fusion/separation.h"

/* Fills crops (sources x frames x height x width x 3) for window k of the
 * signal, which starts at its sample s0. */
typedef int (*avs_sep_crops_fn)(void *user, int64_t k, int64_t s0, float *crops);

/* Masks (sources x freq x time, in [0, 1]) of the window that starts at s0,
 * from something other than the model: w holds the mixture window's spectra. */
typedef int (*avs_sep_masks_fn)(void *user, avs_sep_audio *fe, int64_t s0, const avs_sep_window *w, float *masks);

/* How a window's mask logits become masks. By default the sources of a
 * window compete for each time-frequency bin: each sigmoid mask m_j is scaled
 * by its share of the squared masks, m_j * m_j^2 / sum_k m_k^2, so the masks
 * add up to at most one, a loud bin goes mostly to the source that claims it
 * most, and one source alone keeps its mask (music1000 val, shipped xattn:
 * SDR 5.13 -> 6.37 dB, SIR 8.1 -> 11.7; docs/BENCHMARK.md). */
typedef struct {
  bool binary;      /* thresholded at 0.5 after competing (Sound of Pixels' test option) */
  bool independent; /* each source's own sigmoid, no competition */
} avs_sep_mask_rule;

/* "compete" or "independent" (with the binary flag) into a rule; AVS_EINVAL otherwise. */
int avs_sep_mask_rule_parse(const char *text, bool binary, avs_sep_mask_rule *rule);

/* The competition above on masks (sources x plane, in [0, 1]), in place. */
void avs_sep_compete_masks(float *masks, int sources, size_t plane);

typedef struct {
  int sources;
  avs_sep_crops_fn crops;
  void *user;
  avs_sep_mask_rule rule;       /* the model's masks (unused with .masks) */
  avs_sep_masks_fn masks;       /* NULL: the model's masks (crops unused otherwise) */
  avs_sep_progress_fn progress; /* windows done of total */
  void *progress_user;
} avs_sep_job;

/* The windows a signal of n samples is cut into, and where window k starts. */
int64_t avs_sep_windows(const avs_sep_geometry *g, int64_t n);
int64_t avs_sep_window_start(const avs_sep_geometry *g, int64_t n, int64_t k);

/* x: n samples at the model's rate; out[j]: n samples each (caller's). */
int avs_sep_separate(const avs_model *m, const float *x, int64_t n, const avs_sep_job *job, float *const *out);

/* Adds what the tracks miss of the mixture (mix - sum of tracks: the band
 * above the model's rate, the masks' leftovers) to them in proportion to each
 * track's energy in blocks of `block` samples (equal shares in silent
 * blocks), so that the tracks add up to the mixture. */
void avs_sep_complete(float *const *tracks, int sources, const float *mix, int64_t n, int block);

#endif
