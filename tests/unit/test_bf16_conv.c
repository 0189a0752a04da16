/* bf16 precision of convolutions (av/ctx.h avs_ctx_set_precision):
 *  - an untaped conv1d/2d/3d and transposed conv2d at AVS_BF16 equals a double
 *    reference computed on inputs and weights rounded to bfloat16 (nearest
 *    even), bias in fp32: tolerance 1e-4 absolute + 1e-4 relative (fp32
 *    accumulation of up to 576 products in another order; a bf16 rounding
 *    left out is 2e-3 to 3e-3 off at worst on these O(1) outputs);
 *  - the same call is measurably not the fp32 result (so bf16 did run), and
 *    fp32 contexts still give the fp32 result;
 *  - a taped call (training) at AVS_BF16 runs bf16 both ways: its output is the
 *    untaped call's, and its input and weight gradients equal an fp32 backward on
 *    bf16-rounded operands (input, weights, output gradient): 1e-4 of the largest
 *    gradient + 1e-4 relative (fp32 accumulation in another order), and measurably
 *    not the fp32 gradients (so bf16 did run);
 *  - avs_precision_parse: fp32, bf16, auto, anything else AVS_EINVAL.
 * Skipped (exit 77) on a CPU without AVX-512, where oneDNN has no bf16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

static float to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  u &= 0xFFFF0000u;
  memcpy(&f, &u, 4);
  return f;
}

typedef struct {
  const char *name;
  int nsp;            /* spatial dims: 1, 2 or 3 */
  bool transposed;
  int64_t n, c, o, in[3], k[3];
  avs_conv p;
} conv_case;

/* Sizes padded to three spatial dims (1 where absent). */
static void dims3(const conv_case *cc, const int64_t *src, int64_t *dst) {
  for (int i = 0; i < 3; i++) dst[i] = i < 3 - cc->nsp ? 1 : src[i - (3 - cc->nsp)];
}
static int64_t param3(const conv_case *cc, const int64_t *v, int i, int64_t absent) {
  return i < 3 - cc->nsp ? absent : v[i - (3 - cc->nsp)];
}

/* Output size per spatial dim (as avs_conv*d computes it). */
static int64_t out_size(const conv_case *cc, int d) {
  int64_t in = cc->in[d], k = cc->k[d], s = cc->p.stride[d] ? cc->p.stride[d] : 1, pad = cc->p.pad[d],
          dl = cc->p.dilation[d] ? cc->p.dilation[d] : 1;
  return cc->transposed ? (in - 1) * s - 2 * pad + dl * (k - 1) + cc->p.out_pad[d] + 1
                        : (in + 2 * pad - dl * (k - 1) - 1) / s + 1;
}

