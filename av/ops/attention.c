/* Multi-head scaled dot-product attention: fused forward and backward
 * (avs_attention), and the same split into its two halves when the weights
 * are wanted (avs_attention_weights, avs_attention_apply).
 *
 * q (N,Lq,E), k and v (N,Lk,E), E = heads*d. Head h of a sequence is the
 * column block [h*d, (h+1)*d) of its rows, so heads are split and merged by
 * leading dimensions alone (no copies): per (n,h)
 *   S = q_h k_h^T / sqrt(d),  P = softmax_rows(S),  y_h = P v_h.
 * The probabilities P (N,H,Lq,Lk) stay in the arena for backward:
 *   dv_h += P^T dy_h,  dP = dy_h v_h^T,  dS = P * (dP - rowsum(P * dP)),
 *   dq_h += dS k_h / sqrt(d),  dk_h += dS^T q_h / sqrt(d).
 * The fused op keeps dP in one (Lq,Lk) scratch; split, dP is the gradient of
 * the weights tensor (avs_attention_apply adds into it). */
#include <math.h>

#include "av/gemm.h"
#include "av/ops.h"
#include "av/ops/op_util.h"

typedef struct {
  int n, heads, lq, lk, d;
  float *p;  /* (N,H,Lq,Lk) attention probabilities */
  float *dp; /* (Lq,Lk) scratch for backward, when q or k needs a gradient */
} attn_saved;

/* Offsets of head h of sequence n in q / y (rows of Lq) and in k / v (rows of Lk), and of its (Lq,Lk) block of P. */
static int64_t off_q(const attn_saved *s, int n, int h) { return (int64_t)n * s->lq * s->heads * s->d + (int64_t)h * s->d; }
static int64_t off_k(const attn_saved *s, int n, int h) { return (int64_t)n * s->lk * s->heads * s->d + (int64_t)h * s->d; }
static int64_t off_p(const attn_saved *s, int n, int h) { return ((int64_t)n * s->heads + h) * s->lq * s->lk; }

/* P = softmax_rows(q_h k_h^T / sqrt(d)) for every (n, h). */
static void probs_forward(const attn_saved *s, const float *q, const float *k, float *p) {
  int lq = s->lq, lk = s->lk, d = s->d, e = s->heads * d;
  int64_t rows = (int64_t)s->n * s->heads * lq;
  float scale = 1.0f / sqrtf((float)d);
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++)
      avs_gemm(false, true, lq, lk, d, scale, q + off_q(s, n, h), e, k + off_k(s, n, h), e, 0.0f, p + off_p(s, n, h), lk);
#pragma omp parallel for schedule(static) if (rows * lk >= 16384)
  for (int64_t r = 0; r < rows; r++) {
    float *pr = p + r * lk, mx = pr[0], sum = 0;
    for (int j = 1; j < lk; j++) mx = pr[j] > mx ? pr[j] : mx;
    for (int j = 0; j < lk; j++) sum += pr[j] = expf(pr[j] - mx);
    float inv = 1.0f / sum;
    for (int j = 0; j < lk; j++) pr[j] *= inv;
  }
}

/* y_h = P v_h for every (n, h). */
static void apply_forward(const attn_saved *s, const float *p, const float *v, float *y) {
  int e = s->heads * s->d;
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++)
      avs_gemm(false, false, s->lq, s->d, s->lk, 1.0f, p + off_p(s, n, h), s->lk, v + off_k(s, n, h), e, 0.0f,
               y + off_q(s, n, h), e);
}

/* Head (n, h) of y's backward: dv_h += P^T dy_h and, when dp is given, dp = dy_h v_h^T (beta_dp 0) or
 * dp += dy_h v_h^T (beta_dp 1). */
static void apply_backward_head(const attn_saved *s, int n, int h, const float *p, const float *gy, avs_tensor *v,
                                float *dp, float beta_dp) {
  int lq = s->lq, lk = s->lk, d = s->d, e = s->heads * d;
  int64_t oq = off_q(s, n, h), ok = off_k(s, n, h);
  if (v->requires_grad) avs_gemm(true, false, lk, d, lq, 1.0f, p, lk, gy + oq, e, 1.0f, v->grad + ok, e);
  if (dp) avs_gemm(false, true, lq, lk, d, 1.0f, gy + oq, e, v->data + ok, e, beta_dp, dp, lk);
}

/* Head (n, h) of P's backward: dp (Lq,Lk) = dL/dP turns into dS in place, then dq_h, dk_h accumulate. */
static void probs_backward_head(const attn_saved *s, int n, int h, const float *p, float *dp, avs_tensor *q,
                                avs_tensor *k) {
  int lq = s->lq, lk = s->lk, d = s->d, e = s->heads * d;
  int64_t oq = off_q(s, n, h), ok = off_k(s, n, h);
  float scale = 1.0f / sqrtf((float)d);
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

static void attention_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const attn_saved *s = node->saved;
  avs_tensor *q = node->in[0], *k = node->in[1], *v = node->in[2], *y = node->out;
  bool need_s = q->requires_grad || k->requires_grad;
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++) {
      const float *p = s->p + off_p(s, n, h);
      apply_backward_head(s, n, h, p, y->grad, v, need_s ? s->dp : NULL, 0.0f);
      if (need_s) probs_backward_head(s, n, h, p, s->dp, q, k);
    }
}

