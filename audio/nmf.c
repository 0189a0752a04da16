/* KL-NMF by multiplicative updates (see nmf.h). */
#include "audio/nmf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mask.h"
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

int avs_nmf_update(const float *V, int F, int T, int K, float *W, float *H, bool update_w, int iters) {
  int rc = check_sizes("avs_nmf_update", F, T, K, iters);
  if (rc) return rc;
  float *R = malloc((size_t)F * T * sizeof(float)), *num = malloc((size_t)(F > T ? F : T) * K * sizeof(float));
  float *den = malloc((size_t)K * sizeof(float));
  if (!R || !num || !den) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for an NMF of %d x %d", F, T);
    goto fail;
  }
  for (int it = 0; it < iters; it++) {
    /* H *= W^T R / W^T 1 (W^T 1 once, when W stays) */
    ratio(V, W, H, F, T, K, R);
    avs_gemm(true, false, K, T, F, 1, W, K, R, T, 0, num, T);
    if (it == 0 || update_w) {
      for (int k = 0; k < K; k++) den[k] = 0;
      for (int f = 0; f < F; f++)
        for (int k = 0; k < K; k++) den[k] += W[(size_t)f * K + k];
    }
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
