/* Layer normalisation over the last dim (torch.nn.LayerNorm(C)):
 *   y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps), var biased.
 * Forward keeps each row's mean and rstd for the backward pass:
 *   xhat = (x - mean) rstd, g = gy * w
 *   gx = rstd * (g - mean(g) - xhat * mean(g * xhat))
 *   gw = sum over rows of gy * xhat,  gb = sum over rows of gy
 * Row statistics and column sums accumulate in double. Kernels are compiled
 * for AVX-512 / AVX2 / baseline (AVS_SIMD_CLONES). */
#include <math.h>

#include "av/ops.h"
#include "av/ops/elem.h"

/* The row mean as a float pair hi + lo: (x - hi) - lo keeps x - mean accurate
 * when the mean is large against the spread (x - hi is then exact), where a
 * float mean alone would cost up to half an ulp of the mean. */
typedef struct {
  float *mean_hi, *mean_lo, *rstd; /* per row */
  const float *w;                  /* the weight, or ones */
  int64_t rows, c;
} ln_saved;

/* w and b are never NULL here (ones and zeros stand in), so that the loops
 * carry no branch. mh/ml/rs may be NULL (no taping). */
AVS_SIMD_CLONES static void ln_fwd_k(const float *x, const float *w, const float *b, float *y, float *mh_out,
                                     float *ml_out, float *rs_out, int64_t rows, int64_t c, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
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
    if (mh_out) mh_out[r] = mh, ml_out[r] = ml, rs_out[r] = rs;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) yr[j] = ((xr[j] - mh) - ml) * rs * w[j] + b[j];
  }
}

AVS_SIMD_CLONES static void ln_gx_k(const ln_saved *s, const float *x, const float *gy, float *gx, int64_t r0,
                                    int64_t r1) {
  int64_t c = s->c;
  const float *w = s->w;
  for (int64_t r = r0; r < r1; r++) {
    const float *xr = x + r * c, *gr = gy + r * c;
    float *gxr = gx + r * c;
    float mh = s->mean_hi[r], ml = s->mean_lo[r], rs = s->rstd[r];
    double sg = 0, sgx = 0;
#pragma omp simd reduction(+ : sg, sgx)
    for (int64_t j = 0; j < c; j++) {
      float g = gr[j] * w[j];
      sg += g;
      sgx += (double)g * (((xr[j] - mh) - ml) * rs);
    }
    float mg = (float)(sg / c), mgx = (float)(sgx / c);
#pragma omp simd
    for (int64_t j = 0; j < c; j++) gxr[j] += rs * (gr[j] * w[j] - mg - ((xr[j] - mh) - ml) * rs * mgx);
  }
}

/* Column sums for gw and gb over all rows, columns [j0, j0 + n). */
#define LN_BLOCK 256

AVS_SIMD_CLONES static void ln_param_k(const ln_saved *s, const float *x, const float *gy, float *gw, float *gb,
                                       int64_t j0, int64_t n) {
  int64_t c = s->c;
  double aw[LN_BLOCK] = {0}, ab[LN_BLOCK] = {0};
  for (int64_t r = 0; r < s->rows; r++) {
    const float *xr = x + r * c + j0, *gr = gy + r * c + j0;
    float mh = s->mean_hi[r], ml = s->mean_lo[r], rs = s->rstd[r];
    if (gw) {
#pragma omp simd
      for (int64_t j = 0; j < n; j++) aw[j] += (double)gr[j] * (((xr[j] - mh) - ml) * rs);
    }
    if (gb) {
#pragma omp simd
      for (int64_t j = 0; j < n; j++) ab[j] += gr[j];
    }
  }
  for (int64_t j = 0; j < n; j++) {
    if (gw) gw[j0 + j] += (float)aw[j];
    if (gb) gb[j0 + j] += (float)ab[j];
  }
}

static void layer_norm_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const ln_saved *s = node->saved;
  avs_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2];
  const float *gy = node->out->grad, *xd = x->data;
  if (x->requires_grad) {
    float *gx = x->grad;
    AVS_PAR_RANGE(s->rows, x->numel, lo, hi, ln_gx_k(s, xd, gy, gx, lo, hi));
  }
  float *gw = w && w->requires_grad ? w->grad : NULL, *gb = b && b->requires_grad ? b->grad : NULL;
  if (gw || gb) {
    int64_t nb = (s->c + LN_BLOCK - 1) / LN_BLOCK;
#pragma omp parallel for schedule(static) if (nb > 1 && x->numel >= AVS_PAR_MIN)
    for (int64_t blk = 0; blk < nb; blk++) {
      int64_t j0 = blk * LN_BLOCK;
      ln_param_k(s, xd, gy, gw, gb, j0, s->c - j0 < LN_BLOCK ? s->c - j0 : LN_BLOCK);
    }
  }
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
  const float *wd = w ? w->data : NULL, *bd = b ? b->data : NULL;
  size_t cb = sizeof(float) * (size_t)(c ? c : 1);
  if (!wd) { /* ones stand in for a missing weight */
    float *ones = avs_ctx_alloc(ctx, cb);
    if (!ones) return NULL;
    for (int64_t j = 0; j < c; j++) ones[j] = 1.0f;
    wd = ones;
  }
  if (!bd) { /* zeros for a missing bias */
    float *zeros = avs_ctx_alloc(ctx, cb);
    if (!zeros) return NULL;
    for (int64_t j = 0; j < c; j++) zeros[j] = 0.0f;
    bd = zeros;
  }
  ln_saved *s = NULL;
  if (avs_tape_wants(ctx, 3, in)) {
    s = avs_ctx_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->rows = rows, s->c = c, s->w = wd;
    s->mean_hi = avs_ctx_alloc(ctx, sizeof(float) * rows);
    s->mean_lo = avs_ctx_alloc(ctx, sizeof(float) * rows);
    s->rstd = avs_ctx_alloc(ctx, sizeof(float) * rows);
    if (!s->mean_hi || !s->mean_lo || !s->rstd) return NULL;
  }
  const float *xd = x->data;
  float *yd = y->data;
  AVS_PAR_RANGE(rows, x->numel, lo, hi,
                ln_fwd_k(xd + lo * c, wd, bd, yd + lo * c, s ? s->mean_hi + lo : NULL, s ? s->mean_lo + lo : NULL,
                         s ? s->rstd + lo : NULL, hi - lo, c, eps));
  avs_node *node = avs_tape_push(ctx, "layer_norm", layer_norm_backward, y, 3, in);
  if (node) node->saved = s;
  return y;
}
