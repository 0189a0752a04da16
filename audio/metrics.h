/* Separation metrics.
 *
 * BSS Eval v3 (Vincent et al. 2006) exactly as mir_eval.separation.
 * bss_eval_sources (mir_eval 0.7): each estimate is decomposed by least
 * squares onto the references delayed by 0..511 samples (512-tap
 * time-invariant distortion filters) into target, interference and artifacts;
 * SDR, SIR and SAR in dB; with permute, the assignment of estimates to
 * references maximising the mean SIR (ties: the first in lexicographic order,
 * as mir_eval). Computed in double precision; the Gram matrices of the
 * references are built and factorised once for all estimates. The cost
 * grows as n * 512 * nsrc^2 + (512 nsrc)^3: keep signals to tens of seconds.
 *
 * SI-SDR (Le Roux et al. 2019) and NSDR (SDR of the estimate minus SDR of
 * the mixture taken as the estimate of every source, as Sound of Pixels
 * reports it). */
#ifndef AVS_METRICS_H
#define AVS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#define AVS_BSS_FILTER_LEN 512

typedef struct avs_bss_result {
  double sdr, sir, sar; /* dB; +inf where the error term is exactly zero */
  int est;              /* index of the estimate matched with this reference */
} avs_bss_result;

/* ref[j], est[j]: nsrc signals of n samples. res[j] is for reference j.
 * Errors: nsrc < 1 or > 100, n < 1, a silent (all-zero) or non-finite source. */
int avs_metrics_bss_eval(const float *const *ref, const float *const *est, int nsrc, int64_t n, bool permute,
                         avs_bss_result *res);

/* avs_metrics_bss_eval and avs_metrics_nsdr of the mixture in one pass: the
 * references' Gram matrices are built and factorised once for both. */
int avs_metrics_bss_eval_nsdr(const float *const *ref, const float *const *est, const float *mix, int nsrc,
                              int64_t n, bool permute, avs_bss_result *res, double *nsdr);

/* References a score means something for: at least AVS_BSS_FILTER_LEN samples,
 * none silent or constant (RMS around the mean under 1e-6), no two the same
 * signal up to scale. Otherwise AVS_EINVAL naming the problem (the metrics
 * would be NaN or arbitrary). */
int avs_metrics_check_references(const float *const *ref, int nsrc, int64_t n);

/* Scale-invariant SDR in dB; zero_mean removes the means first (the usual
 * definition). Returns NaN for a silent reference. */
double avs_metrics_si_sdr(const float *ref, const float *est, int64_t n, bool zero_mean);

/* nsdr[j] = SDR(matched estimate, ref j) - SDR(mix, ref j), with the estimates'
 * SDR from avs_metrics_bss_eval (pass its results in res, or NULL to compute
 * them with `permute`). */
int avs_metrics_nsdr(const float *const *ref, const float *const *est, const float *mix, int nsrc, int64_t n,
                     bool permute, const avs_bss_result *res, double *nsdr);

#endif
