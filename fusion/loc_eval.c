/* Localization scores (loc_eval.h): cIoU at the median threshold, AP50, AUC,
 * the whole-frame and centre-Gaussian baselines, the silent-object share. */
#include "fusion/loc_eval.h"

#include <math.h>
#include <string.h>

void avs_loc_box_union(int w, int h, const int (*boxes)[4], int n, uint8_t *g) {
  memset(g, 0, (size_t)w * (size_t)h);
  for (int k = 0; k < n; k++) {
    int x0 = boxes[k][0] < 0 ? 0 : boxes[k][0], y0 = boxes[k][1] < 0 ? 0 : boxes[k][1];
    int x1 = boxes[k][2] > w ? w : boxes[k][2], y1 = boxes[k][3] > h ? h : boxes[k][3];
    for (int y = y0; y < y1; y++)
      for (int x = x0; x < x1; x++) g[(size_t)y * w + x] = 1;
  }
}

static float median_of_three(float a, float b, float c) {
  if (a > b) { float t = a; a = b; b = t; }
  return c < a ? a : c > b ? b : c;
}

/* The k-th smallest of v[0..n) by quickselect with a three-way partition:
 * ties (constant or quantised maps are common) stay linear. */
static float select_kth(float *v, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n; /* the answer lies in v[lo..hi) */
  for (;;) {
    if (hi - lo == 1) return v[lo];
    float pivot = median_of_three(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
    int64_t lt = lo, i = lo, gt = hi; /* [lo,lt) < pivot, [lt,i) == pivot, [gt,hi) > pivot */
    while (i < gt) {
      float x = v[i];
      if (x < pivot) v[i] = v[lt], v[lt++] = x, i++;
      else if (x > pivot) v[i] = v[--gt], v[gt] = x;
      else i++;
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else return pivot;
  }
}

float avs_loc_median_threshold(const float *heat, int64_t n, float *scratch) {
  memcpy(scratch, heat, sizeof(float) * (size_t)n);
  return select_kth(scratch, n, n / 2);
}

double avs_loc_ciou_binary(const uint8_t *p, const uint8_t *g, int64_t n) {
  int64_t hit = 0, area = 0, false_pos = 0;
  for (int64_t i = 0; i < n; i++) {
    hit += p[i] & g[i];
    area += g[i];
    false_pos += p[i] & !g[i];
  }
  return area + false_pos ? (double)hit / (double)(area + false_pos) : 0.0;
}

double avs_loc_ciou(const float *heat, const uint8_t *g, int64_t n, float *scratch) {
  return avs_loc_ciou_at(heat, g, n, avs_loc_median_threshold(heat, n, scratch), scratch);
}

double avs_loc_ciou_at(const float *heat, const uint8_t *g, int64_t n, float t, float *scratch) {
  /* The binary map reuses scratch's bytes. */
  uint8_t *p = (uint8_t *)scratch;
  for (int64_t i = 0; i < n; i++) p[i] = heat[i] > t;
  return avs_loc_ciou_binary(p, g, n);
}

double avs_loc_ciou_bound(const uint8_t *g, int64_t n) {
  int64_t area = 0, k = n - n / 2 - 1; /* the most values a median threshold can leave above it */
  for (int64_t i = 0; i < n; i++) area += g[i];
  if (k <= 0 || area == 0) return 0.0;
  return area >= k ? (double)k / (double)area : (double)area / (double)k;
}

double avs_loc_ciou_whole_frame(const uint8_t *g, int64_t n) {
  int64_t area = 0;
  for (int64_t i = 0; i < n; i++) area += g[i];
  return n ? (double)area / (double)n : 0.0;
}

void avs_loc_centre_gaussian(int w, int h, float *heat) {
  const double sx = w / 4.0, sy = h / 4.0;
  double lo = INFINITY, hi = -INFINITY;
  /* Two passes in double (values, then min-max) so that the stored floats are
   * the double results rounded once, as the numpy reference computes them. */
  for (int pass = 0; pass < 2; pass++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        double dx = (x + 0.5 - w / 2.0) / sx, dy = (y + 0.5 - h / 2.0) / sy;
        double v = exp(-0.5 * (dx * dx + dy * dy));
        if (pass == 0) {
          lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        } else {
          heat[(size_t)y * w + x] = hi > lo ? (float)((v - lo) / (hi - lo)) : 0.0f;
        }
      }
}

void avs_loc_summarise(const double *ciou, int n, avs_loc_summary *s) {
  memset(s, 0, sizeof *s);
  s->n = n;
  if (n <= 0) return;
  int at_half = 0;
  for (int c = 0; c < n; c++) {
    s->mean_ciou += ciou[c] / n;
    at_half += ciou[c] >= 0.5;
  }
  s->ap50 = (double)at_half / n;
  for (int i = 0; i < AVS_LOC_AUC_POINTS; i++) {
    int k = 0;
    /* 0.05 * i, not i / 20.0: the Python scripts' thresholds, bit for bit
     * (0.05 * 3 is 0.15000000000000002), so a cIoU on a threshold counts alike. */
    for (int c = 0; c < n; c++) k += ciou[c] >= 0.05 * i;
    s->success[i] = (double)k / n;
  }
  for (int i = 0; i + 1 < AVS_LOC_AUC_POINTS; i++)
    s->auc += (0.05 * (i + 1) - 0.05 * i) * (s->success[i] + s->success[i + 1]) / 2;
}

double avs_loc_silent_share(const float *heat, const uint8_t *sounding, const uint8_t *silent, int64_t n) {
  double on_silent = 0, on_sounding = 0;
  for (int64_t i = 0; i < n; i++) {
    if (silent[i]) on_silent += heat[i];
    if (sounding[i]) on_sounding += heat[i];
  }
  return on_silent + on_sounding > 0 ? on_silent / (on_silent + on_sounding) : NAN;
}

void avs_loc_silent_summarise(const double *share, int n, avs_loc_silent_summary *s) {
  memset(s, 0, sizeof *s);
  int within = 0;
  for (int c = 0; c < n; c++) {
    if (isnan(share[c])) continue;
    s->clips++;
    s->mean_share += share[c];
    within += share[c] <= AVS_LOC_SILENT_OK;
  }
  if (s->clips) s->mean_share /= s->clips, s->within_10pct = (double)within / s->clips;
}
