/* Shared helpers for op implementations (not public API). */
#ifndef AVS_OP_UTIL_H
#define AVS_OP_UTIL_H

#include <string.h>

#include "av/ctx.h"
#include "av/status.h"

/* Output tensor with x's shape. */
static inline avs_tensor *avs_op_like(avs_ctx *ctx, const avs_tensor *x) {
  return avs_ctx_tensor(ctx, x->ndim, x->shape);
}

/* Fails the op (NULL) with a shape error naming the op. */
#define AVS_OP_FAIL(op, ...) (avs_seterr(AVS_ESHAPE, op ": " __VA_ARGS__), (avs_tensor *)NULL)

#endif
