/* Losses with mean reduction and a scalar (0-dim) result, as PyTorch's
 * functional losses with reduction='mean'. Element-wise losses write each
 * element's loss into arena scratch and sum it in double (reproducible on any
 * thread count). Gradients flow to the input and, where PyTorch 1.13 defines
 * one, to the target; per-element weights are constants. */
#include <math.h>
#include <string.h>

#include "av/ops.h"
#include "av/ops/elem.h"
#include "av/ops/vmath.h"

static bool same_shape(const avs_tensor *x, const avs_tensor *t, const char *op, const char *what) {
  if (avs_tensor_same_shape(x, t)) return true;
  char sx[96], st[96];
  avs_seterr(AVS_ESHAPE, "%s: %s %s does not match the input %s", op, what, avs_shape_str(t->ndim, t->shape, st, sizeof st),
             avs_shape_str(x->ndim, x->shape, sx, sizeof sx));
  return false;
}

/* Checks shapes, allocates the scalar result and the per-element scratch. */
static avs_tensor *loss_begin(avs_ctx *ctx, avs_tensor *x, avs_tensor *t, avs_tensor *w, const char *op, float **scratch) {
  if (!same_shape(x, t, op, "target") || (w && !same_shape(x, w, op, "weight"))) return NULL;
  if (x->numel == 0) {
    avs_seterr(AVS_ESHAPE, "%s: empty input", op);
    return NULL;
  }
  avs_tensor *y = avs_op_scalar(ctx);
  *scratch = avs_ctx_alloc(ctx, sizeof(float) * x->numel);
  return y && *scratch ? y : NULL;
}

typedef struct { avs_tensor *weight; } loss_saved;

/* Pushes the node {x, t} with the weight kept aside. */
static avs_tensor *loss_end(avs_ctx *ctx, avs_tensor *y, avs_tensor *x, avs_tensor *t, avs_tensor *w, const float *l,
                            const char *op, avs_backward_fn backward) {
  y->data[0] = (float)(avs_elem_sum(l, x->numel) / (double)x->numel);
  avs_tensor *in[2] = {x, t};
  loss_saved *s = NULL;
  if (avs_tape_wants(ctx, 2, in) && !(s = avs_ctx_alloc(ctx, sizeof *s))) return NULL;
  avs_node *node = avs_tape_push(ctx, op, backward, y, 2, in);
  if (node) {
    s->weight = w;
    node->saved = s;
  }
  return y;
}

/* Upstream gradient over n: the factor of every element's derivative. */
static float mean_grad(const avs_node *node) { return node->out->grad[0] / (float)node->in[0]->numel; }

/* Element loops over i < n (a variable n must be in scope). FOR_WEIGHTED runs
 * its body with and without the per-element weight, which the body reads as
 * W, so that neither loop carries a branch (that would keep it from
 * vectorising). */
#define FOR_EACH(...)                                                                              \
  do {                                                                                             \
    _Pragma("omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)")                        \
    for (int64_t i = 0; i < n; i++) {                                                              \
      __VA_ARGS__;                                                                                 \
    }                                                                                              \
  } while (0)

/* Inside a kernel over i < n: the body with and without the per-element
 * weight, which it reads as W, so that neither loop carries a branch. */
