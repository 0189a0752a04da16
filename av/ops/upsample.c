/* Upsampling (any output size, also downsampling) of channels-last images
 * (N,H,W,C) and clips (N,T,H,W,C), with the source coordinates of PyTorch's
 * F.interpolate(size=...) (torch 1.13, CPU):
 *   nearest   src = min(floor(dst * (float)in/out), in-1)  (dst itself if
 *             out == in, dst/2 if out == 2 in)
 *   bilinear  align_corners: src = dst * (in-1)/(out-1)
 *             otherwise:      src = max((dst + 0.5) * in/out - 0.5, 0)
 *             blending rows i0 = floor(src) and i1 = min(i0+1, in-1).
 * The backward passes gather per input row (each thread owns whole rows of
 * the input gradient), using the per-output-index tables made in forward. */
#include <math.h>
#include <string.h>

#include "av/ops.h"
#include "av/ops/elem.h"

/* ---- index tables ---- */

static int64_t nearest_src(int64_t dst, int64_t in, int64_t out) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  float scale = (float)in / (float)out;
  int64_t s = (int64_t)floorf((float)dst * scale);
  return s < in - 1 ? s : in - 1;
}

/* first[k] = first output index whose source (or lower source) is >= k, for
 * k = 0..in: the outputs reading input k are first[k] .. first[k+1]-1. */
static void first_of(const int32_t *src, int64_t out, int64_t in, int32_t *first) {
  int64_t o = 0;
  for (int64_t k = 0; k <= in; k++) {
    while (o < out && src[o] < k) o++;
    first[k] = (int32_t)o;
  }
}

typedef struct {
  int64_t in, out;
  int32_t *src;   /* [out] nearest source / lower bilinear source */
  int32_t *src1;  /* [out] upper bilinear source */
  float *lambda;  /* [out] bilinear weight of src1 */
  int32_t *first; /* [in + 1] */
} axis;

static bool axis_nearest(avs_ctx *ctx, axis *a, int64_t in, int64_t out) {
  a->in = in, a->out = out;
  a->src = avs_ctx_alloc(ctx, sizeof(int32_t) * out);
  a->first = avs_ctx_alloc(ctx, sizeof(int32_t) * (in + 1));
  if (!a->src || !a->first) return false;
  for (int64_t o = 0; o < out; o++) a->src[o] = (int32_t)nearest_src(o, in, out);
  first_of(a->src, out, in, a->first);
  return true;
}

static bool axis_linear(avs_ctx *ctx, axis *a, int64_t in, int64_t out, bool align_corners) {
  a->in = in, a->out = out;
  a->src = avs_ctx_alloc(ctx, sizeof(int32_t) * out);
  a->src1 = avs_ctx_alloc(ctx, sizeof(int32_t) * out);
  a->lambda = avs_ctx_alloc(ctx, sizeof(float) * out);
  a->first = avs_ctx_alloc(ctx, sizeof(int32_t) * (in + 1));
  if (!a->src || !a->src1 || !a->lambda || !a->first) return false;
  float scale = align_corners ? (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f) : (float)in / (float)out;
  for (int64_t o = 0; o < out; o++) {
    /* PyTorch's CPU kernel: a float scale, the source position and the
     * weight in double, the weight rounded to float */
    double real = align_corners ? (double)scale * (double)o : (double)scale * (o + 0.5) - 0.5;
    if (real < 0) real = 0;
    int64_t i0 = (int64_t)floor(real);
    if (i0 > in - 1) i0 = in - 1;
    double l = real - (double)i0;
    l = l < 0 ? 0 : l > 1 ? 1 : l;
    a->src[o] = (int32_t)i0;
    a->src1[o] = (int32_t)(i0 < in - 1 ? i0 + 1 : i0);
    a->lambda[o] = (float)l;
  }
  first_of(a->src, out, in, a->first);
  return true;
}

