/* Binary arithmetic (add, sub, mul) and scaling.
 *
 * b has a's shape, or b is broadcast over a's leading dims: after dropping
 * b's leading dims of size 1, its shape equals a's trailing dims (a bias (C)
 * or (1,1,C) added to (N,L,C), a scalar); or b is per sample: (N, 1.., T..)
 * on a (N, .., T..), where T.. are a's trailing dims (FiLM's (N,1,1,C) on
 * (N,H,W,C)). a and b are viewed as groups of (outer, inner) and (inner):
 * one group, or N; the output has a's shape, and b's gradient is summed over
 * the `outer` rows of its group it was broadcast over. */
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

/* How b broadcasts onto a as described above: groups of a->numel / groups elements, b's inner per group. */
typedef struct {
  int64_t groups, inner;
} bcast;

/* False when b fits none of the rules. */
static bool broadcast_plan(const avs_tensor *a, const avs_tensor *b, bcast *p) {
  if (b->ndim > a->ndim) return false;
  int lead = 0;
  while (lead < b->ndim && b->shape[lead] == 1) lead++;
  int bd = b->ndim - lead;
  bool trailing = true;
  for (int k = 0; k < bd && trailing; k++) trailing = b->shape[lead + k] == a->shape[a->ndim - bd + k];
  if (trailing) return *p = (bcast){1, b->numel}, true;
  /* per sample: (N, 1.., T..) with N = a's first dim and T.. a's trailing dims */
  if (b->ndim != a->ndim || b->ndim < 2 || b->shape[0] != a->shape[0]) return false;
  int ones = 1;
  while (ones < b->ndim && b->shape[ones] == 1) ones++;
  for (int k = ones; k < b->ndim; k++)
    if (b->shape[k] != a->shape[k]) return false;
  return *p = (bcast){b->shape[0], b->numel / b->shape[0]}, true;
}

static void add_sub_backward(avs_node *node, float sign) {
  avs_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
  if (a->requires_grad) accumulate(a->grad, y->grad, 1.0f, y->numel);
  if (!b->requires_grad) return;
  if (b->numel == y->numel) {
    accumulate(b->grad, y->grad, sign, y->numel);
    return;
  }
  bcast p;
  broadcast_plan(a, b, &p);
  int64_t len = y->numel / p.groups;
  for (int64_t g = 0; g < p.groups && p.inner; g++)
    avs_elem_colsum(y->grad + g * len, NULL, len / p.inner, p.inner, sign, b->grad + g * p.inner);
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
  bcast p;
  broadcast_plan(a, b, &p);
  int64_t len = y->numel / p.groups;
  for (int64_t g = 0; g < p.groups; g++) {
    const float *gy = y->grad + g * len, *bg = b->data + g * p.inner;
    if (a->requires_grad) binary(OP_ACC_MUL, gy, bg, a->grad + g * len, len, p.inner);
    if (!b->requires_grad) continue;
    if (b->numel == y->numel) binary(OP_ACC_MUL, y->grad, a->data, b->grad, y->numel, y->numel);
    else if (p.inner) avs_elem_colsum(gy, a->data + g * len, len / p.inner, p.inner, 1.0f, b->grad + g * p.inner);
  }
}

static avs_tensor *binary_op(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, int op, const char *name) {
  if (!a || !b) return NULL;
  bcast p;
  if (!broadcast_plan(a, b, &p)) {
    char sa[96], sb[96];
    avs_seterr(AVS_ESHAPE, "%s: b %s fits neither a %s, nor its trailing dims, nor (N, 1.., trailing dims)", name,
               avs_shape_str(b->ndim, b->shape, sb, sizeof sb), avs_shape_str(a->ndim, a->shape, sa, sizeof sa));
    return NULL;
  }
  avs_tensor *y = avs_op_like(ctx, a);
  if (!y) return NULL;
  int64_t len = a->numel / p.groups;
  for (int64_t g = 0; g < p.groups; g++) binary(op, a->data + g * len, b->data + g * p.inner, y->data + g * len, len, p.inner);
  avs_tensor *in[2] = {a, b};
  avs_tape_push(ctx, name, op == OP_MUL ? mul_backward : op == OP_SUB ? sub_backward : add_backward, y, 2, in);
  return y;
}

avs_tensor *avs_add(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_ADD, "add"); }
avs_tensor *avs_sub(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_SUB, "sub"); }
avs_tensor *avs_mul(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) { return binary_op(ctx, a, b, OP_MUL, "mul"); }

avs_tensor *avs_add_relu(avs_ctx *ctx, avs_tensor *a, avs_tensor *b) {
  if (!a || !b) return NULL;
  avs_tensor *in[2] = {a, b};
  /* other shapes: the add broadcasts (or says why not) */
  if (!avs_tensor_same_shape(a, b) || avs_tape_wants(ctx, 2, in)) return avs_relu(ctx, avs_add(ctx, a, b));
  avs_tensor *y = avs_op_like(ctx, a);
  if (!y) return NULL;
  const float *ad = a->data, *bd = b->data;
  float *yd = y->data;
  int64_t n = a->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    float s = ad[i] + bd[i];
    yd[i] = s > 0 ? s : 0.0f;
  }
  return y;
}

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