#define SIMD_WEIGHTED(wd, ...)                                                                     \
  do {                                                                                             \
    if (wd) {                                                                                      \
      _Pragma("omp simd")                                                                          \
      for (int64_t i = 0; i < n; i++) {                                                            \
        const float W = (wd)[i];                                                                   \
        __VA_ARGS__;                                                                               \
      }                                                                                            \
    } else {                                                                                       \
      _Pragma("omp simd")                                                                          \
      for (int64_t i = 0; i < n; i++) {                                                            \
        const float W = 1.0f;                                                                      \
        __VA_ARGS__;                                                                               \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/* Runs kernel(p + lo, t + lo, w + lo or NULL, out + lo, g, hi - lo) over
 * ranges in parallel. */
#define RUN_KERNEL(kernel, n, p, t, w, out, g)                                                     \
  AVS_PAR_RANGE(n, n, lo, hi, kernel((p) + lo, (t) + lo, (w) ? (w) + lo : NULL, (out) + lo, g, hi - lo))

/* ---- L1: |x - t|, d/dx = sign(x - t) (0 where equal) ---- */

static void l1_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *t = node->in[1];
  float g = mean_grad(node);
  int64_t n = x->numel;
  const float *xd = x->data, *td = t->data;
  if (x->requires_grad) {
    float *gx = x->grad;
    FOR_EACH({ float d = xd[i] - td[i]; gx[i] += d > 0 ? g : d < 0 ? -g : 0.0f; });
  }
  if (t->requires_grad) {
    float *gt = t->grad;
    FOR_EACH({ float d = xd[i] - td[i]; gt[i] -= d > 0 ? g : d < 0 ? -g : 0.0f; });
  }
}

avs_tensor *avs_l1_loss(avs_ctx *ctx, avs_tensor *x, avs_tensor *target) {
  if (!x || !target) return NULL;
  float *l;
  avs_tensor *y = loss_begin(ctx, x, target, NULL, "l1_loss", &l);
  if (!y) return NULL;
  const float *xd = x->data, *td = target->data;
  int64_t n = x->numel;
  FOR_EACH(l[i] = fabsf(xd[i] - td[i]));
  return loss_end(ctx, y, x, target, NULL, l, "l1_loss", l1_backward);
}

/* ---- MSE: (x - t)^2 ---- */

static void mse_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *t = node->in[1];
  float g2 = 2.0f * mean_grad(node);
  int64_t n = x->numel;
  const float *xd = x->data, *td = t->data;
  if (x->requires_grad) {
    float *gx = x->grad;
    FOR_EACH(gx[i] += g2 * (xd[i] - td[i]));
  }
  if (t->requires_grad) {
    float *gt = t->grad;
    FOR_EACH(gt[i] -= g2 * (xd[i] - td[i]));
  }
}

avs_tensor *avs_mse_loss(avs_ctx *ctx, avs_tensor *x, avs_tensor *target) {
  if (!x || !target) return NULL;
  float *l;
  avs_tensor *y = loss_begin(ctx, x, target, NULL, "mse_loss", &l);
  if (!y) return NULL;
  const float *xd = x->data, *td = target->data;
  int64_t n = x->numel;
  FOR_EACH(l[i] = (xd[i] - td[i]) * (xd[i] - td[i]));
  return loss_end(ctx, y, x, target, NULL, l, "mse_loss", mse_backward);
}

/* ---- binary cross-entropy on probabilities ----
 * l = -w (t max(log p, -100) + (1-t) max(log(1-p), -100))
 * dl/dp = w (p - t) / max(p (1-p), 1e-12)       (PyTorch's backward)
 * dl/dt = -w logit(p)                           (PyTorch's target backward) */

#define BCE_EPS 1e-12f

/* Compute-bound kernels (logs, exponentials) are compiled for AVX-512 / AVX2 /
 * baseline (AVS_SIMD_CLONES). */
AVS_SIMD_CLONES static void bce_k(const float *p, const float *t, const float *w, float *l, float g, int64_t n) {
  (void)g;
  SIMD_WEIGHTED(w, {
    float pi = p[i], ti = t[i];
    float lp = avs_vlog(pi), lq = avs_vlog1p(-pi);
    lp = lp > -100.0f ? lp : -100.0f;
    lq = lq > -100.0f ? lq : -100.0f;
    l[i] = W * ((ti - 1.0f) * lq - ti * lp);
  });
}

AVS_SIMD_CLONES static void bce_gp_k(const float *p, const float *t, const float *w, float *gp, float g, int64_t n) {
  SIMD_WEIGHTED(w, {
    float pi = p[i], q = (1.0f - pi) * pi;
    gp[i] += g * W * (pi - t[i]) / (q > BCE_EPS ? q : BCE_EPS);
  });
}

AVS_SIMD_CLONES static void bce_gt_k(const float *p, const float *t, const float *w, float *gt, float g, int64_t n) {
  (void)t;
  SIMD_WEIGHTED(w, gt[i] -= g * W * (avs_vlog(p[i]) - avs_vlog1p(-p[i])));
}

static void bce_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *p = node->in[0], *t = node->in[1], *w = ((loss_saved *)node->saved)->weight;
  float g = mean_grad(node);
  const float *pd = p->data, *td = t->data, *wd = w ? w->data : NULL;
  if (p->requires_grad) RUN_KERNEL(bce_gp_k, p->numel, pd, td, wd, p->grad, g);
  if (t->requires_grad) RUN_KERNEL(bce_gt_k, p->numel, pd, td, wd, t->grad, g);
}

