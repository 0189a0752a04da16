/* Batched matrix product: op(a) op(b) per batch, op = transpose when asked.
 * a (B,M,K) [(B,K,M) if trans_a], b (B,K,N) [(B,N,K) if trans_b] -> (B,M,N).
 * A 2-D operand acts as B=1; a batch of 1 broadcasts against the other's B
 * (its gradient sums over the batch). Both 2-D gives a 2-D result. */
#include "av/gemm.h"
#include "av/ops.h"
#include "av/ops/op_util.h"

typedef struct {
  bool ta, tb;
  int batch, m, n, k;
  int64_t sa, sb; /* batch strides of a and b (0 when broadcast) */
} matmul_saved;

static void matmul_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const matmul_saved *s = node->saved;
  avs_tensor *a = node->in[0], *b = node->in[1], *c = node->out;
  int m = s->m, n = s->n, k = s->k;
  int lda = s->ta ? m : k, ldb = s->tb ? k : n;
  /* A fresh gradient (avs_node.sets_fresh) is written with beta 0 by its first
   * product (its only one unless broadcast); with an empty inner dim there is
   * none to write it, so it is zeroed and added to as usual. */
  bool fresh_a = avs_node_fresh(node, 0), fresh_b = avs_node_fresh(node, 1);
  if ((fresh_a || fresh_b) && (m == 0 || n == 0)) {
    if (fresh_a) memset(a->grad, 0, sizeof(float) * a->numel);
    if (fresh_b) memset(b->grad, 0, sizeof(float) * b->numel);
    fresh_a = fresh_b = false;
  }
  for (int i = 0; i < s->batch; i++) {
    const float *ad = a->data + i * s->sa, *bd = b->data + i * s->sb, *gc = c->grad + (int64_t)i * m * n;
    if (a->requires_grad) {
      float *ga = a->grad + i * s->sa, beta = fresh_a && (s->sa || i == 0) ? 0.0f : 1.0f;
      if (!s->ta) /* dA (M,K) = dC op(B)^T */
        avs_gemm(false, !s->tb, m, k, n, 1.0f, gc, n, bd, ldb, beta, ga, k);
      else /* dA stored (K,M) = op(B) dC^T */
        avs_gemm(s->tb, true, k, m, n, 1.0f, bd, ldb, gc, n, beta, ga, m);
    }
    if (b->requires_grad) {
      float *gb = b->grad + i * s->sb, beta = fresh_b && (s->sb || i == 0) ? 0.0f : 1.0f;
      if (!s->tb) /* dB (K,N) = op(A)^T dC */
        avs_gemm(!s->ta, false, k, n, m, 1.0f, ad, lda, gc, n, beta, gb, n);
      else /* dB stored (N,K) = dC^T op(A) */
        avs_gemm(true, s->ta, n, k, m, 1.0f, gc, n, ad, lda, beta, gb, k);
    }
  }
}

avs_tensor *avs_matmul(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, bool trans_a, bool trans_b) {
  if (!a || !b) return NULL;
  char s1[64], s2[64];
  if ((a->ndim != 2 && a->ndim != 3) || (b->ndim != 2 && b->ndim != 3))
    return AVS_OP_FAIL("matmul", "operands must be 2-D or 3-D, got %s and %s",
                       avs_shape_str(a->ndim, a->shape, s1, sizeof s1), avs_shape_str(b->ndim, b->shape, s2, sizeof s2));
  int64_t ba = a->ndim == 3 ? a->shape[0] : 1, bb = b->ndim == 3 ? b->shape[0] : 1;
  const int64_t *as = a->shape + (a->ndim - 2), *bs = b->shape + (b->ndim - 2);
  int64_t m = trans_a ? as[1] : as[0], ka = trans_a ? as[0] : as[1];
  int64_t kb = trans_b ? bs[1] : bs[0], n = trans_b ? bs[0] : bs[1];
  if (ka != kb || (ba != bb && ba != 1 && bb != 1))
    return AVS_OP_FAIL("matmul", "%s%s and %s%s do not multiply", avs_shape_str(a->ndim, a->shape, s1, sizeof s1),
                       trans_a ? "^T" : "", avs_shape_str(b->ndim, b->shape, s2, sizeof s2), trans_b ? "^T" : "");
  int64_t batch = ba > bb ? ba : bb;
  avs_tensor *c = a->ndim == 2 && b->ndim == 2 ? avs_ctx_tensor(ctx, 2, AVS_SHAPE(m, n))
                                                : avs_ctx_tensor(ctx, 3, AVS_SHAPE(batch, m, n));
  if (!c) return NULL;
  matmul_saved s = {trans_a, trans_b, (int)batch, (int)m, (int)n, (int)ka, ba == 1 ? 0 : m * ka, bb == 1 ? 0 : ka * n};
  int lda = trans_a ? s.m : s.k, ldb = trans_b ? s.k : s.n;
  for (int i = 0; i < s.batch; i++)
    avs_gemm(trans_a, trans_b, s.m, s.n, s.k, 1.0f, a->data + i * s.sa, lda, b->data + i * s.sb, ldb, 0.0f,
             c->data + (int64_t)i * m * n, s.n);
  if (s.k == 0) memset(c->data, 0, sizeof(float) * c->numel);
  avs_tensor *ins[2] = {a, b};
  if (avs_tape_wants(ctx, 2, ins)) {
    avs_node *node = avs_tape_push(ctx, "matmul", matmul_backward, c, 2, ins);
    matmul_saved *saved = node ? avs_ctx_alloc(ctx, sizeof *saved) : NULL;
    if (!saved) return NULL;
    *saved = s;
    node->saved = saved;
    node->sets_fresh = true;
  }
  return c;
}
