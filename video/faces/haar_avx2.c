/* A row of Haar windows eight at a time (AVX2): the first stage for every
 * window of a block, then the next stages while at least two of the eight are
 * still alive, the rest one window at a time (haar_stages). Each lane does the
 * scalar code's operations in the scalar code's order (no FMA: the target
 * leaves it out), so the results are bit for bit those of haar.h. */
#include <immintrin.h>

#include "video/faces/haar.h"

#define TARGET __attribute__((target("avx2")))

/* Below this many live windows a block goes on one window at a time. */
#define MIN_LIVE 2

TARGET static inline __m256i rect8(const uint32_t *p, const int *o) {
  __m256i a = _mm256_loadu_si256((const __m256i *)(p + o[0]));
  __m256i b = _mm256_loadu_si256((const __m256i *)(p + o[1]));
  __m256i c = _mm256_loadu_si256((const __m256i *)(p + o[2]));
  __m256i d = _mm256_loadu_si256((const __m256i *)(p + o[3]));
  return _mm256_add_epi32(_mm256_sub_epi32(_mm256_sub_epi32(a, b), c), d);
}

/* uint32 lanes to double, exactly. */
TARGET static inline __m256d u32_to_pd(__m128i x) {
  __m128i flipped = _mm_xor_si128(x, _mm_set1_epi32(INT32_MIN));
  return _mm256_add_pd(_mm256_cvtepi32_pd(flipped), _mm256_set1_pd(2147483648.0));
}

/* haar_norm for 8 windows: the factors, and the mask of the windows it accepts. */
TARGET static inline unsigned norm8(const haar_layout *L, const uint32_t *p, __m256 *vnf) {
  __m256i sum = rect8(p, L->nofs), sq = rect8(p, L->qofs);
  __m256d area = _mm256_set1_pd(L->norm_area), zero = _mm256_setzero_pd();
  __m128 f[2];
  unsigned ok = 0;
  for (int h = 0; h < 2; h++) {
    __m128i s32 = h ? _mm256_extracti128_si256(sum, 1) : _mm256_castsi256_si128(sum);
    __m128i q32 = h ? _mm256_extracti128_si256(sq, 1) : _mm256_castsi256_si128(sq);
    __m256d s = _mm256_cvtepi32_pd(s32);
    __m256d nf = _mm256_sub_pd(_mm256_mul_pd(area, u32_to_pd(q32)), _mm256_mul_pd(s, s));
    __m256d pos = _mm256_cmp_pd(nf, zero, _CMP_GT_OQ);
    f[h] = _mm256_cvtpd_ps(_mm256_div_pd(_mm256_set1_pd(1.0), _mm256_sqrt_pd(nf)));
    __m256d small = _mm256_cmp_pd(_mm256_mul_pd(area, _mm256_cvtps_pd(f[h])), _mm256_set1_pd(1e-1), _CMP_LT_OQ);
    ok |= (unsigned)_mm256_movemask_pd(_mm256_and_pd(pos, small)) << (4 * h);
  }
  *vnf = _mm256_set_m128(f[1], f[0]);
  return ok;
}

/* One stage for 8 windows: the mask of those it passes. */
TARGET static inline unsigned stage8(const haar_layout *L, int si, const uint32_t *p, __m256 vnf) {
  const avs_cascade_stage *st = &L->c->stages[si];
  const haar_stump *s = L->stumps + st->first_tree;
  __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
  for (int t = 0; t < st->n_trees; t++, s++) {
    const haar_feature *f = &s->f;
    __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(f->w[0]), _mm256_cvtepi32_ps(rect8(p, f->ofs[0]))),
                             _mm256_mul_ps(_mm256_set1_ps(f->w[1]), _mm256_cvtepi32_ps(rect8(p, f->ofs[1]))));
    if (f->w[2] != 0.0f)
      v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(f->w[2]), _mm256_cvtepi32_ps(rect8(p, f->ofs[2]))));
    __m256 below = _mm256_cmp_ps(_mm256_mul_ps(v, vnf), _mm256_set1_ps(s->threshold), _CMP_LT_OQ);
    __m256 leaf = _mm256_blendv_ps(_mm256_set1_ps(s->right), _mm256_set1_ps(s->left), below);
    lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(leaf)));
    hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(leaf, 1)));
  }
  __m256d th = _mm256_set1_pd((double)st->threshold);
  return (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(lo, th, _CMP_NLT_UQ)) |
         (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(hi, th, _CMP_NLT_UQ)) << 4;
}

TARGET void haar_row_avx2(const haar_layout *L, const uint32_t *row, int n, int *res) {
  const avs_cascade *c = L->c;
  int skip = 0; /* the last window evaluated failed the first stage */
  for (int i0 = 0; i0 < n; i0 += 8) {
    const uint32_t *p = row + i0;
    int lanes = n - i0 < 8 ? n - i0 : 8;
    __m256 vnf;
    unsigned ok = norm8(L, p, &vnf);
    unsigned pass = stage8(L, 0, p, vnf);
    /* OpenCV's walk: a window refused by the first stage skips the next one. */
    unsigned live = 0;
    for (int k = 0; k < lanes; k++) {
      int *r = &res[i0 + k];
      if (skip) *r = HAAR_SKIPPED, skip = 0;
      else if (!(ok >> k & 1)) *r = -1;
      else if (!(pass >> k & 1)) *r = 0, skip = 1;
      else live |= 1u << k;
    }
    int si = 1;
    for (; si < c->n_stages && __builtin_popcount(live) >= MIN_LIVE; si++) {
      unsigned passed = stage8(L, si, p, vnf), out = live & ~passed;
      for (; out; out &= out - 1) res[i0 + __builtin_ctz(out)] = -si;
      live &= passed;
    }
    float f[8];
    _mm256_storeu_ps(f, vnf);
    for (; live; live &= live - 1) {
      int k = __builtin_ctz(live);
      res[i0 + k] = si < c->n_stages ? haar_stages(L, p + k, f[k], si) : 1;
    }
  }
}
