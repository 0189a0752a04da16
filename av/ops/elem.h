/* Private helpers of the element-wise, reduction, shape, normalisation and
 * loss ops (not public API). */
#ifndef AVS_OPS_ELEM_H
#define AVS_OPS_ELEM_H

#include <stdint.h>

#include "av/ops/op_util.h"

/* Loops over fewer elements than this stay on one thread: below it, waking the
 * OpenMP team costs more than the work (a few microseconds against about a
 * nanosecond per element). Used as `#pragma omp parallel for if(n >= AVS_PAR_MIN)`. */
#define AVS_PAR_MIN 32768

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
