/* Non-negative matrix factorization with the generalized Kullback-Leibler
 * divergence, by Lee and Seung's multiplicative updates:
 *   V (F x T) ~ W (F x K) H (K x T), all row-major and non-negative,
 *   H <- H * (W^T (V / WH)) / (W^T 1),   W <- W * ((V / WH) H^T) / (1 H^T).
 * Each update does not increase D(V || WH) (Lee and Seung 2001).
 *
 * Audio-only separation with it (avdata baseline's NMF floor): a dictionary
 * per source class learned from magnitude spectrograms of that class, then
 * the mixture's activations fitted with the dictionaries fixed, and soft
 * masks W_s H_s / sum_j W_j H_j that share the mixture among the sources.
 *
 *   float *W_a = ..., *W_b = ...;           // F x K each
 *   avs_nmf_learn(V_a, F, T_a, K, 100, 1, W_a);
 *   avs_nmf_learn(V_b, F, T_b, K, 100, 2, W_b);
 *   const float *dict[2] = {W_a, W_b};
 *   avs_nmf_separate(V_mix, F, T, dict, 2, K, 100, 7, masks); // 2 x F x T
 *
 * Spectrograms here are frequency-major (V[f * T + t]), as avs_stft writes them. */
#ifndef AVS_AUDIO_NMF_H
#define AVS_AUDIO_NMF_H

#include <stdbool.h>
#include <stdint.h>

/* iters multiplicative updates of H and, when update_w, of W after each; then
 * W's columns are scaled to sum to 1 and H's rows take the scale (WH is kept).
 * With W fixed and the process precision bf16 (avs_precision_default, av/ctx.h)
 * the two products of an update take bf16 operands and sum in fp32: 0.6x the
 * time on a Zen 4, masks within 0.002 of fp32's (tests/audio/test_nmf.c).
 * AVS_EINVAL for sizes below 1 or iters below 0; AVS_ENOMEM. */
int avs_nmf_update(const float *V, int F, int T, int K, float *W, float *H, bool update_w, int iters);

/* D(V || WH) = sum V log(V / WH) - V + WH, in double, with the updates'
 * 1e-9 added to WH (so a zero of WH where V > 0 stays finite). */
double avs_nmf_kl(const float *V, const float *W, const float *H, int F, int T, int K);

/* A dictionary W (F x K, columns summing to 1) for the frames V (F x T):
 * W and H start uniform in [0.1, 1.1) from seed (W drawn first), then iters
 * updates of both. AVS_EINVAL when T < K (fewer frames than components). */
int avs_nmf_learn(const float *V, int F, int T, int K, int iters, uint64_t seed, float *W);

/* Shares the mixture V (F x T) among n_src sources whose dictionaries
 * dict[s] (F x K each) stay fixed: H (n_src K x T) starts uniform in
 * [0.1, 1.1) from seed, iters updates of H, then masks[s * F * T + i] =
 * (W_s H_s)_i / sum_j (W_j H_j)_i (avs_mask_share). */
int avs_nmf_separate(const float *V, int F, int T, const float *const *dict, int n_src, int K, int iters, uint64_t seed,
                     float *masks);

#endif
