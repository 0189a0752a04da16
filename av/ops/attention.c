/* Multi-head scaled dot-product attention, fused forward and backward.
 *
 * q (N,Lq,E), k and v (N,Lk,E), E = heads*d. Head h of a sequence is the
 * column block [h*d, (h+1)*d) of its rows, so heads are split and merged by
 * leading dimensions alone (no copies): per (n,h)
 *   S = q_h k_h^T / sqrt(d),  P = softmax_rows(S),  y_h = P v_h.
 * The probabilities P (N,H,Lq,Lk) stay in the arena for backward:
 *   dv_h += P^T dy_h,  dP = dy_h v_h^T,  dS = P * (dP - rowsum(P * dP)),
 *   dq_h += dS k_h / sqrt(d),  dk_h += dS^T q_h / sqrt(d). */
#include <math.h>

#include "av/gemm.h"
#include "av/ops.h"
#include "av/ops/op_util.h"

typedef struct {
  int n, heads, lq, lk, d;
  float *p;  /* (N,H,Lq,Lk) attention probabilities */
  float *dp; /* (Lq,Lk) scratch for backward, when q or k needs a gradient */
} attn_saved;

static void attention_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const attn_saved *s = node->saved;
  avs_tensor *q = node->in[0], *k = node->in[1], *v = node->in[2], *y = node->out;
  int lq = s->lq, lk = s->lk, d = s->d, e = s->heads * s->d;
  float scale = 1.0f / sqrtf((float)d);
  bool need_s = q->requires_grad || k->requires_grad;
  float *dp = s->dp;
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++) {
      const float *p = s->p + ((int64_t)n * s->heads + h) * lq * lk;
      int64_t oq = (int64_t)n * lq * e + (int64_t)h * d, ok = (int64_t)n * lk * e + (int64_t)h * d;
      const float *gy = y->grad + oq;
      if (v->requires_grad) avs_gemm(true, false, lk, d, lq, 1.0f, p, lk, gy, e, 1.0f, v->grad + ok, e);
      if (!need_s) continue;
      avs_gemm(false, true, lq, lk, d, 1.0f, gy, e, v->data + ok, e, 0.0f, dp, lk);
#pragma omp parallel for schedule(static) if ((int64_t)lq * lk >= 16384)
      for (int i = 0; i < lq; i++) {
        const float *pr = p + (int64_t)i * lk;
        float *dr = dp + (int64_t)i * lk, dot = 0;
        for (int j = 0; j < lk; j++) dot += pr[j] * dr[j];
        for (int j = 0; j < lk; j++) dr[j] = pr[j] * (dr[j] - dot);
      }
      if (q->requires_grad) avs_gemm(false, false, lq, d, lk, scale, dp, lk, k->data + ok, e, 1.0f, q->grad + oq, e);
      if (k->requires_grad) avs_gemm(true, false, lk, d, lq, scale, dp, lk, q->data + oq, e, 1.0f, k->grad + ok, e);
    }
}

avs_tensor *avs_attention(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, int heads) {
  if (!q || !k || !v) return NULL;
  char s1[64], s2[64], s3[64];
  if (q->ndim != 3 || k->ndim != 3 || !avs_tensor_same_shape(k, v) || q->shape[0] != k->shape[0] ||
      q->shape[2] != k->shape[2])
    return AVS_OP_FAIL("attention", "q %s, k %s, v %s: expected (N,Lq,E), (N,Lk,E), (N,Lk,E)",
                       avs_shape_str(q->ndim, q->shape, s1, sizeof s1), avs_shape_str(k->ndim, k->shape, s2, sizeof s2),
                       avs_shape_str(v->ndim, v->shape, s3, sizeof s3));
  if (heads <= 0 || q->shape[2] % heads)
    return AVS_OP_FAIL("attention", "%d heads do not divide the embedding size %lld", heads, (long long)q->shape[2]);
  attn_saved s = {(int)q->shape[0], heads, (int)q->shape[1], (int)k->shape[1], (int)(q->shape[2] / heads), NULL, NULL};
  int lq = s.lq, lk = s.lk, d = s.d, e = heads * d;
  int64_t rows = (int64_t)s.n * heads * lq;
  avs_tensor *y = avs_op_like(ctx, q);
  s.p = y ? avs_ctx_alloc(ctx, sizeof(float) * rows * lk) : NULL;
  if (!s.p) return NULL;
  if (lk == 0) { /* attention over nothing: torch gives NaN; keep it defined */
    memset(y->data, 0, sizeof(float) * y->numel);
  } else {
    float scale = 1.0f / sqrtf((float)d);
    for (int n = 0; n < s.n; n++)
      for (int h = 0; h < heads; h++)
        avs_gemm(false, true, lq, lk, d, scale, q->data + (int64_t)n * lq * e + (int64_t)h * d, e,
                 k->data + (int64_t)n * lk * e + (int64_t)h * d, e, 0.0f, s.p + ((int64_t)n * heads + h) * lq * lk, lk);
    float *p = s.p;
#pragma omp parallel for schedule(static) if (rows * lk >= 16384)
    for (int64_t r = 0; r < rows; r++) {
      float *pr = p + r * lk, mx = pr[0], sum = 0;
      for (int j = 1; j < lk; j++) mx = pr[j] > mx ? pr[j] : mx;
      for (int j = 0; j < lk; j++) sum += pr[j] = expf(pr[j] - mx);
      float inv = 1.0f / sum;
      for (int j = 0; j < lk; j++) pr[j] *= inv;
    }
    for (int n = 0; n < s.n; n++)
      for (int h = 0; h < heads; h++)
        avs_gemm(false, false, lq, d, lk, 1.0f, s.p + ((int64_t)n * heads + h) * lq * lk, lk,
                 v->data + (int64_t)n * lk * e + (int64_t)h * d, e, 0.0f,
                 y->data + (int64_t)n * lq * e + (int64_t)h * d, e);
  }
  avs_tensor *ins[3] = {q, k, v};
  if (avs_tape_wants(ctx, 3, ins)) {
    avs_node *node = avs_tape_push(ctx, "attention", attention_backward, y, 3, ins);
    attn_saved *saved = node ? avs_ctx_alloc(ctx, sizeof *saved) : NULL;
    if (!saved) return NULL;
    if ((q->requires_grad || k->requires_grad) && !(s.dp = avs_ctx_alloc(ctx, sizeof(float) * (size_t)lq * lk)))
      return NULL;
    *saved = s;
    node->saved = saved;
  }
  return y;
}
