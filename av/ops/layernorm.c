/* Layer normalisation over the last dim (torch.nn.LayerNorm(C)):
 *   y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps), var biased.
 * Forward keeps each row's mean and rstd for the backward pass:
 *   xhat = (x - mean) rstd, g = gy * w
 *   gx = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   gw = sum over rows of gy * xhat,  gb = sum over rows of gy            */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"

/* The row mean as a float pair hi + lo: (x - hi) - lo keeps x - mean accurate
 * when the mean is large against the spread (x - hi is then exact), where a
 * float mean alone would cost up to half an ulp of the mean. */
typedef struct {
  float *mean_hi, *mean_lo, *rstd; /* per row */
  int64_t rows, c;
} ln_saved;

/* Column sums for gw and gb: column blocks, each summed over every row by one
 * thread, in double. */
#define LN_BLOCK 256

static void ln_param_grads(const ln_saved *s, const float *x, const float *gy, float *gw, float *gb) {
  int64_t c = s->c, nb = (c + LN_BLOCK - 1) / LN_BLOCK;
#pragma omp parallel for schedule(static) if (nb > 1 && s->rows * c >= AVS_PAR_MIN)
  for (int64_t blk = 0; blk < nb; blk++) {
    int64_t j0 = blk * LN_BLOCK, w = c - j0 < LN_BLOCK ? c - j0 : LN_BLOCK;
    double aw[LN_BLOCK] = {0}, ab[LN_BLOCK] = {0};
    for (int64_t r = 0; r < s->rows; r++) {
      const float *xr = x + r * c + j0, *gr = gy + r * c + j0;
      float mh = s->mean_hi[r], ml = s->mean_lo[r], rs = s->rstd[r];
#pragma omp simd
      for (int64_t j = 0; j < w; j++) aw[j] += (double)gr[j] * (((xr[j] - mh) - ml) * rs);
#pragma omp simd
      for (int64_t j = 0; j < w; j++) ab[j] += gr[j];
    }
    for (int64_t j = 0; j < w; j++) {
      if (gw) gw[j0 + j] += (float)aw[j];
      if (gb) gb[j0 + j] += (float)ab[j];
    }
  }
}

static void layer_norm_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const ln_saved *s = node->saved;
  avs_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2];
  const float *gy = node->out->grad, *wd = w ? w->data : NULL;
  int64_t c = s->c;
  if (x->requires_grad) {
#pragma omp parallel for schedule(static) if (x->numel >= AVS_PAR_MIN)
    for (int64_t r = 0; r < s->rows; r++) {
      const float *xr = x->data + r * c, *gr = gy + r * c;
      float *gx = x->grad + r * c;
      float mh = s->mean_hi[r], ml = s->mean_lo[r], rs = s->rstd[r];
      double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
      for (int64_t j = 0; j < c; j++) {
        float g = wd ? gr[j] * wd[j] : gr[j];
        sg += g;
        sgx += (double)g * (((xr[j] - mh) - ml) * rs);
      }
      float mg = (float)(sg / c), mgx = (float)(sgx / c);
#pragma omp simd
      for (int64_t j = 0; j < c; j++) {
        float g = wd ? gr[j] * wd[j] : gr[j];
        gx[j] += rs * (g - mg - ((xr[j] - mh) - ml) * rs * mgx);
      }
    }
  }
  bool need_w = w && w->requires_grad, need_b = b && b->requires_grad;
  if (need_w || need_b) ln_param_grads(s, x->data, gy, need_w ? w->grad : NULL, need_b ? b->grad : NULL);
}

avs_tensor *avs_layer_norm(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, float eps) {
  if (!x) return NULL;
  if (x->ndim < 1) {
    avs_seterr(AVS_ESHAPE, "layer_norm: needs at least one dim, got a scalar");
    return NULL;
  }
  int64_t c = x->shape[x->ndim - 1], rows = c ? x->numel / c : 0;
  if ((w && w->numel != c) || (b && b->numel != c)) {
    char sx[96];
    avs_seterr(AVS_ESHAPE, "layer_norm: weight/bias need %lld elements for input %s, got %lld/%lld", (long long)c,
               avs_shape_str(x->ndim, x->shape, sx, sizeof sx), (long long)(w ? w->numel : c),
               (long long)(b ? b->numel : c));
    return NULL;
  }
  if (eps == 0.0f) eps = 1e-5f;
  avs_tensor *in[3] = {x, w, b};
  avs_tensor *y = avs_op_like(ctx, x);
  if (!y) return NULL;
  ln_saved *s = NULL;
  if (avs_tape_wants(ctx, 3, in)) {
    s = avs_ctx_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->rows = rows, s->c = c;
    s->mean_hi = avs_ctx_alloc(ctx, sizeof(float) * rows);
    s->mean_lo = avs_ctx_alloc(ctx, sizeof(float) * rows);
    s->rstd = avs_ctx_alloc(ctx, sizeof(float) * rows);
    if (!s->mean_hi || !s->mean_lo || !s->rstd) return NULL;
  }
  const float *wd = w ? w->data : NULL, *bd = b ? b->data : NULL;
#pragma omp parallel for schedule(static) if (x->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x->data + r * c;
    float *yr = y->data + r * c;
    double sum = 0, sq = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < c; j++) sum += xr[j];
    double md = sum / c;
    float mh = (float)md, ml = (float)(md - mh);
#pragma omp simd reduction(+ : sq)
    for (int64_t j = 0; j < c; j++) {
      double d = (double)(xr[j] - mh) - ml;
      sq += d * d;
    }
    float rs = (float)(1.0 / sqrt(sq / c + eps));
    if (s) s->mean_hi[r] = mh, s->mean_lo[r] = ml, s->rstd[r] = rs;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      float v = ((xr[j] - mh) - ml) * rs;
      yr[j] = (wd ? v * wd[j] : v) + (bd ? bd[j] : 0.0f);
    }
  }
  avs_node *node = avs_tape_push(ctx, "layer_norm", layer_norm_backward, y, 3, in);
  if (node) node->saved = s;
  return y;
}