static bool check_sizes(const avs_tensor *x, int ndim, const int64_t *out, int nout, const char *op) {
  if (x->ndim != ndim) {
    avs_seterr(AVS_ESHAPE, "%s: needs a %d-dim channels-last input, got %d dims", op, ndim, x->ndim);
    return false;
  }
  for (int i = 0; i < nout; i++) {
    if (out[i] < 1 || out[i] > INT32_MAX || x->shape[1 + i] < 1) {
      char sx[96];
      avs_seterr(AVS_EINVAL, "%s: cannot resize %s to output size %lld in spatial dim %d", op,
                 avs_shape_str(x->ndim, x->shape, sx, sizeof sx), (long long)out[i], i);
      return false;
    }
  }
  return true;
}

static void add_scaled(float *restrict g, const float *restrict gy, float w, int64_t c) {
#pragma omp simd
  for (int64_t k = 0; k < c; k++) g[k] += w * gy[k];
}

/* ---- nearest, 2-D and 3-D (2-D is 3-D with T = 1) ---- */

typedef struct {
  int64_t n, c;
  axis ax[3]; /* T, H, W */
} nearest_plan;

static void nearest_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const nearest_plan *p = node->saved;
  const axis *at = &p->ax[0], *ah = &p->ax[1], *aw = &p->ax[2];
  int64_t c = p->c, rows = p->n * at->in * ah->in;
  float *gx = node->in[0]->grad;
  const float *gy = node->out->grad;
#pragma omp parallel for schedule(static) if (node->out->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) { /* one input row (n, it, iy) */
    int64_t iy = r % ah->in, it = (r / ah->in) % at->in, n = r / (ah->in * at->in);
    float *gxr = gx + r * aw->in * c;
    for (int64_t ot = at->first[it]; ot < at->first[it + 1]; ot++)
      for (int64_t oy = ah->first[iy]; oy < ah->first[iy + 1]; oy++) {
        const float *gyr = gy + ((n * at->out + ot) * ah->out + oy) * aw->out * c;
        for (int64_t ox = 0; ox < aw->out; ox++) add_scaled(gxr + aw->src[ox] * c, gyr + ox * c, 1.0f, c);
      }
  }
}

static avs_tensor *nearest(avs_ctx *ctx, avs_tensor *x, int64_t ot, int64_t oh, int64_t ow, bool three_d) {
  const char *op = three_d ? "upsample_nearest3d" : "upsample_nearest2d";
  if (!x) return NULL;
  int64_t outs[3] = {ot, oh, ow};
  if (!check_sizes(x, three_d ? 5 : 4, three_d ? outs : outs + 1, three_d ? 3 : 2, op)) return NULL;
  int64_t it = three_d ? x->shape[1] : 1, ih = x->shape[x->ndim - 3], iw = x->shape[x->ndim - 2];
  nearest_plan *p = avs_ctx_alloc(ctx, sizeof *p);
  if (!p) return NULL;
  p->n = x->shape[0];
  p->c = x->shape[x->ndim - 1];
  if (!axis_nearest(ctx, &p->ax[0], it, ot) || !axis_nearest(ctx, &p->ax[1], ih, oh) ||
      !axis_nearest(ctx, &p->ax[2], iw, ow))
    return NULL;
  int64_t shape[5] = {p->n, ot, oh, ow, p->c};
  avs_tensor *y = three_d ? avs_ctx_tensor(ctx, 5, shape)
                          : avs_ctx_tensor(ctx, 4, (int64_t[]){p->n, oh, ow, p->c});
  if (!y) return NULL;
  int64_t c = p->c, rows = p->n * ot * oh;
  const axis *at = &p->ax[0], *ah = &p->ax[1], *aw = &p->ax[2];
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) { /* one output row (n, ot, oy) */
    int64_t oy = r % oh, t = (r / oh) % ot, n = r / (oh * ot);
    const float *xr = x->data + ((n * it + at->src[t]) * ih + ah->src[oy]) * iw * c;
    float *yr = y->data + r * ow * c;
    for (int64_t ox = 0; ox < ow; ox++) memcpy(yr + ox * c, xr + aw->src[ox] * c, sizeof(float) * c);
  }
  avs_node *node = avs_tape_push(ctx, op, nearest_backward, y, 1, &x);
  if (node) node->saved = p;
  return y;
}

