#include "video/flow_tvl1.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "av/status.h"

#define PRESMOOTH_SIGMA 0.8f /* IPOL: Gaussian applied to the input images */
#define ZOOM_SIGMA_ZERO 0.6f /* IPOL: sigma = 0.6 * sqrt(1/zoom^2 - 1) before downsampling */
#define GRAD_IS_ZERO 1e-10f
#define PAR_MIN_PIXELS 40000 /* rows run in parallel from about 200 x 200 up */

void avs_tvl1_defaults(avs_tvl1_params *p) {
  *p = (avs_tvl1_params){.tau = 0.25f, .lambda = 0.15f, .theta = 0.3f, .n_scales = 5, .zoom = 0.5f, .n_warps = 5,
                         .epsilon = 0.01f, .max_iter = 300, .normalize = true};
}

/* ---- image helpers ---- */

/* Catmull-Rom weights (the cubic of IPOL's bicubic interpolation). */
static inline void cubic_weights(float t, float w[4]) {
  float t2 = t * t, t3 = t2 * t;
  w[0] = 0.5f * (-t3 + 2 * t2 - t);
  w[1] = 0.5f * (3 * t3 - 5 * t2 + 2);
  w[2] = 0.5f * (-3 * t3 + 4 * t2 + t);
  w[3] = 0.5f * (t3 - t2);
}

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Taps and weights for a bicubic sample at (x, y), edges repeated. */
typedef struct {
  int xs[4], ys[4];
  float wx[4], wy[4];
} bicubic_at;

static inline void bicubic_setup(bicubic_at *b, float x, float y, int nx, int ny) {
  int x0 = (int)floorf(x), y0 = (int)floorf(y);
  cubic_weights(x - x0, b->wx);
  cubic_weights(y - y0, b->wy);
  for (int k = 0; k < 4; k++) {
    b->xs[k] = clampi(x0 - 1 + k, 0, nx - 1);
    b->ys[k] = clampi(y0 - 1 + k, 0, ny - 1) * nx;
  }
}

static inline float bicubic_eval(const bicubic_at *b, const float *im) {
  float s = 0;
  for (int r = 0; r < 4; r++) {
    const float *row = im + b->ys[r];
    s += b->wy[r] * (b->wx[0] * row[b->xs[0]] + b->wx[1] * row[b->xs[1]] + b->wx[2] * row[b->xs[2]] +
                     b->wx[3] * row[b->xs[3]]);
  }
  return s;
}

