/* Binary arithmetic (add, sub, mul) and scaling.
 *
 * b has a's shape, or b is broadcast over a's leading dims: after dropping
 * b's leading dims of size 1, its shape equals a's trailing dims (a bias (C)
 * or (1,1,C) added to (N,L,C), a scalar). a and b viewed as (outer, inner)
 * and (inner); the output has a's shape, and b's gradient is summed over the
 * `outer` rows it was broadcast over. */
#include "av/ops.h"
#include "av/ops/elem.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_ACC_MUL };

/* y = a op b on one stretch of `len` elements where b is contiguous. */
static inline void segment(int op, const float *restrict a, const float *restrict b, float *restrict y, int64_t len) {
  switch (op) {
  case OP_ADD:
#pragma omp simd
    for (int64_t i = 0; i < len; i++) y[i] = a[i] + b[i];
    break;
  case OP_SUB:
#pragma omp simd
    for (int64_t i = 0; i < len; i++) y[i] = a[i] - b[i];
    break;
  case OP_MUL:
#pragma omp simd
    for (int64_t i = 0; i < len; i++) y[i] = a[i] * b[i];
    break;
  default: /* OP_ACC_MUL */
#pragma omp simd
    for (int64_t i = 0; i < len; i++) y[i] += a[i] * b[i];
    break;
  }
}

/* y[i] = a[i] op b[i % inner] for i < n, in flat chunks so that both a long
 * `inner` (same shapes) and a long `outer` (per-channel b) spread over threads. */
#define BIN_CHUNKS 64

static void binary(int op, const float *a, const float *b, float *y, int64_t n, int64_t inner) {
  if (n <= 0) return;
  int nc = n >= AVS_PAR_MIN ? BIN_CHUNKS : 1;
#pragma omp parallel for schedule(static) if (nc > 1)
  for (int c = 0; c < nc; c++) {
    int64_t i = n * c / nc, end = n * (c + 1) / nc, j = i % inner;
    while (i < end) {
      int64_t len = inner - j < end - i ? inner - j : end - i;
      segment(op, a + i, b + j, y + i, len);
      i += len;
      j = 0;
    }
  }
}

static void accumulate(float *restrict g, const float *restrict gy, float s, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) g[i] += s * gy[i];
}

/* b's numel if b broadcasts onto a as described above, else -1. */
static int64_t broadcast_inner(const avs_tensor *a, const avs_tensor *b) {
  if (b->ndim > a->ndim) return -1;
  int lead = 0;
  while (lead < b->ndim && b->shape[lead] == 1) lead++;
  int bd = b->ndim - lead;
  for (int k = 0; k < bd; k++)
    if (b->shape[lead + k] != a->shape[a->ndim - bd + k]) return -1;
  return b->numel;
}

static void add_sub_backward(avs_node *node, float sign) {
  avs_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
  if (a->requires_grad) accumulate(a->grad, y->grad, 1.0f, y->numel);
  if (b->requires_grad) {
    if (b->numel == y->numel) accumulate(b->grad, y->grad, sign, y->numel);
    else if (b->numel) avs_elem_colsum(y->grad, NULL, y->numel / b->numel, b->numel, sign, b->grad);
  }
}

static void add_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  add_sub_backward(node, 1.0f);
}

static void sub_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  add_sub_backward(node, -1.0f);
}

static void mul_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
  if (a->requires_grad) binary(OP_ACC_MUL, y->grad, b->data, a->grad, y->numel, b->numel);
  if (b->requires_grad) {
    if (b->numel == y->numel) binary(OP_ACC_MUL, y->grad, a->data, b->grad, y->numel, y->numel);
    else if (b->numel) avs_elem_colsum(y->grad, a->data, y->numel / b->numel, b->numel, 1.0f, b->grad);
  }
}

static avs_tensor *binary_op(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, int op, const char *name) {
  if (!a || !b) return NULL;
  int64_t inner = broadcast_inner(a, b);
  if (inner < 0) {
    char sa[96], sb[96];
    avs_seterr(AVS_ESHAPE, "%s: b %s fits neither a %s nor its trailing dims", name,
               avs_shape_str(b->ndim, b->shape, sb, sizeof sb), avs_shape_str(a->ndim, a->shape, sa, sizeof sa));
    return NULL;
  }
  avs_tensor *y = avs_op_like(ctx, a);
  if (!y) return NULL;
  binary(op, a->data, b->data, y->data, a->numel, inner);
  avs_tensor *in[2] = {a, b};
  avs_tape_push(ctx, name, op == OP_MUL ? mul_backward : op == OP_SUB ? sub_backward : add_backward, y, 2, in);
  return y;
}

avs_tensor *avs_add(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_ADD, "add"); }
avs_tensor *avs_sub(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_SUB, "sub"); }
avs_tensor *avs_mul(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_MUL, "mul"); }

/* ---- affine: y = s x + b (scale: b = 0) ---- */

typedef struct { float s; } scale_saved;

static void scale_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  accumulate(node->in[0]->grad, node->out->grad, ((scale_saved *)node->saved)->s, node->out->numel);
}

avs_tensor *avs_scale(avs_ctx *ctx, avs_tensor *x, float s) { return avs_affine(ctx, x, s, 0.0f); }

avs_tensor *avs_affine(avs_ctx *ctx, avs_tensor *x, float s, float b) {
  if (!x) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  int64_t n = x->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) yd[i] = s * xd[i] + b;
  scale_saved *sv = NULL;
  if (avs_tape_wants(ctx, 1, &x) && !(sv = avs_ctx_alloc(ctx, sizeof *sv))) return NULL;
  avs_node *node = avs_tape_push(ctx, "scale", scale_backward, y, 1, &x);
  if (node) {
    sv->s = s;
    node->saved = sv;
  }
  return y;
}