/* y = conv(x, w) + b in double, channels-last x (N, D, H, W, C) and y, PyTorch-order w. */
static void reference(const conv_case *cc, const float *x, const float *w, const float *b, const int64_t *osz,
                      double *y) {
  int64_t I[3], K[3], O[3], S[3], P[3], L[3];
  dims3(cc, cc->in, I), dims3(cc, cc->k, K), dims3(cc, osz, O);
  int64_t st[3] = {cc->p.stride[0], cc->p.stride[1], cc->p.stride[2]}, pd[3] = {cc->p.pad[0], cc->p.pad[1], cc->p.pad[2]},
          dl[3] = {cc->p.dilation[0], cc->p.dilation[1], cc->p.dilation[2]};
  for (int i = 0; i < 3; i++) {
    S[i] = param3(cc, st, i, 1), P[i] = param3(cc, pd, i, 0), L[i] = param3(cc, dl, i, 1);
    S[i] = S[i] ? S[i] : 1, L[i] = L[i] ? L[i] : 1;
  }
  int64_t ny = cc->n * O[0] * O[1] * O[2] * cc->o;
  for (int64_t i = 0; i < ny; i++) y[i] = b[i % cc->o];
  for (int64_t n = 0; n < cc->n; n++)
    for (int64_t a = 0; a < I[0]; a++)
      for (int64_t h = 0; h < I[1]; h++)
        for (int64_t v = 0; v < I[2]; v++)
          for (int64_t ka = 0; ka < K[0]; ka++)
            for (int64_t kh = 0; kh < K[1]; kh++)
              for (int64_t kv = 0; kv < K[2]; kv++) {
                /* conv: output t reads input t*S - P + k*L; transposed: input i writes i*S - P + k*L */
                int64_t t[3], pos[3] = {a, h, v}, kk[3] = {ka, kh, kv};
                bool inside = true;
                for (int d = 0; d < 3 && inside; d++) {
                  if (cc->transposed) {
                    t[d] = pos[d] * S[d] - P[d] + kk[d] * L[d];
                    inside = t[d] >= 0 && t[d] < O[d];
                  } else {
                    int64_t r = pos[d] + P[d] - kk[d] * L[d];
                    inside = r >= 0 && r % S[d] == 0 && r / S[d] < O[d];
                    t[d] = r / S[d];
                  }
                }
                if (!inside) continue;
                const float *xi = x + (((n * I[0] + a) * I[1] + h) * I[2] + v) * cc->c;
                double *yo = y + (((n * O[0] + t[0]) * O[1] + t[1]) * O[2] + t[2]) * cc->o;
                int64_t kidx = (ka * K[1] + kh) * K[2] + kv, ksz = K[0] * K[1] * K[2];
                for (int64_t o = 0; o < cc->o; o++)
                  for (int64_t c = 0; c < cc->c; c++) {
                    int64_t wi = cc->transposed ? (c * cc->o + o) * ksz + kidx : (o * cc->c + c) * ksz + kidx;
                    yo[o] += (double)xi[c] * w[wi];
                  }
              }
}

static avs_tensor *run(avs_ctx *ctx, const conv_case *cc, avs_tensor *x, avs_tensor *w, avs_tensor *b) {
  if (cc->transposed) return avs_conv_transpose2d(ctx, x, w, b, cc->p);
  switch (cc->nsp) {
  case 1: return avs_conv1d(ctx, x, w, b, cc->p);
  case 2: return avs_conv2d(ctx, x, w, b, cc->p);
  default: return avs_conv3d(ctx, x, w, b, cc->p);
  }
}

/* One taped forward and backward of x (shape xs) and w at precision p with output gradient gy:
 * copies of y, dx and dw (NULLs on failure). */
static bool train_once(const conv_case *cc, avs_precision p, const float *x, const int64_t *xs, const float *w,
                       const avs_tensor *shape_of_w, avs_tensor *b, const float *gy, float **y, float **dx,
                       float **dw) {
  avs_tensor *xt = avs_tensor_new(cc->nsp + 2, xs), *wt = avs_tensor_new(shape_of_w->ndim, shape_of_w->shape);
  memcpy(xt->data, x, sizeof(float) * xt->numel), memcpy(wt->data, w, sizeof(float) * wt->numel);
  xt->requires_grad = wt->requires_grad = true;
  avs_tensor_zero_grad(xt), avs_tensor_zero_grad(wt);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  avs_ctx_set_precision(ctx, p);
  avs_tensor *yt = run(ctx, cc, xt, wt, b);
  bool ok = yt && !avs_backward_from(ctx, yt, gy);
  if (ok) {
    *y = malloc(sizeof(float) * yt->numel), *dx = malloc(sizeof(float) * xt->numel);
    *dw = malloc(sizeof(float) * wt->numel);
    memcpy(*y, yt->data, sizeof(float) * yt->numel), memcpy(*dx, xt->grad, sizeof(float) * xt->numel);
    memcpy(*dw, wt->grad, sizeof(float) * wt->numel);
  }
  avs_ctx_free(&ctx);
  avs_tensor_free(&xt), avs_tensor_free(&wt);
  return ok;
}

static float max_abs(const float *v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i]));
  return m;
}