avs_tensor *avs_bce_loss(avs_ctx *ctx, avs_tensor *p, avs_tensor *target, avs_tensor *weight) {
  if (!p || !target) return NULL;
  float *l;
  avs_tensor *y = loss_begin(ctx, p, target, weight, "bce_loss", &l);
  if (!y) return NULL;
  const float *pd = p->data, *td = target->data, *wd = weight ? weight->data : NULL;
  int64_t n = p->numel, bad = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : bad) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) bad += !(pd[i] >= 0.0f && pd[i] <= 1.0f);
  if (bad) {
    avs_seterr(AVS_EINVAL, "bce_loss: %lld input values are not probabilities in [0, 1]", (long long)bad);
    return NULL;
  }
  RUN_KERNEL(bce_k, n, pd, td, wd, l, 0.0f);
  return loss_end(ctx, y, p, target, weight, l, "bce_loss", bce_backward);
}

/* ---- binary cross-entropy on logits ----
 * l = w ((1-t) x + softplus(-x)), softplus(-x) = max(-x, 0) + log1p(e^-|x|)
 * (PyTorch writes softplus(-x) as m + log(e^-m + e^(-x-m)), m = max(-x, 0))
 * dl/dx = w (sigmoid(x) - t),  dl/dt = -w x */

AVS_SIMD_CLONES static void bcel_k(const float *x, const float *t, const float *w, float *l, float g, int64_t n) {
  (void)g;
  SIMD_WEIGHTED(w, {
    float xi = x[i], m = xi < 0 ? -xi : 0.0f;
    l[i] = W * ((1.0f - t[i]) * xi + m + avs_vlog1p(avs_vexp(-fabsf(xi))));
  });
}

AVS_SIMD_CLONES static void bcel_gx_k(const float *x, const float *t, const float *w, float *gx, float g, int64_t n) {
  SIMD_WEIGHTED(w, gx[i] += g * W * (avs_vsigmoid(x[i]) - t[i]));
}

static void bcel_gt_k(const float *x, const float *t, const float *w, float *gt, float g, int64_t n) {
  (void)t;
  SIMD_WEIGHTED(w, gt[i] -= g * W * x[i]);
}

static void bce_logits_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *t = node->in[1], *w = ((loss_saved *)node->saved)->weight;
  float g = mean_grad(node);
  const float *xd = x->data, *td = t->data, *wd = w ? w->data : NULL;
  if (x->requires_grad) RUN_KERNEL(bcel_gx_k, x->numel, xd, td, wd, x->grad, g);
  if (t->requires_grad) RUN_KERNEL(bcel_gt_k, x->numel, xd, td, wd, t->grad, g);
}

avs_tensor *avs_bce_logits_loss(avs_ctx *ctx, avs_tensor *logits, avs_tensor *target, avs_tensor *weight) {
  if (!logits || !target) return NULL;
  float *l;
  avs_tensor *y = loss_begin(ctx, logits, target, weight, "bce_logits_loss", &l);
  if (!y) return NULL;
  const float *wd = weight ? weight->data : NULL;
  RUN_KERNEL(bcel_k, logits->numel, logits->data, target->data, wd, l, 0.0f);
  return loss_end(ctx, y, logits, target, weight, l, "bce_logits_loss", bce_logits_backward);
}

/* ---- cross-entropy: mean over rows of logsumexp(x_i) - x_i[label_i] ----
 * dl/dx_ij = softmax(x_i)_j - [j == label_i]; forward keeps each row's
 * logsumexp and the labels. */

typedef struct {
  int32_t *labels;
  float *lse;
} ce_saved;

AVS_SIMD_CLONES static void ce_bwd_k(const float *x, const float *lse, const int32_t *labels, float *gx, float g,
                                     int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *gr = gx + r * c, l = lse[r];
#pragma omp simd
    for (int64_t j = 0; j < c; j++) gr[j] += g * avs_vexp(xr[j] - l);
    gr[labels[r]] -= g;
  }
}

