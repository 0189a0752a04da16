/* Inverted dropout: in training each element is zeroed with probability p and
 * the survivors are scaled by 1/(1-p), so the expected value is unchanged and
 * evaluation needs no rescaling. The mask comes from the context's generator
 * (avs_ctx_rng), so a run is reproducible from the context's seed; it is not
 * PyTorch's random stream. In eval mode, and for p = 0, the op is the identity
 * and returns x itself. */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"
#include "av/rng.h"

typedef struct {
  uint8_t *keep; /* 1 where the element survives */
  float scale;   /* 1 / (1 - p) */
} dropout_saved;

static void dropout_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const dropout_saved *s = node->saved;
  const uint8_t *keep = s->keep;
  const float *gy = node->out->grad, scale = s->scale;
  float *gx = node->in[0]->grad;
  int64_t n = node->out->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += gy[i] * (scale * (float)keep[i]);
}

avs_tensor *avs_dropout(avs_ctx *ctx, avs_tensor *x, float p) {
  if (!x) return NULL;
  if (!(p >= 0.0f && p < 1.0f)) {
    avs_seterr(AVS_EINVAL, "dropout: probability %g is outside [0, 1)", (double)p);
    return NULL;
  }
  if (!avs_ctx_train(ctx) || p == 0.0f) return x;
  int64_t n = x->numel;
  avs_tensor *y = avs_op_like(ctx, x);
  uint8_t *keep = avs_ctx_alloc(ctx, (size_t)n);
  if (!y || !keep) return NULL;
  /* Two 32-bit draws per generator step; an element is dropped when its draw
   * falls below p * 2^32 (p is exact to 2^-32). */
  avs_rng *rng = avs_ctx_rng(ctx);
  uint64_t cut = (uint64_t)ldexp((double)p, 32);
  for (int64_t i = 0; i < n; i += 2) {
    uint64_t u = avs_rng_u64(rng);
    keep[i] = (u & 0xffffffffu) >= cut;
    if (i + 1 < n) keep[i + 1] = (u >> 32) >= cut;
  }
  float scale = 1.0f / (1.0f - p);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) yd[i] = xd[i] * (scale * (float)keep[i]);
  if (avs_tape_wants(ctx, 1, &x)) {
    dropout_saved *s = avs_ctx_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->keep = keep;
    s->scale = scale;
    avs_node *node = avs_tape_push(ctx, "dropout", dropout_backward, y, 1, &x);
    if (node) node->saved = s;
  }
  return y;
}
