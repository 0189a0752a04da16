/* Private helpers of the element-wise, reduction, shape, normalisation and
 * loss ops (not public API). */
#ifndef AVS_OPS_ELEM_H
#define AVS_OPS_ELEM_H

#include <omp.h>
#include <stdint.h>

#include "av/ops/op_util.h"

/* Loops over fewer elements than this stay on one thread: below it, waking the
 * OpenMP team costs more than the work (a few microseconds against about a
 * nanosecond per element). Used as `#pragma omp parallel for if(n >= AVS_PAR_MIN)`. */
#define AVS_PAR_MIN 32768

/* Compute-bound kernels (those calling vmath.h) are compiled three times, for
 * AVX-512 (x86-64-v4), AVX2 (x86-64-v3) and the baseline, and the loader picks
 * the best the CPU runs (GCC's target_clones, an ifunc). The library itself
 * stays baseline x86-64, as the build asks. Measured here (Zen 5, one
 * thread): avs_vexp 1.79 ns an element baseline (SSE2), 0.38 with AVX-512.
 * The clones compute bit-identical results: no FMA contraction in ISO C mode.
 * Define AVS_NO_CLONES to build the baseline only. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && !defined(AVS_NO_CLONES)
#define AVS_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AVS_SIMD_CLONES
#endif

/* Runs the body (the trailing arguments) over sub-ranges [lo, hi) of
 * [0, n): one range per thread when `work` (the elements touched) is at least
 * AVS_PAR_MIN, else [0, n) on the calling thread. */
#define AVS_PAR_RANGE(n, work, lo, hi, ...)                                                        \
  do {                                                                                             \
    int64_t n_ = (n);                                                                              \
    int nc_ = (work) >= AVS_PAR_MIN ? omp_get_max_threads() : 1;                                   \
    if (nc_ > n_) nc_ = n_ > 0 ? (int)n_ : 1;                                                      \
    _Pragma("omp parallel for schedule(static) if (nc_ > 1)")                                      \
    for (int c_ = 0; c_ < nc_; c_++) {                                                             \
      int64_t lo = n_ * c_ / nc_, hi = n_ * (c_ + 1) / nc_;                                        \
      __VA_ARGS__;                                                                                 \
    }                                                                                              \
  } while (0)

/* A scalar (0-dim) activation. */
static inline avs_tensor *avs_op_scalar(avs_ctx *ctx) { return avs_ctx_tensor(ctx, 0, NULL); }

/* out[j] += sign * sum_r g[r*inner + j] * (a ? a[r*inner + j] : 1) for j < inner:
 * the gradient of an operand broadcast over `outer` rows. Accumulates in
 * double; deterministic for a given thread count; allocates nothing. */
void avs_elem_colsum(const float *g, const float *a, int64_t outer, int64_t inner, float sign, float *out);

/* Sum of n floats accumulated in double, in an order that does not depend on
 * the thread count. */
double avs_elem_sum(const float *x, int64_t n);

#endif