static void ce_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const ce_saved *s = node->saved;
  avs_tensor *x = node->in[0];
  int64_t rows = x->shape[0], c = x->shape[1];
  float g = node->out->grad[0] / (float)rows;
  const float *xd = x->data;
  float *gx = x->grad;
  AVS_PAR_RANGE(rows, x->numel, lo, hi, ce_bwd_k(xd + lo * c, s->lse + lo, s->labels + lo, gx + lo * c, g, hi - lo, c));
}

/* Row logsumexp and each row's loss. */
AVS_SIMD_CLONES static void ce_k(const float *x, const int32_t *labels, float *lse, float *l, int64_t rows, int64_t c) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float m = xr[0];
#pragma omp simd reduction(max : m)
    for (int64_t j = 1; j < c; j++) m = xr[j] > m ? xr[j] : m;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < c; j++) sum += avs_vexp(xr[j] - m);
    float ls = (float)log(sum);
    lse[r] = m + ls;
    l[r] = (m - xr[labels[r]]) + ls;
  }
}

avs_tensor *avs_cross_entropy(avs_ctx *ctx, avs_tensor *logits, const int *labels) {
  if (!logits) return NULL;
  if (logits->ndim != 2 || logits->shape[0] < 1 || logits->shape[1] < 1) {
    char sx[96];
    avs_seterr(AVS_ESHAPE, "cross_entropy: logits must be (N, C) with N, C >= 1, got %s",
               avs_shape_str(logits->ndim, logits->shape, sx, sizeof sx));
    return NULL;
  }
  if (!labels) {
    avs_seterr(AVS_EINVAL, "cross_entropy: no labels");
    return NULL;
  }
  int64_t rows = logits->shape[0], c = logits->shape[1];
  for (int64_t r = 0; r < rows; r++)
    if (labels[r] < 0 || labels[r] >= c) {
      avs_seterr(AVS_EINVAL, "cross_entropy: label %d of row %lld is outside [0, %lld)", labels[r], (long long)r,
                 (long long)c);
      return NULL;
    }
  avs_tensor *y = avs_op_scalar(ctx);
  ce_saved *s = avs_ctx_alloc(ctx, sizeof *s);
  float *l = avs_ctx_alloc(ctx, sizeof(float) * rows);
  if (!y || !s || !l) return NULL;
  s->lse = avs_ctx_alloc(ctx, sizeof(float) * rows);
  s->labels = avs_ctx_alloc(ctx, sizeof(int32_t) * rows);
  if (!s->lse || !s->labels) return NULL;
  for (int64_t r = 0; r < rows; r++) s->labels[r] = labels[r];
  const float *xd = logits->data;
  AVS_PAR_RANGE(rows, logits->numel, lo, hi, ce_k(xd + lo * c, s->labels + lo, s->lse + lo, l + lo, hi - lo, c));
  y->data[0] = (float)(avs_elem_sum(l, rows) / (double)rows);
  avs_node *node = avs_tape_push(ctx, "cross_entropy", ce_backward, y, 1, &logits);
  if (node) node->saved = s;
  return y;
}

/* ---- InfoNCE: cross_entropy(a b^T / temperature, labels 0..N-1) ---- */

avs_tensor *avs_info_nce(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, float temperature) {
  if (!a || !b) return NULL;
  if (a->ndim != 2 || !avs_tensor_same_shape(a, b)) {
    char sa[96], sb[96];
    avs_seterr(AVS_ESHAPE, "info_nce: a and b must both be (N, D), got %s and %s",
               avs_shape_str(a->ndim, a->shape, sa, sizeof sa), avs_shape_str(b->ndim, b->shape, sb, sizeof sb));
    return NULL;
  }
  if (!(temperature > 0.0f)) {
    avs_seterr(AVS_EINVAL, "info_nce: temperature %g must be > 0", (double)temperature);
    return NULL;
  }
  int64_t n = a->shape[0];
  int *labels = avs_ctx_alloc(ctx, sizeof(int) * (n ? n : 1));
  if (!labels) return NULL;
  for (int64_t i = 0; i < n; i++) labels[i] = (int)i;
  avs_tensor *logits = avs_scale(ctx, avs_matmul(ctx, a, b, false, true), 1.0f / temperature);
  return avs_cross_entropy(ctx, logits, labels);
}
