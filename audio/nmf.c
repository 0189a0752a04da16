/* KL-NMF by multiplicative updates (see nmf.h). */
#include "audio/nmf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mask.h"
#include "av/ctx.h"
#include "av/gemm.h"
#include "av/rng.h"
#include "av/status.h"

#define NMF_EPS 1e-9f

static int check_sizes(const char *what, int F, int T, int K, int iters) {
  if (F < 1 || T < 1 || K < 1 || iters < 0)
    return avs_seterr(AVS_EINVAL, "%s: sizes F %d, T %d, K %d must be at least 1 and iterations %d not negative", what,
                      F, T, K, iters);
  return AVS_OK;
}

/* R = V / (W H + eps), F x T */
static void ratio(const float *V, const float *W, const float *H, int F, int T, int K, float *R) {
  size_t ft = (size_t)F * T;
  avs_gemm(false, false, F, T, K, 1, W, K, H, T, 0, R, T);
  for (size_t i = 0; i < ft; i++) R[i] = V[i] / (R[i] + NMF_EPS);
}

static void column_sums(const float *W, int F, int K, float *den) {
  for (int k = 0; k < K; k++) den[k] = 0;
  for (int f = 0; f < F; f++)
    for (int k = 0; k < K; k++) den[k] += W[(size_t)f * K + k];
}

/* H *= W^T R / W^T 1 with bf16 products (the process precision's, av/ctx.h): W and W^T rounded
 * once, H and R = V / WH at each update; the sums, the ratio and H itself stay fp32 (den becomes
 * 1 / W^T 1). The products run at 180 GFLOP/s a core on a Zen 4, sgemm's at 100. */
static int update_h_bf16(const float *V, int F, int T, int K, const float *W, float *H, int iters, float *R,
                         float *num, float *den) {
  uint16_t *w = malloc(sizeof *w * (size_t)F * K * 2), *h = malloc(sizeof *h * (size_t)K * T),
           *r = malloc(sizeof *r * (size_t)F * T);
  avs_gemm_bf16_plan *wh = NULL, *wtr = NULL;
  int rc = w && h && r ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory for an NMF of %d x %d", F, T);
  if (!rc) rc = avs_gemm_bf16_plan_new(false, false, F, T, K, K, T, T, &wh);
  if (!rc) rc = avs_gemm_bf16_plan_new(false, false, K, T, F, F, T, T, &wtr);
  uint16_t *wt = w ? w + (size_t)F * K : NULL; /* W^T, K x F: both products read plain rows */
  if (!rc) {
    avs_bf16_round_n(W, (size_t)F * K, w);
    for (int f = 0; f < F; f++)
      for (int k = 0; k < K; k++) wt[(size_t)k * F + f] = w[(size_t)f * K + k];
    column_sums(W, F, K, den);
    for (int k = 0; k < K; k++) den[k] = 1 / (den[k] + NMF_EPS);
    avs_bf16_round_n(H, (size_t)K * T, h);
  }
  size_t ft = (size_t)F * T;
  for (int it = 0; !rc && it < iters; it++) {
    if ((rc = avs_gemm_bf16_run(wh, w, h, R))) break;
    for (size_t i = 0; i < ft; i++) r[i] = avs_bf16_round(V[i] / (R[i] + NMF_EPS));
    if ((rc = avs_gemm_bf16_run(wtr, wt, r, num))) break;
    for (int k = 0; k < K; k++) /* H and its bf16 copy for the next update in one pass */
      for (size_t i = (size_t)k * T; i < (size_t)(k + 1) * T; i++) h[i] = avs_bf16_round(H[i] *= num[i] * den[k]);
  }
  avs_gemm_bf16_plan_free(&wh), avs_gemm_bf16_plan_free(&wtr);
  free(w), free(h), free(r);
  return rc;
}