/* got against want within 1e-4 of want's largest value + 1e-4 relative; and how far got is from fp32's. */
static void close_grad(const conv_case *cc, const char *which, const float *got, const float *want,
                       const float *fp32, int64_t n) {
  char what[128];
  float top = max_abs(want, n), off = 0;
  for (int64_t i = 0; i < n; i++) off = fmaxf(off, fabsf(got[i] - fp32[i]));
  snprintf(what, sizeof what, "%s taped at bf16: %s against fp32 on bf16-rounded operands", cc->name, which);
  tst_close(what, got, want, n, 1e-4f * top, 1e-4f);
  tst_true(off > 3e-4f * top, "%s taped at bf16: %s differs from fp32's (max %.2e of %.2e): bf16 ran", cc->name,
           which, off, top);
}

static void check_taped(const conv_case *cc, avs_rng *r, const float *x, const int64_t *xs, avs_tensor *w,
                        avs_tensor *b, const float *y_bf16) {
  int64_t nx = avs_shape_numel(cc->nsp + 2, xs), ny = cc->n * cc->o;
  for (int d = 0; d < cc->nsp; d++) ny *= out_size(cc, d);
  float *gy = malloc(sizeof(float) * ny), *gyr = malloc(sizeof(float) * ny);
  float *xr = malloc(sizeof(float) * nx), *wr = malloc(sizeof(float) * w->numel);
  for (int64_t i = 0; i < ny; i++) gy[i] = 2 * avs_rng_uniform(r) - 1, gyr[i] = to_bf16(gy[i]);
  for (int64_t i = 0; i < nx; i++) xr[i] = to_bf16(x[i]);
  for (int64_t i = 0; i < w->numel; i++) wr[i] = to_bf16(w->data[i]);
  float *y[3] = {0}, *dx[3] = {0}, *dw[3] = {0}; /* bf16; fp32 on rounded operands; fp32 */
  bool ok = train_once(cc, AVS_BF16, x, xs, w->data, w, b, gy, &y[0], &dx[0], &dw[0]) &&
            train_once(cc, AVS_FP32, xr, xs, wr, w, b, gyr, &y[1], &dx[1], &dw[1]) &&
            train_once(cc, AVS_FP32, x, xs, w->data, w, b, gy, &y[2], &dx[2], &dw[2]);
  if (tst_true(ok, "%s taped at bf16: forward and backward ran%s%s", cc->name, ok ? "" : ": ", ok ? "" : avs_errmsg())) {
    char what[128];
    snprintf(what, sizeof what, "%s taped at bf16: the output is the untaped bf16 one", cc->name);
    tst_close(what, y[0], y_bf16, ny, 1e-4f, 1e-4f);
    close_grad(cc, "input gradient", dx[0], dx[1], dx[2], nx);
    close_grad(cc, "weight gradient", dw[0], dw[1], dw[2], w->numel);
  }
  for (int i = 0; i < 3; i++) free(y[i]), free(dx[i]), free(dw[i]);
  free(gy), free(gyr), free(xr), free(wr);
}

