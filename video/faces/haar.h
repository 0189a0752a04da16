/* Haar windows as OpenCV 4.6's HaarEvaluator computes them, float for float,
 * for detect.c's scans and the AVX2 row scan (haar_avx2.c), which must agree
 * with it bit for bit: features as corner offsets into the integral planes,
 * the window's normalisation, and a stump cascade's stages.
 *
 * Offsets are relative to the window's top-left corner in one arrangement
 * of the planes (a layout): the planes as integrated, or each plane split
 * into its even and odd columns so that the windows of a step-2 level lie in
 * consecutive elements. Either way the window after window i is at i + 1. */
#ifndef AVS_VIDEO_FACES_HAAR_H
#define AVS_VIDEO_FACES_HAAR_H

#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "video/faces/cascade.h"

typedef struct {
  int ofs[3][4]; /* corners of each rectangle: + ofs[0] - ofs[1] - ofs[2] + ofs[3] */
  float w[3];    /* weight 0: no third rectangle */
} haar_feature;

typedef struct {
  haar_feature f;
  float threshold, left, right; /* left when the normalised value is below threshold */
} haar_stump;

/* A stump cascade in one layout. */
typedef struct {
  const avs_cascade *c; /* the stages: n_trees and threshold of each */
  haar_stump *stumps;   /* every tree, in the cascade's order */
  int nofs[4], qofs[4]; /* the normalisation rectangle (1, 1, W - 2, H - 2) in the sum and squares planes */
  double norm_area;
} haar_layout;

/* Row results: 1 every stage passed, 0 refused by the first stage (the next
 * window is skipped), -s refused by stage s, -1 too flat to normalise;
 * HAAR_SKIPPED: not evaluated, as OpenCV skips it. */
#define HAAR_SKIPPED INT_MIN

static inline int32_t haar_rect(const uint32_t *p, const int *o) {
  return (int32_t)(p[o[0]] - p[o[1]] - p[o[2]] + p[o[3]]);
}

/* HaarEvaluator::OptFeature::calc. */
static inline float haar_value(const haar_feature *f, const uint32_t *p) {
  float v = f->w[0] * (float)haar_rect(p, f->ofs[0]) + f->w[1] * (float)haar_rect(p, f->ofs[1]);
  if (f->w[2] != 0.0f) v += f->w[2] * (float)haar_rect(p, f->ofs[2]);
  return v;
}

/* 1 / the window's standard deviation times its area (setWindow's
 * varianceNormFactor), or 0 for a window OpenCV refuses as too flat. */
static inline float haar_norm(const haar_layout *L, const uint32_t *p) {
  int32_t valsum = haar_rect(p, L->nofs);
  uint32_t valsq = p[L->qofs[0]] - p[L->qofs[1]] - p[L->qofs[2]] + p[L->qofs[3]];
  double nf = L->norm_area * valsq - (double)valsum * valsum;
  if (!(nf > 0.)) return 0.0f;
  float vnf = (float)(1. / sqrt(nf));
  return L->norm_area * vnf < 1e-1 ? vnf : 0.0f;
}

/* The stages from `from` on of the window at p: 1, or -(the stage that refused it). */
static inline int haar_stages(const haar_layout *L, const uint32_t *p, float vnf, int from) {
  const avs_cascade *c = L->c;
  const haar_stump *s = L->stumps + c->stages[from].first_tree;
  for (int si = from; si < c->n_stages; si++) {
    const avs_cascade_stage *st = &c->stages[si];
    double sum = 0;
    for (int t = 0; t < st->n_trees; t++, s++) {
      float v = haar_value(&s->f, p) * vnf;
      sum += v < s->threshold ? s->left : s->right;
    }
    if (sum < st->threshold) return -si;
  }
  return 1;
}

/* The n windows of a row, the first at row: res[i] as above. The planes must
 * be readable 8 elements past the last window's farthest corner. */
void haar_row_avx2(const haar_layout *L, const uint32_t *row, int n, int *res);

#endif