int avs_nmf_update(const float *V, int F, int T, int K, float *W, float *H, bool update_w, int iters) {
  int rc = check_sizes("avs_nmf_update", F, T, K, iters);
  if (rc) return rc;
  float *R = malloc((size_t)F * T * sizeof(float)), *num = malloc((size_t)(F > T ? F : T) * K * sizeof(float));
  float *den = malloc((size_t)K * sizeof(float));
  if (!R || !num || !den) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for an NMF of %d x %d", F, T);
    goto fail;
  }
  if (!update_w && avs_precision_default() == AVS_BF16) {
    rc = update_h_bf16(V, F, T, K, W, H, iters, R, num, den);
    goto fail;
  }
  for (int it = 0; it < iters; it++) {
    /* H *= W^T R / W^T 1 (W^T 1 once, when W stays) */
    ratio(V, W, H, F, T, K, R);
    avs_gemm(true, false, K, T, F, 1, W, K, R, T, 0, num, T);
    if (it == 0 || update_w) column_sums(W, F, K, den);
    for (int k = 0; k < K; k++)
      for (int t = 0; t < T; t++) H[(size_t)k * T + t] *= num[(size_t)k * T + t] / (den[k] + NMF_EPS);
    if (!update_w) continue;
    /* W *= R H^T / 1 H^T */
    ratio(V, W, H, F, T, K, R);
    avs_gemm(false, true, F, K, T, 1, R, T, H, T, 0, num, K);
    for (int k = 0; k < K; k++) {
      den[k] = 0;
      for (int t = 0; t < T; t++) den[k] += H[(size_t)k * T + t];
    }
    for (int f = 0; f < F; f++)
      for (int k = 0; k < K; k++) W[(size_t)f * K + k] *= num[(size_t)f * K + k] / (den[k] + NMF_EPS);
    /* columns of W sum to 1, H takes the scale */
    for (int k = 0; k < K; k++) {
      double s = 0;
      for (int f = 0; f < F; f++) s += W[(size_t)f * K + k];
      if (s <= 0) continue;
      for (int f = 0; f < F; f++) W[(size_t)f * K + k] /= (float)s;
      for (int t = 0; t < T; t++) H[(size_t)k * T + t] *= (float)s;
    }
  }
fail:
  free(R);
  free(num);
  free(den);
  return rc;
}

double avs_nmf_kl(const float *V, const float *W, const float *H, int F, int T, int K) {
  double d = 0;
  for (int f = 0; f < F; f++)
    for (int t = 0; t < T; t++) {
      double wh = 0;
      for (int k = 0; k < K; k++) wh += (double)W[(size_t)f * K + k] * H[(size_t)k * T + t];
      wh += NMF_EPS;
      double v = V[(size_t)f * T + t];
      d += (v > 0 ? v * log(v / wh) : 0) - v + wh;
    }
  return d;
}

static void random_fill(float *x, size_t n, avs_rng *r) {
  for (size_t i = 0; i < n; i++) x[i] = 0.1f + avs_rng_uniform(r);
}

int avs_nmf_learn(const float *V, int F, int T, int K, int iters, uint64_t seed, float *W) {
  int rc = check_sizes("avs_nmf_learn", F, T, K, iters);
  if (rc) return rc;
  if (T < K) return avs_seterr(AVS_EINVAL, "avs_nmf_learn: %d frames for %d components", T, K);
  float *H = malloc((size_t)K * T * sizeof(float));
  if (!H) return avs_seterr(AVS_ENOMEM, "out of memory for an NMF of %d x %d", F, T);
  avs_rng r;
  avs_rng_seed(&r, seed);
  random_fill(W, (size_t)F * K, &r);
  random_fill(H, (size_t)K * T, &r);
  rc = avs_nmf_update(V, F, T, K, W, H, true, iters);
  free(H);
  return rc;
}

int avs_nmf_separate(const float *V, int F, int T, const float *const *dict, int n_src, int K, int iters, uint64_t seed,
                     float *masks) {
  int rc = check_sizes("avs_nmf_separate", F, T, K, iters);
  if (rc) return rc;
  if (n_src < 1) return avs_seterr(AVS_EINVAL, "avs_nmf_separate: %d sources", n_src);
  int KS = K * n_src;
  size_t ft = (size_t)F * T;
  float *W = malloc((size_t)F * KS * sizeof(float)), *H = malloc((size_t)KS * T * sizeof(float));
  if (!W || !H) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for an NMF of %d x %d", F, T);
    goto fail;
  }
  /* W = [dict[0] | dict[1] | ...] */
  for (int f = 0; f < F; f++)
    for (int s = 0; s < n_src; s++) memcpy(W + (size_t)f * KS + s * K, dict[s] + (size_t)f * K, K * sizeof(float));
  avs_rng r;
  avs_rng_seed(&r, seed);
  random_fill(H, (size_t)KS * T, &r);
  if ((rc = avs_nmf_update(V, F, T, KS, W, H, false, iters))) goto fail;
  /* V_s = W_s H_s, masks V_s / sum_j V_j */
  for (int s = 0; s < n_src; s++)
    avs_gemm(false, false, F, T, K, 1, W + s * K, KS, H + (size_t)s * K * T, T, 0, masks + s * ft, T);
  avs_mask_share(masks, n_src, (int64_t)ft, masks);
fail:
  free(W);
  free(H);
  return rc;
}