static void check_case(const conv_case *cc, avs_rng *r) {
  int64_t xs[5] = {cc->n}, ws[5], osz[3];
  for (int d = 0; d < cc->nsp; d++) xs[1 + d] = cc->in[d], osz[d] = out_size(cc, d);
  xs[cc->nsp + 1] = cc->c;
  ws[0] = cc->transposed ? cc->c : cc->o, ws[1] = cc->transposed ? cc->o : cc->c;
  for (int d = 0; d < cc->nsp; d++) ws[2 + d] = cc->k[d];
  avs_tensor *w = avs_tensor_new(cc->nsp + 2, ws), *b = avs_tensor_new(1, AVS_SHAPE(cc->o));
  int64_t nx = avs_shape_numel(cc->nsp + 2, xs);
  float *x = malloc(sizeof(float) * nx), *xr = malloc(sizeof(float) * nx), *wr = malloc(sizeof(float) * w->numel);
  for (int64_t i = 0; i < nx; i++) x[i] = 2 * avs_rng_uniform(r) - 1, xr[i] = to_bf16(x[i]);
  float bound = 1.0f / sqrtf((float)(w->numel / ws[0]));
  for (int64_t i = 0; i < w->numel; i++) w->data[i] = bound * (2 * avs_rng_uniform(r) - 1), wr[i] = to_bf16(w->data[i]);
  for (int64_t i = 0; i < b->numel; i++) b->data[i] = 0.1f * (2 * avs_rng_uniform(r) - 1);
  w->requires_grad = b->requires_grad = false;

  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_ctx_set_precision(ctx, AVS_BF16);
  avs_tensor *y16 = run(ctx, cc, avs_ctx_wrap(ctx, x, cc->nsp + 2, xs), w, b);
  avs_ctx *ctx32 = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *y32 = run(ctx32, cc, avs_ctx_wrap(ctx32, x, cc->nsp + 2, xs), w, b);
  if (!tst_true(y16 && y32, "%s: ran%s%s", cc->name, y16 && y32 ? "" : ": ", y16 && y32 ? "" : avs_errmsg()))
    goto done;

  double *ref = malloc(sizeof(double) * y16->numel), *ref32 = malloc(sizeof(double) * y16->numel);
  float *reff = malloc(sizeof(float) * y16->numel), *ref32f = malloc(sizeof(float) * y16->numel);
  reference(cc, xr, wr, b->data, osz, ref);
  reference(cc, x, w->data, b->data, osz, ref32);
  double off = 0;
  for (int64_t i = 0; i < y16->numel; i++) {
    reff[i] = (float)ref[i], ref32f[i] = (float)ref32[i];
    off = fmax(off, fabs(y16->data[i] - ref32[i]));
  }
  char what[96];
  snprintf(what, sizeof what, "%s bf16 against the double reference on bf16-rounded operands", cc->name);
  tst_close(what, y16->data, reff, y16->numel, 1e-4f, 1e-4f);
  snprintf(what, sizeof what, "%s fp32 context against the fp32 reference", cc->name);
  tst_close(what, y32->data, ref32f, y32->numel, 1e-4f, 1e-4f);
  tst_true(off > 1e-3, "%s: bf16 differs from fp32 (max %.2e): the rounding ran", cc->name, off);

  check_taped(cc, r, x, xs, w, b, reff);
  free(ref), free(ref32), free(reff), free(ref32f);
done:
  avs_ctx_free(&ctx);
  avs_ctx_free(&ctx32);
  avs_tensor_free(&w), avs_tensor_free(&b);
  free(x), free(xr), free(wr);
}

int main(void) {
  avs_precision p;
  if (avs_precision_parse("bf16", &p) == AVS_EUNSUPPORTED) {
    printf("skipped: %s\n", avs_errmsg());
    return 77;
  }
  tst_true(!avs_precision_parse("fp32", &p) && p == AVS_FP32, "parse fp32");
  tst_true(!avs_precision_parse("bf16", &p) && p == AVS_BF16, "parse bf16");
  tst_true(!avs_precision_parse("auto", &p) && p == (avs_cpu_native_bf16() ? AVS_BF16 : AVS_FP32), "parse auto");
  tst_true(avs_precision_parse("fp16", &p) == AVS_EINVAL, "parse fp16: AVS_EINVAL");

  avs_rng r;
  avs_rng_seed(&r, 3);
  const conv_case cases[] = {
      {"conv1d k5 dil2", 1, false, 2, 24, 16, {40}, {5}, {.stride = {1}, .pad = {4}, .dilation = {2}}},
      {"conv2d 3x3 s2", 2, false, 2, 32, 48, {13, 17}, {3, 3}, {.stride = {2, 2}, .pad = {1, 1}}},
      {"conv3d 3x3x3", 3, false, 1, 16, 32, {6, 9, 9}, {3, 3, 3}, {.stride = {1, 1, 1}, .pad = {1, 1, 1}}},
      {"conv_transpose2d 4x4 s2", 2, true, 2, 32, 16, {7, 9}, {4, 4}, {.stride = {2, 2}, .pad = {1, 1}}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(&cases[i], &r);
  return tst_finish();
}