/* Checks q (N,Lq,E) against k (N,Lk,E) [and v (N,Lk,E) when given] and heads; fills s (no buffers). */
static bool attn_dims(const char *op, avs_tensor *q, avs_tensor *k, avs_tensor *v, int heads, attn_saved *s) {
  char s1[64], s2[64], s3[64];
  if (q->ndim != 3 || k->ndim != 3 || (v && !avs_tensor_same_shape(k, v)) || q->shape[0] != k->shape[0] ||
      q->shape[2] != k->shape[2]) {
    avs_seterr(AVS_ESHAPE, "%s: q %s, k %s, v %s: expected (N,Lq,E), (N,Lk,E), (N,Lk,E)", op,
                avs_shape_str(q->ndim, q->shape, s1, sizeof s1), avs_shape_str(k->ndim, k->shape, s2, sizeof s2),
                v ? avs_shape_str(v->ndim, v->shape, s3, sizeof s3) : "(none)");
    return false;
  }
  if (heads <= 0 || q->shape[2] % heads) {
    avs_seterr(AVS_ESHAPE, "%s: %d heads do not divide the embedding size %lld", op, heads, (long long)q->shape[2]);
    return false;
  }
  *s = (attn_saved){(int)q->shape[0], heads, (int)q->shape[1], (int)k->shape[1], (int)(q->shape[2] / heads), NULL, NULL};
  return true;
}

/* Tapes out = op(ins) with a copy of s as its saved state, when the context tapes; with
 * scratch, s's dP scratch (Lq,Lk) is allocated first. False on OOM. */
static bool tape(avs_ctx *ctx, const char *op, avs_backward_fn backward, avs_tensor *out, int n, avs_tensor **ins,
                 attn_saved s, bool scratch) {
  if (!avs_tape_wants(ctx, n, ins)) return true;
  avs_node *node = avs_tape_push(ctx, op, backward, out, n, ins);
  attn_saved *saved = node ? avs_ctx_alloc(ctx, sizeof *saved) : NULL;
  if (!saved || (scratch && !(s.dp = avs_ctx_alloc(ctx, sizeof(float) * (size_t)s.lq * s.lk)))) return false;
  *saved = s;
  node->saved = saved;
  return true;
}

avs_tensor *avs_attention(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, int heads) {
  if (!q || !k || !v) return NULL;
  attn_saved s;
  if (!attn_dims("attention", q, k, v, heads, &s)) return NULL;
  avs_tensor *y = avs_op_like(ctx, q);
  s.p = y ? avs_ctx_alloc(ctx, sizeof(float) * (size_t)s.n * heads * s.lq * s.lk) : NULL;
  if (!s.p) return NULL;
  if (s.lk == 0) { /* attention over nothing: torch gives NaN; keep it defined */
    memset(y->data, 0, sizeof(float) * y->numel);
  } else {
    probs_forward(&s, q->data, k->data, s.p);
    apply_forward(&s, s.p, v->data, y->data);
  }
  avs_tensor *ins[3] = {q, k, v};
  return tape(ctx, "attention", attention_backward, y, 3, ins, s, q->requires_grad || k->requires_grad) ? y : NULL;
}

/* ---- the two halves ---- */

static void weights_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const attn_saved *s = node->saved;
  avs_tensor *q = node->in[0], *k = node->in[1], *p = node->out;
  size_t block = sizeof(float) * (size_t)s->lq * s->lk;
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++) { /* dS in the scratch: the weights' gradient stays as it is */
      memcpy(s->dp, p->grad + off_p(s, n, h), block);
      probs_backward_head(s, n, h, p->data + off_p(s, n, h), s->dp, q, k);
    }
}

avs_tensor *avs_attention_weights(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, int heads) {
  if (!q || !k) return NULL;
  attn_saved s;
  if (!attn_dims("attention_weights", q, k, NULL, heads, &s)) return NULL;
  if (s.lk == 0) return AVS_OP_FAIL("attention_weights", "no keys to attend to");
  avs_tensor *p = avs_ctx_tensor(ctx, 4, AVS_SHAPE(s.n, heads, s.lq, s.lk));
  if (!p) return NULL;
  probs_forward(&s, q->data, k->data, p->data);
  avs_tensor *ins[2] = {q, k};
  return tape(ctx, "attention_weights", weights_backward, p, 2, ins, s, true) ? p : NULL;
}

static void apply_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const attn_saved *s = node->saved;
  avs_tensor *p = node->in[0], *v = node->in[1], *y = node->out;
  for (int n = 0; n < s->n; n++)
    for (int h = 0; h < s->heads; h++)
      apply_backward_head(s, n, h, p->data + off_p(s, n, h), y->grad, v,
                          p->requires_grad ? p->grad + off_p(s, n, h) : NULL, 1.0f);
}

avs_tensor *avs_attention_apply(avs_ctx *ctx, avs_tensor *p, avs_tensor *v) {
  if (!p || !v) return NULL;
  char s1[64], s2[64];
  if (p->ndim != 4 || v->ndim != 3 || p->shape[0] != v->shape[0] || p->shape[3] != v->shape[1] || p->shape[1] <= 0 ||
      v->shape[2] % p->shape[1])
    return AVS_OP_FAIL("attention_apply", "weights %s, v %s: expected (N,H,Lq,Lk) and (N,Lk,H*d)",
                       avs_shape_str(p->ndim, p->shape, s1, sizeof s1), avs_shape_str(v->ndim, v->shape, s2, sizeof s2));
  attn_saved s = {(int)p->shape[0], (int)p->shape[1], (int)p->shape[2], (int)p->shape[3],
                  (int)(v->shape[2] / p->shape[1]), NULL, NULL};
  avs_tensor *y = avs_ctx_tensor(ctx, 3, AVS_SHAPE(s.n, s.lq, v->shape[2]));
  if (!y) return NULL;
  if (s.lk == 0) memset(y->data, 0, sizeof(float) * y->numel);
  else apply_forward(&s, p->data, v->data, y->data);
  avs_tensor *ins[2] = {p, v};
  return tape(ctx, "attention_apply", apply_backward, y, 2, ins, s, false) ? y : NULL;
}