avs_tensor *avs_upsample_nearest2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow) {
  return nearest(ctx, x, 1, oh, ow, false);
}

avs_tensor *avs_upsample_nearest3d(avs_ctx *ctx, avs_tensor *x, int ot, int oh, int ow) {
  return nearest(ctx, x, ot, oh, ow, true);
}

/* ---- bilinear ---- */

typedef struct {
  int64_t n, c;
  axis ah, aw;
} bilinear_plan;

static void bilinear_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const bilinear_plan *p = node->saved;
  const axis *ah = &p->ah, *aw = &p->aw;
  int64_t c = p->c, rows = p->n * ah->in;
  float *gx = node->in[0]->grad;
  const float *gy = node->out->grad;
#pragma omp parallel for schedule(static) if (node->out->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) { /* one input row (n, iy) */
    int64_t iy = r % ah->in, n = r / ah->in;
    float *gxr = gx + r * aw->in * c;
    /* output rows reading iy: lower source iy, or upper source iy (lower iy-1) */
    int64_t lo = ah->first[iy > 0 ? iy - 1 : 0], hi = ah->first[iy + 1];
    for (int64_t oy = lo; oy < hi; oy++) {
      if (ah->src[oy] != iy && ah->src1[oy] != iy) continue;
      float wy = (ah->src[oy] == iy ? 1.0f - ah->lambda[oy] : 0.0f) + (ah->src1[oy] == iy ? ah->lambda[oy] : 0.0f);
      const float *gyr = gy + (n * ah->out + oy) * aw->out * c;
      for (int64_t ox = 0; ox < aw->out; ox++) {
        float l = aw->lambda[ox];
        add_scaled(gxr + aw->src[ox] * c, gyr + ox * c, wy * (1.0f - l), c);
        add_scaled(gxr + aw->src1[ox] * c, gyr + ox * c, wy * l, c);
      }
    }
  }
}

avs_tensor *avs_upsample_bilinear2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow, bool align_corners) {
  if (!x) return NULL;
  if (!check_sizes(x, 4, (int64_t[]){oh, ow}, 2, "upsample_bilinear2d")) return NULL;
  int64_t ih = x->shape[1], iw = x->shape[2];
  bilinear_plan *p = avs_ctx_alloc(ctx, sizeof *p);
  if (!p) return NULL;
  p->n = x->shape[0];
  p->c = x->shape[3];
  if (!axis_linear(ctx, &p->ah, ih, oh, align_corners) || !axis_linear(ctx, &p->aw, iw, ow, align_corners))
    return NULL;
  avs_tensor *y = avs_ctx_tensor(ctx, 4, (int64_t[]){p->n, oh, ow, p->c});
  if (!y) return NULL;
  int64_t c = p->c, rows = p->n * oh;
  const axis *ah = &p->ah, *aw = &p->aw;
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) { /* one output row (n, oy) */
    int64_t oy = r % oh, n = r / oh;
    const float *x0 = x->data + (n * ih + ah->src[oy]) * iw * c, *x1 = x->data + (n * ih + ah->src1[oy]) * iw * c;
    float h1 = ah->lambda[oy], h0 = 1.0f - h1;
    float *yr = y->data + r * ow * c;
    for (int64_t ox = 0; ox < ow; ox++) {
      float w1 = aw->lambda[ox], w0 = 1.0f - w1;
      float w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1;
      const float *a = x0 + aw->src[ox] * c, *b = x0 + aw->src1[ox] * c;
      const float *d = x1 + aw->src[ox] * c, *e = x1 + aw->src1[ox] * c;
      float *yo = yr + ox * c;
#pragma omp simd
      for (int64_t k = 0; k < c; k++) yo[k] = w00 * a[k] + w01 * b[k] + w10 * d[k] + w11 * e[k];
    }
  }
  avs_node *node = avs_tape_push(ctx, "upsample_bilinear2d", bilinear_backward, y, 1, &x);
  if (node) node->saved = p;
  return y;
}
