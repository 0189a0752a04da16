/* Max pooling's channels-last kernels (pool_max.c), private to pool.c. */
#ifndef AVS_OPS_POOL_MAX_H
#define AVS_OPS_POOL_MAX_H

#include <stdbool.h>
#include <stdint.h>

/* Three spatial dims (missing leading ones of size 1, kernel 1, stride 1, no
 * padding): x (N, in0, in1, in2, C) -> y (N, out0, out1, out2, C); windows
 * start at o * s - pl and are clipped to the input. */
typedef struct {
  int64_t N, C, in[3], out[3], k[3], s[3], pl[3];
} avs_pool_dims;

/* y = the windows' maxima; idx (y's size, or NULL) = each one's spatial index
 * (i0 * in1 + i1) * in2 + i2 within its sample. */
void avs_pool_max_forward(const avs_pool_dims *g, const float *x, float *y, int32_t *idx);
/* gx[n, idx, c] += gy[n, o, c]; gx is zeroed first where fresh (unzeroed). */
void avs_pool_max_backward(const avs_pool_dims *g, const float *gy, const int32_t *idx, float *gx, bool fresh);

#endif
