/* Scoring a separation model on an avdata set (aveval sep -m, avtrain sep's
 * validation): a mixture of one or more clips of the set is separated, each
 * object by its own box crops, and the sounding objects' tracks are scored
 * against their stems with BSS Eval v3 (as mir_eval) and SI-SDR; silent
 * objects in view are scored by the energy of their track relative to the
 * mixture (dB; near-silence is the goal). */
#ifndef AVS_FUSION_SEP_EVAL_H
#define AVS_FUSION_SEP_EVAL_H

#include <stdbool.h>

#include "fusion/sep_data.h"
#include "fusion/separate.h"

#define AVS_SEP_EVAL_MAX 16

typedef struct {
  int n_sounding, n_silent;
  int obj[AVS_SEP_EVAL_MAX];               /* set object index of each sounding source */
  double sdr[AVS_SEP_EVAL_MAX], sir[AVS_SEP_EVAL_MAX], sar[AVS_SEP_EVAL_MAX], si_sdr[AVS_SEP_EVAL_MAX];
  double mix_sdr[AVS_SEP_EVAL_MAX];        /* SDR of the mixture as the estimate (for NSDR) */
  int silent_obj[AVS_SEP_EVAL_MAX];
  double silent_db[AVS_SEP_EVAL_MAX];      /* energy of a silent object's track over the mixture's, dB */
  int found, n_est;                        /* discovered: sources found unaided, regions separated */
} avs_sep_eval_result;

/* Scores n estimates against their references, in order (BSS Eval v3 without
 * permutation, SI-SDR, and the mixture's SDR for NSDR), into r's first n
 * entries and r->n_sounding; a silent estimate gets a faint dither first
 * (BSS Eval has no SDR for it). The one scoring rule of every protocol. */
int avs_sep_eval_score(const float *const *ref, float *const *est, const float *mix, int n, int64_t L,
                       avs_sep_eval_result *r);

/* Separates the sum of clips[0..n) of the set (every object by its box) and
 * scores it. AVS_EINVAL when the clips have no sounding object or more than
 * AVS_SEP_EVAL_MAX objects. */
int avs_sep_eval_mixture(const avs_model *m, const avs_sep_set *s, const int *clips, int n, avs_sep_mask_rule rule,
                         avs_sep_eval_result *r);

/* The same mixture separated by the ideal masks at the model's geometry
 * (avs_sep_ideal_mask from the stems: binary, or the ratio clamped to 1) instead
 * of the model's: the best its masks on the warped rows can score. */
int avs_sep_eval_oracle(const avs_model *m, const avs_sep_set *s, const int *clips, int n, bool ratio,
                        avs_sep_eval_result *r);

/* Clip c's sounding objects (its own mixture) separated as avsep separate does
 * without boxes (fusion/discover.h): regions found on the window's frames,
 * as many as the clip has sounding objects, scored against the stems by the
 * best permutation (mir_eval's); a missing region scores as silence. Also
 * r->found: how many sources discovery finds when not told the count. */
int avs_sep_eval_discovered(const avs_model *m, const avs_sep_set *s, int clip, avs_sep_mask_rule rule,
                            avs_sep_eval_result *r);

#endif
