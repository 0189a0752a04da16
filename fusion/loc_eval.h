/* Scoring sound-source localization: the protocol of LVS ("Localizing Visual
 * Sounds the Hard Way", Chen et al. 2021) and EZ-VSL (Mo & Morgado 2022), as
 * their test scripts compute it, plus trivial baselines and a silent-object
 * test (docs/BENCHMARK.md).
 *
 * Maps are w x h floats (row-major, the frame's own size) min-max normalised
 * to [0, 1] (avs_loc_heatmaps gives them so). The ground truth of a frame is
 * the union of its sounding objects' boxes, g[i] in {0, 1}.
 *
 *   cIoU  the map binarised at its median, p = [map > t] with t the value at
 *         sorted index w*h/2 (LVS: np.sort(pred.flatten())[int(H*W/2)]):
 *         cIoU = sum(p g) / (sum(g) + sum(p [g = 0])).
 *   AP50  the fraction of clips with cIoU >= 0.5.
 *   AUC   the area under the success rate (fraction of clips with cIoU >= t)
 *         over t = 0.05 i, i = 0..20, by trapezoids (sklearn.metrics.auc).
 *
 * Every count is an integer, so cIoU is the same double numpy computes and
 * the thresholds 0.05 i are compared exactly as the Python scripts do. */
#ifndef AVS_FUSION_LOC_EVAL_H
#define AVS_FUSION_LOC_EVAL_H

#include <stdint.h>

#define AVS_LOC_AUC_POINTS 21 /* t = 0, 0.05, ..., 1.0 */

/* g (w*h bytes) = 1 inside the union of boxes[0..n) ([x0, y0, x1, y1],
 * half-open pixels, clipped to the frame; empty boxes add nothing), else 0. */
void avs_loc_box_union(int w, int h, const int (*boxes)[4], int n, uint8_t *g);

/* The median threshold of a map of n values: the value at sorted index n / 2.
 * scratch: n floats (the map is left untouched). */
float avs_loc_median_threshold(const float *heat, int64_t n, float *scratch);

/* cIoU of a binary prediction p against g (n values each, 0 or 1). A zero
 * denominator (empty g and empty p) gives 0: nothing to find, nothing found
 * is not counted as a hit. */
double avs_loc_ciou_binary(const uint8_t *p, const uint8_t *g, int64_t n);

/* cIoU of a map: binarised at its median threshold, then avs_loc_ciou_binary.
 * scratch: n floats. */
double avs_loc_ciou(const float *heat, const uint8_t *g, int64_t n, float *scratch);

/* cIoU of a map binarised at a fixed threshold t (p = [map > t]), the
 * common alternative to the median. scratch: n floats. */
double avs_loc_ciou_at(const float *heat, const uint8_t *g, int64_t n, float t, float *scratch);

/* The best cIoU a map without ties can score under the median rule: at most
 * n - n/2 - 1 values lie above the median, so when the sounding boxes cover
 * less than about half the frame the prediction must spill past them (and
 * cIoU = |g| / (n - n/2 - 1) at best; a quarter of the frame is needed for 0.5). */
double avs_loc_ciou_bound(const uint8_t *g, int64_t n);

/* The whole-frame baseline: p = 1 everywhere (no thresholding), so
 * cIoU = sum(g) / n. */
double avs_loc_ciou_whole_frame(const uint8_t *g, int64_t n);

/* The centre-Gaussian baseline map: a Gaussian centred on the frame (pixel
 * centres at x + 0.5), sigma a quarter of each side, min-max normalised to
 * [0, 1] (computed in double, stored as float). Scored like a model's map. */
void avs_loc_centre_gaussian(int w, int h, float *heat);

typedef struct {
  int n;                                /* clips scored */
  double ap50, auc, mean_ciou;
  double success[AVS_LOC_AUC_POINTS];   /* fraction with cIoU >= 0.05 i */
} avs_loc_summary;

/* AP50, AUC and mean cIoU of n clips' cIoUs (n = 0: every figure 0). */
void avs_loc_summarise(const double *ciou, int n, avs_loc_summary *s);

/* The silent-object test of one frame: share = H(silent) / (H(silent) +
 * H(sounding)), H(u) the sum of the (normalised, not binarised) map over the
 * union u (1 inside). A localizer that follows the sound puts little heat on
 * an instrument in view that does not play. NaN when the map is 0 on both
 * unions (it points at neither object: the clip tells nothing). */
double avs_loc_silent_share(const float *heat, const uint8_t *sounding, const uint8_t *silent, int64_t n);

#define AVS_LOC_SILENT_OK 0.1 /* a share at or below this counts as "within 10%" */

typedef struct {
  int clips;          /* clips with a silent object in view and a defined share */
  double mean_share;
  double within_10pct; /* fraction of those clips with share <= AVS_LOC_SILENT_OK */
} avs_loc_silent_summary;

/* The mean share and the fraction <= 0.1 over n shares; NaN entries (no
 * silent object, or an undefined share) are left out. */
void avs_loc_silent_summarise(const double *share, int n, avs_loc_silent_summary *s);

#endif