static inline int mirror(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

/* Separable Gaussian blur in place (tmp: nx*ny floats), symmetric edges. */
static void gaussian(float *im, float *tmp, int nx, int ny, float sigma, bool par) {
  if (sigma <= 0) return;
  enum { MAX_R = 64 };
  int r = (int)ceilf(3 * sigma);
  if (r > MAX_R) r = MAX_R;
  float k[MAX_R + 1], sum = 0;
  for (int i = 0; i <= r; i++) sum += (k[i] = expf(-0.5f * i * i / (sigma * sigma))) * (i ? 2 : 1);
  for (int i = 0; i <= r; i++) k[i] /= sum;
#pragma omp parallel for schedule(static) if (par)
  for (int y = 0; y < ny; y++) {
    const float *src = im + (size_t)y * nx;
    float *dst = tmp + (size_t)y * nx;
    for (int x = 0; x < nx; x++) {
      float s = k[0] * src[x];
      for (int i = 1; i <= r; i++) s += k[i] * (src[mirror(x - i, nx)] + src[mirror(x + i, nx)]);
      dst[x] = s;
    }
  }
#pragma omp parallel for schedule(static) if (par)
  for (int y = 0; y < ny; y++) {
    float *dst = im + (size_t)y * nx;
    const float *c = tmp + (size_t)y * nx;
    for (int x = 0; x < nx; x++) dst[x] = k[0] * c[x];
    for (int i = 1; i <= r; i++) {
      const float *a = tmp + (size_t)mirror(y - i, ny) * nx, *b = tmp + (size_t)mirror(y + i, ny) * nx;
      for (int x = 0; x < nx; x++) dst[x] += k[i] * (a[x] + b[x]);
    }
  }
}

/* Bicubic resampling of src (nx x ny) to dst (mx x my), dst(j, i) = src(j / fx, i / fy). */
static void resample(const float *src, int nx, int ny, float *dst, int mx, int my, float fx, float fy, bool par) {
#pragma omp parallel for schedule(static) if (par)
  for (int i = 0; i < my; i++)
    for (int j = 0; j < mx; j++) {
      bicubic_at b;
      bicubic_setup(&b, j / fx, i / fy, nx, ny);
      dst[(size_t)i * mx + j] = bicubic_eval(&b, src);
    }
}

/* Central differences, one-sided halves at the borders (IPOL's centered_gradient). */
static void centered_gradient(const float *im, float *dx, float *dy, int nx, int ny, bool par) {
#pragma omp parallel for schedule(static) if (par)
  for (int i = 0; i < ny; i++) {
    const float *row = im + (size_t)i * nx;
    const float *up = im + (size_t)(i > 0 ? i - 1 : i) * nx, *dn = im + (size_t)(i < ny - 1 ? i + 1 : i) * nx;
    float *gx = dx + (size_t)i * nx, *gy = dy + (size_t)i * nx;
    for (int j = 0; j < nx; j++) {
      gx[j] = 0.5f * (row[j < nx - 1 ? j + 1 : j] - row[j > 0 ? j - 1 : j]);
      gy[j] = 0.5f * (dn[j] - up[j]);
    }
  }
}

/* ---- one pyramid level ---- */

typedef struct {
  float *i1x, *i1y, *i1w, *i1wx, *i1wy, *rho_c, *grad, *p11, *p12, *p21, *p22;
  const float *zero; /* a row of zeros (the row above the first) */
} level_ws;

/* One row of the primal step: the thresholding of the data term, which is
 * v = u + clamp(-rho / |grad I1w|^2, -lambda theta, lambda theta) grad I1w
 * (IPOL's three cases in one expression), then u = v + theta div p, where
 * div p uses backward differences. p11 is 0 on the last column and p12 on the
 * last row (the forward gradient is 0 there and p starts at 0), so only the
 * first column and row need care. p is only read here. Returns the row's sum
 * of squared updates. */
static inline float primal_px(float rc, float gx, float gy, float g, float div1, float div2, float l_t, float theta,
                              float *u1, float *u2) {
  float rho = rc + gx * *u1 + gy * *u2;
  float fi = -rho / (g > GRAD_IS_ZERO ? g : GRAD_IS_ZERO);
  fi = fi < -l_t ? -l_t : fi > l_t ? l_t : fi;
  float d1 = fi * gx + theta * div1, d2 = fi * gy + theta * div2;
  *u1 += d1, *u2 += d2;
  return d1 * d1 + d2 * d2;
}

/* The two row kernels are most of the run time: compiled for AVX2+FMA too,
 * picked at load time (binaries stay x86-64 baseline). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AVS_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define AVS_CLONES
#endif

AVS_CLONES static double primal_row(const level_ws *ws, float *restrict u1, float *restrict u2, int nx, int i, float l_t,
                         float theta) {
  const size_t o = (size_t)i * nx;
  const float *restrict gx = ws->i1wx + o, *restrict gy = ws->i1wy + o, *restrict g = ws->grad + o;
  const float *restrict rc = ws->rho_c + o;
  const float *restrict p11 = ws->p11 + o, *restrict p21 = ws->p21 + o;
  const float *restrict p12 = ws->p12 + o, *restrict p22 = ws->p22 + o;
  const float *restrict p12u = i > 0 ? p12 - nx : ws->zero, *restrict p22u = i > 0 ? p22 - nx : ws->zero;
  u1 += o, u2 += o;
  float e = primal_px(rc[0], gx[0], gy[0], g[0], p11[0] + p12[0] - p12u[0], p21[0] + p22[0] - p22u[0], l_t, theta,
                      &u1[0], &u2[0]);
#pragma omp simd reduction(+ : e)
  for (int j = 1; j < nx; j++)
    e += primal_px(rc[j], gx[j], gy[j], g[j], p11[j] - p11[j - 1] + p12[j] - p12u[j],
                   p21[j] - p21[j - 1] + p22[j] - p22u[j], l_t, theta, &u1[j], &u2[j]);
  return e;
}

/* One row of the dual step: p = (p + taut grad u) / (1 + taut |grad u|), forward differences. */
AVS_CLONES static void dual_row(level_ws *ws, const float *restrict u1, const float *restrict u2, int nx, int ny, int i,
                     float taut) {
  const size_t o = (size_t)i * nx;
  float *restrict p11 = ws->p11 + o, *restrict p12 = ws->p12 + o, *restrict p21 = ws->p21 + o,
                  *restrict p22 = ws->p22 + o;
  const float *restrict a1 = u1 + o, *restrict a2 = u2 + o;
  const float *restrict b1 = i < ny - 1 ? a1 + nx : a1, *restrict b2 = i < ny - 1 ? a2 + nx : a2;
#pragma omp simd
  for (int j = 0; j < nx; j++) {
    /* On the last column the forward difference is 0: a[j + 1] would be the next row's first value. */
    float m = j < nx - 1 ? 1.0f : 0.0f;
    int jr = j < nx - 1 ? j + 1 : j;
    float u1x = m * (a1[jr] - a1[j]), u2x = m * (a2[jr] - a2[j]);
    float u1y = b1[j] - a1[j], u2y = b2[j] - a2[j]; /* 0 on the last row: b is a there */
    float ng1 = 1 + taut * sqrtf(u1x * u1x + u1y * u1y), ng2 = 1 + taut * sqrtf(u2x * u2x + u2y * u2y);
    p11[j] = (p11[j] + taut * u1x) / ng1;
    p12[j] = (p12[j] + taut * u1y) / ng1;
    p21[j] = (p21[j] + taut * u2x) / ng2;
    p22[j] = (p22[j] + taut * u2y) / ng2;
  }
}

static void tvl1_level(const float *I0, const float *I1, float *u1, float *u2, int nx, int ny,
                       const avs_tvl1_params *prm, level_ws *ws) {
  const size_t size = (size_t)nx * ny;
  const float l_t = prm->lambda * prm->theta, theta = prm->theta, taut = prm->tau / prm->theta;
  const bool par = size >= PAR_MIN_PIXELS && !omp_in_parallel();
  float *I1x = ws->i1x, *I1y = ws->i1y, *I1w = ws->i1w, *I1wx = ws->i1wx, *I1wy = ws->i1wy;
  float *rho_c = ws->rho_c, *grad = ws->grad;
  centered_gradient(I1, I1x, I1y, nx, ny, par);
  memset(ws->p11, 0, size * sizeof(float));
  memset(ws->p12, 0, size * sizeof(float));
  memset(ws->p21, 0, size * sizeof(float));
  memset(ws->p22, 0, size * sizeof(float));
  for (int warp = 0; warp < prm->n_warps; warp++) {
    /* Warp I1 and its gradient by the current flow; outside the image: no data term. */
#pragma omp parallel for schedule(static) if (par)
    for (int i = 0; i < ny; i++)
      for (int j = 0; j < nx; j++) {
        size_t p = (size_t)i * nx + j;
        float x = j + u1[p], y = i + u2[p];
        float w = 0, wx = 0, wy = 0;
        if (x >= 0 && x <= nx - 1 && y >= 0 && y <= ny - 1) {
          bicubic_at b;
          bicubic_setup(&b, x, y, nx, ny);
          w = bicubic_eval(&b, I1);
          wx = bicubic_eval(&b, I1x);
          wy = bicubic_eval(&b, I1y);
        }
        I1w[p] = w, I1wx[p] = wx, I1wy[p] = wy;
        grad[p] = wx * wx + wy * wy;
        rho_c[p] = w - wx * u1[p] - wy * u2[p] - I0[p];
      }
    float error = INFINITY;
    for (int n = 0; error > prm->epsilon * prm->epsilon && n < prm->max_iter; n++) {
      double err = 0;
#pragma omp parallel for schedule(static) reduction(+ : err) if (par)
      for (int i = 0; i < ny; i++)
        err += primal_row(ws, u1, u2, nx, i, l_t, theta);
      error = (float)(err / size);
#pragma omp parallel for schedule(static) if (par)
      for (int i = 0; i < ny; i++) dual_row(ws, u1, u2, nx, ny, i, taut);
    }
  }
}

/* ---- pyramid ---- */

int avs_flow_tvl1(const float *i0, const float *i1, int nx, int ny, const avs_tvl1_params *prm, float *flow) {
  avs_tvl1_params def;
  if (!prm) avs_tvl1_defaults(&def), prm = &def;
  if (nx < 2 || ny < 2) return avs_seterr(AVS_EINVAL, "optical flow needs images of at least 2x2 (got %dx%d)", nx, ny);
  if ((int64_t)nx * ny > (int64_t)8192 * 8192) return avs_seterr(AVS_EINVAL, "image %dx%d is too large for optical flow", nx, ny);
  if (!(prm->tau > 0 && prm->lambda > 0 && prm->theta > 0 && prm->zoom > 0 && prm->zoom < 1 && prm->n_scales >= 1 &&
        prm->n_warps >= 1 && prm->max_iter >= 1 && prm->epsilon >= 0))
    return avs_seterr(AVS_EINVAL, "TV-L1 parameters out of range (tau, lambda, theta > 0; 0 < zoom < 1; scales, warps, iterations >= 1)");
  /* As IPOL: no level whose diagonal is under ~16 pixels. */
  int n_scales = prm->n_scales;
  float N = 1 + logf(hypotf((float)nx, (float)ny) / 16.0f) / logf(1 / prm->zoom);
  if (N < n_scales) n_scales = N < 1 ? 1 : (int)N;
  enum { MAX_SCALES = 32 };
  if (n_scales > MAX_SCALES) n_scales = MAX_SCALES;
  int nxs[MAX_SCALES], nys[MAX_SCALES];
  size_t offs[MAX_SCALES + 1];
  nxs[0] = nx, nys[0] = ny, offs[0] = 0;
  for (int s = 1; s < n_scales; s++) {
    nxs[s] = (int)(nxs[s - 1] * prm->zoom + 0.5f);
    nys[s] = (int)(nys[s - 1] * prm->zoom + 0.5f);
    if (nxs[s] < 2 || nys[s] < 2) {
      n_scales = s;
      break;
    }
  }
  for (int s = 0; s < n_scales; s++) offs[s + 1] = offs[s] + (size_t)nxs[s] * nys[s];
  const size_t size = (size_t)nx * ny, pyr = offs[n_scales];
  /* I0 and I1 pyramids, u1 and u2 pyramids, 11 level buffers and a blur scratch. */
  float *mem = malloc(sizeof(float) * (4 * pyr + 12 * size + nx));
  if (!mem) return avs_seterr(AVS_ENOMEM, "out of memory for the optical flow of %dx%d images", nx, ny);
  float *I0s = mem, *I1s = I0s + pyr, *u1s = I1s + pyr, *u2s = u1s + pyr, *w = u2s + pyr;
  level_ws ws = {w, w + size, w + 2 * size, w + 3 * size, w + 4 * size, w + 5 * size,
                 w + 6 * size, w + 7 * size, w + 8 * size, w + 9 * size, w + 10 * size, NULL};
  float *tmp = w + 11 * size, *zero = w + 12 * size;
  memset(zero, 0, sizeof(float) * nx);
  ws.zero = zero;
  const bool par = size >= PAR_MIN_PIXELS && !omp_in_parallel();

  float lo = INFINITY, hi = -INFINITY;
  if (prm->normalize)
    for (size_t i = 0; i < size; i++) {
      lo = fminf(lo, fminf(i0[i], i1[i]));
      hi = fmaxf(hi, fmaxf(i0[i], i1[i]));
    }
  float a = prm->normalize && hi > lo ? 255.0f / (hi - lo) : 1.0f, b = prm->normalize && hi > lo ? -lo * a : 0.0f;
  for (size_t i = 0; i < size; i++) {
    float v0 = i0[i] * a + b, v1 = i1[i] * a + b;
    I0s[i] = isfinite(v0) ? v0 : 0; /* NaN in, no NaN out */
    I1s[i] = isfinite(v1) ? v1 : 0;
  }
  gaussian(I0s, tmp, nx, ny, PRESMOOTH_SIGMA, par);
  gaussian(I1s, tmp, nx, ny, PRESMOOTH_SIGMA, par);
  const float zsigma = ZOOM_SIGMA_ZERO * sqrtf(1.0f / (prm->zoom * prm->zoom) - 1.0f);
  for (int s = 1; s < n_scales; s++) {
    int px = nxs[s - 1], py = nys[s - 1];
    float *blur = ws.i1x; /* free until the levels run */
    for (int k = 0; k < 2; k++) {
      float *src = (k ? I1s : I0s) + offs[s - 1], *dst = (k ? I1s : I0s) + offs[s];
      memcpy(blur, src, sizeof(float) * px * py);
      gaussian(blur, tmp, px, py, zsigma, par);
      resample(blur, px, py, dst, nxs[s], nys[s], prm->zoom, prm->zoom, par);
    }
  }
  int c = n_scales - 1;
  memset(u1s + offs[c], 0, sizeof(float) * nxs[c] * nys[c]);
  memset(u2s + offs[c], 0, sizeof(float) * nxs[c] * nys[c]);
  for (int s = n_scales - 1; s >= 0; s--) {
    tvl1_level(I0s + offs[s], I1s + offs[s], u1s + offs[s], u2s + offs[s], nxs[s], nys[s], prm, &ws);
    if (s) { /* upsample the flow to the next finer level and rescale it */
      float fx = (float)nxs[s - 1] / nxs[s], fy = (float)nys[s - 1] / nys[s];
      resample(u1s + offs[s], nxs[s], nys[s], u1s + offs[s - 1], nxs[s - 1], nys[s - 1], fx, fy, par);
      resample(u2s + offs[s], nxs[s], nys[s], u2s + offs[s - 1], nxs[s - 1], nys[s - 1], fx, fy, par);
      size_t n = (size_t)nxs[s - 1] * nys[s - 1];
      for (size_t i = 0; i < n; i++) u1s[offs[s - 1] + i] /= prm->zoom, u2s[offs[s - 1] + i] /= prm->zoom;
    }
  }
  for (size_t i = 0; i < size; i++) flow[2 * i] = u1s[i], flow[2 * i + 1] = u2s[i];
  free(mem);
  return 0;
}

void avs_flow_gray(const float *rgb, int64_t n_px, const avs_norm *norm, float *gray) {
  avs_norm raw = {1, {0, 0, 0}, {1, 1, 1}};
  if (!norm) norm = &raw;
  float a[3], b[3]; /* pixel = value * a + b */
  for (int c = 0; c < 3; c++) a[c] = norm->std[c] / norm->scale, b[c] = norm->mean[c] / norm->scale;
  for (int64_t i = 0; i < n_px; i++)
    gray[i] = 0.299f * (rgb[3 * i] * a[0] + b[0]) + 0.587f * (rgb[3 * i + 1] * a[1] + b[1]) +
              0.114f * (rgb[3 * i + 2] * a[2] + b[2]);
}

int avs_flow_tvl1_clip(const float *frames, int T, int h, int w, const avs_norm *norm, const avs_tvl1_params *p,
                       float *flow) {
  if (T < 2) return avs_seterr(AVS_EINVAL, "optical flow needs at least 2 frames (got %d)", T);
  if (w < 2 || h < 2) return avs_seterr(AVS_EINVAL, "optical flow needs frames of at least 2x2 (got %dx%d)", w, h);
  const size_t px = (size_t)w * h;
  float *gray = malloc(sizeof(float) * px * T);
  if (!gray) return avs_seterr(AVS_ENOMEM, "out of memory for %d gray %dx%d frames", T, w, h);
#pragma omp parallel for schedule(static)
  for (int t = 0; t < T; t++) avs_flow_gray(frames + t * px * 3, (int64_t)px, norm, gray + t * px);
  int first_rc = 0;
  char msg[256] = "";
  /* Pairs in parallel, each single-threaded inside (its row loops see omp_in_parallel);
   * a single pair runs alone so that its rows can use the threads. */
#pragma omp parallel for schedule(dynamic, 1) if (T > 2)
  for (int t = 0; t < T - 1; t++) {
    int rc = avs_flow_tvl1(gray + t * px, gray + (t + 1) * px, w, h, p, flow + t * px * 2);
    if (rc) {
#pragma omp critical(avs_flow_err)
      if (!first_rc) {
        first_rc = rc;
        snprintf(msg, sizeof msg, "%s", avs_errmsg());
      }
    }
  }
  free(gray);
  if (first_rc) return avs_seterr(first_rc, "%s", msg); /* the message was set on a worker thread */
  return 0;
}

void avs_flow_scale(float *flow, int64_t n, float bound) {
  float inv = 1.0f / bound;
  for (int64_t i = 0; i < n; i++) {
    float v = flow[i];
    v = v > bound ? bound : v < -bound ? -bound : v;
    flow[i] = v * inv;
  }
}
