/* Reductions and normalisation over the last dim, one row at a time:
 *   l2_normalize   y = x / max(|x|, eps)          (F.normalize(x, dim=-1))
 *   weighted_mean  y = sum(w x) / sum(w)          (rows of x and w; the
 *                  localizers' soft-masked means, LVS's Pos/Neg terms)
 *   max_last       y = max over the row           (EZ-VSL's max over locations)
 * Gradients:
 *   l2_normalize   gx = (gy - y (gy . y)) / |x|   where |x| > eps, else gy / eps
 *   weighted_mean  gx = gy w / S,  gw = gy (x - y) / S   (S = sum(w))
 *   max_last       gx = gy at the first maximum of the row, 0 elsewhere */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"

static bool rows_of(const avs_tensor *x, const char *op, int64_t *rows, int64_t *c) {
  if (x->ndim < 1 || x->shape[x->ndim - 1] < 1) {
    avs_seterr(AVS_ESHAPE, "%s: needs a last dim of at least 1 element", op);
    return false;
  }
  *c = x->shape[x->ndim - 1];
  *rows = x->numel / *c;
  return true;
}

/* x's shape without its last dim. */
static avs_tensor *row_result(avs_ctx *ctx, const avs_tensor *x) {
  return avs_ctx_tensor(ctx, x->ndim - 1, x->shape);
}

/* ---- l2_normalize ---- */

typedef struct { float *norm; float eps; } l2_saved;

static void l2_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *y = node->out;
  const l2_saved *sv = node->saved;
  int64_t c = y->shape[y->ndim - 1], rows = y->numel / c;
  const float *yd = y->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *yr = yd + r * c, *gr = gy + r * c;
    float *xr = gx + r * c;
    float n = sv->norm[r];
    if (n > sv->eps) {
      double dot = 0;
      for (int64_t j = 0; j < c; j++) dot += (double)gr[j] * yr[j];
      for (int64_t j = 0; j < c; j++) xr[j] += (gr[j] - yr[j] * (float)dot) / n;
    } else {
      for (int64_t j = 0; j < c; j++) xr[j] += gr[j] / sv->eps;
    }
  }
}

avs_tensor *avs_l2_normalize(avs_ctx *ctx, avs_tensor *x, float eps) {
  if (!x) return NULL;
  int64_t rows, c;
  if (!rows_of(x, "l2_normalize", &rows, &c)) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  float *norm = y ? avs_ctx_alloc(ctx, sizeof(float) * (size_t)rows) : NULL;
  if (!norm) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (x->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = xd + r * c;
    double s = 0;
    for (int64_t j = 0; j < c; j++) s += (double)xr[j] * xr[j];
    float n = (float)sqrt(s), d = n > eps ? n : eps;
    norm[r] = n;
    for (int64_t j = 0; j < c; j++) yd[r * c + j] = xr[j] / d;
  }
  l2_saved *sv = NULL;
  if (avs_tape_wants(ctx, 1, &x) && !(sv = avs_ctx_alloc(ctx, sizeof *sv))) return NULL;
  avs_node *node = avs_tape_push(ctx, "l2_normalize", l2_backward, y, 1, &x);
  if (node) {
    *sv = (l2_saved){norm, eps};
    node->saved = sv;
  }
  return y;
}

/* ---- weighted_mean ---- */

static void wmean_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *w = node->in[1], *y = node->out;
  const float *sums = node->saved;
  int64_t c = x->shape[x->ndim - 1], rows = x->numel / c;
#pragma omp parallel for schedule(static) if (x->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    float g = y->grad[r] / sums[r], yr = y->data[r];
    const float *xr = (const float *)x->data + r * c, *wr = (const float *)w->data + r * c;
    if (x->requires_grad)
      for (int64_t j = 0; j < c; j++) x->grad[r * c + j] += g * wr[j];
    if (w->requires_grad)
      for (int64_t j = 0; j < c; j++) w->grad[r * c + j] += g * (xr[j] - yr);
  }
}

avs_tensor *avs_weighted_mean(avs_ctx *ctx, avs_tensor *x, avs_tensor *w) {
  if (!x || !w) return NULL;
  int64_t rows, c;
  if (!rows_of(x, "weighted_mean", &rows, &c)) return NULL;
  if (!avs_tensor_same_shape(x, w)) {
    char sx[96], sw[96];
    avs_seterr(AVS_ESHAPE, "weighted_mean: x %s and weights %s differ", avs_shape_str(x->ndim, x->shape, sx, sizeof sx),
               avs_shape_str(w->ndim, w->shape, sw, sizeof sw));
    return NULL;
  }
  avs_tensor *y = row_result(ctx, x);
  float *sums = y ? avs_ctx_alloc(ctx, sizeof(float) * (size_t)rows) : NULL;
  if (!sums) return NULL;
  const float *xd = x->data, *wd = w->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (x->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    double s = 0, sw = 0;
    for (int64_t j = 0; j < c; j++) {
      s += (double)wd[r * c + j] * xd[r * c + j];
      sw += wd[r * c + j];
    }
    sums[r] = (float)sw;
    yd[r] = (float)(s / sw);
  }
  avs_tensor *in[2] = {x, w};
  avs_node *node = avs_tape_push(ctx, "weighted_mean", wmean_backward, y, 2, in);
  if (node) node->saved = sums;
  return y;
}

/* ---- max_last ---- */

static void max_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  avs_tensor *x = node->in[0], *y = node->out;
  const int64_t *at = node->saved;
  for (int64_t r = 0; r < y->numel; r++) x->grad[at[r]] += y->grad[r];
}

avs_tensor *avs_max_last(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  int64_t rows, c;
  if (!rows_of(x, "max_last", &rows, &c)) return NULL;
  avs_tensor *y = row_result(ctx, x);
  int64_t *at = y ? avs_ctx_alloc(ctx, sizeof(int64_t) * (size_t)rows) : NULL;
  if (!at) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  for (int64_t r = 0; r < rows; r++) {
    int64_t best = r * c;
    for (int64_t j = 1; j < c; j++)
      if (xd[r * c + j] > xd[best]) best = r * c + j;
    at[r] = best;
    yd[r] = xd[best];
  }
  avs_node *node = avs_tape_push(ctx, "max_last", max_backward, y, 1, &x);
  if (node) node->saved = at;
  return y;
}
