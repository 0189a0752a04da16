/* TV-L1 optical flow on synthetic textures with known motion: integer shifts
 * (end-point error below 0.1 px in the interior), a small rotation and a
 * larger shift that needs the pyramid; degenerate inputs; the clip function
 * (pairs in parallel, same result as one pair at a time); the I3D scaling;
 * the colour-wheel visualisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/video/vtest.h"

#define W 112
#define H 112
#define MARGIN 16
#define BORDER 10 /* EPE is measured at least this far from the edges */

static float canvas[(H + 2 * MARGIN) * (W + 2 * MARGIN)];

/* Smooth random noise: uniform noise blurred twice with a 5-tap binomial, stretched to 0..255. */
static void make_canvas(uint64_t seed) {
  const int cw = W + 2 * MARGIN, ch = H + 2 * MARGIN, n = cw * ch;
  avs_rng rng;
  avs_rng_seed(&rng, seed);
  float *t = malloc(sizeof(float) * n);
  for (int i = 0; i < n; i++) canvas[i] = avs_rng_uniform(&rng);
  static const float k[5] = {1 / 16.f, 4 / 16.f, 6 / 16.f, 4 / 16.f, 1 / 16.f};
  for (int pass = 0; pass < 2; pass++) {
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        float s = 0;
        for (int d = -2; d <= 2; d++) s += k[d + 2] * canvas[y * cw + (x + d < 0 ? 0 : x + d >= cw ? cw - 1 : x + d)];
        t[y * cw + x] = s;
      }
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        float s = 0;
        for (int d = -2; d <= 2; d++) s += k[d + 2] * t[(y + d < 0 ? 0 : y + d >= ch ? ch - 1 : y + d) * cw + x];
        canvas[y * cw + x] = s;
      }
  }
  float lo = 1e9f, hi = -1e9f;
  for (int i = 0; i < n; i++) lo = fminf(lo, canvas[i]), hi = fmaxf(hi, canvas[i]);
  for (int i = 0; i < n; i++) canvas[i] = 255 * (canvas[i] - lo) / (hi - lo);
  free(t);
}

/* The W x H window whose top-left is (MARGIN + ox, MARGIN + oy). */
static void window(float *im, int ox, int oy) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) im[y * W + x] = canvas[(y + MARGIN + oy) * (W + 2 * MARGIN) + x + MARGIN + ox];
}

static double epe(const float *flow, const float *truth_u, const float *truth_v, double *max_err) {
  double s = 0;
  int n = 0;
  *max_err = 0;
  for (int y = BORDER; y < H - BORDER; y++)
    for (int x = BORDER; x < W - BORDER; x++) {
      int i = y * W + x;
      double e = hypot(flow[2 * i] - truth_u[i], flow[2 * i + 1] - truth_v[i]);
      s += e, n++;
      if (e > *max_err) *max_err = e;
    }
  return s / n;
}

static void check_shift(int dx, int dy, double tol) {
  static float i0[W * H], i1[W * H], flow[W * H * 2], tu[W * H], tv[W * H];
  window(i0, 0, 0);
  window(i1, -dx, -dy); /* I1(x + d) = I0(x): the flow is (dx, dy) */
  for (int i = 0; i < W * H; i++) tu[i] = (float)dx, tv[i] = (float)dy;
  double t0 = vt_now();
  int rc = avs_flow_tvl1(i0, i1, W, H, NULL, flow);
  double dt = vt_now() - t0, mx;
  double e = epe(flow, tu, tv, &mx);
  tst_true(rc == 0 && e < tol, "shift (%+d, %+d): EPE %.4f px (max %.3f) < %.2f  [%.0f ms]", dx, dy, e, mx, tol, dt * 1e3);
}

/* A sum of random plane waves, exact at any point: rotation without interpolation error. */
#define NW 24
static float wk[NW][4];
static float waves(float x, float y) {
  float s = 128;
  for (int k = 0; k < NW; k++) s += wk[k][0] * cosf(wk[k][1] * x + wk[k][2] * y + wk[k][3]);
  return s;
}

static void check_rotation(float degrees, double tol) {
  avs_rng rng;
  avs_rng_seed(&rng, 7);
  for (int k = 0; k < NW; k++) {
    float period = 6 + 18 * avs_rng_uniform(&rng), ang = 6.2831853f * avs_rng_uniform(&rng);
    wk[k][0] = 14 * (0.5f + avs_rng_uniform(&rng)) / 1.5f;
    wk[k][1] = 6.2831853f / period * cosf(ang);
    wk[k][2] = 6.2831853f / period * sinf(ang);
    wk[k][3] = 6.2831853f * avs_rng_uniform(&rng);
  }
  static float i0[W * H], i1[W * H], flow[W * H * 2], tu[W * H], tv[W * H];
  const float a = degrees * 3.14159265f / 180, c = cosf(a), s = sinf(a), cx = (W - 1) / 2.f, cy = (H - 1) / 2.f;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float px = x - cx, py = y - cy;
      i0[y * W + x] = waves(x, y);
      /* I1(p) = I0(R^-1 (p - c) + c), so the flow at p is R (p - c) + c - p. */
      i1[y * W + x] = waves(c * px + s * py + cx, -s * px + c * py + cy);
      tu[y * W + x] = c * px - s * py - px;
      tv[y * W + x] = s * px + c * py - py;
    }
  int rc = avs_flow_tvl1(i0, i1, W, H, NULL, flow);
  double mx, e = epe(flow, tu, tv, &mx);
  tst_true(rc == 0 && e < tol, "rotation %.1f deg (up to %.2f px): EPE %.4f px (max %.3f) < %.2f", degrees,
           hypotf(cx - BORDER, cy - BORDER) * 2 * sinf(a / 2), e, mx, tol);
}

static void check_clip_and_scale(void) {
  enum { T = 5 };
  float *frames = malloc(sizeof(float) * T * W * H * 3), *flow = malloc(sizeof(float) * (T - 1) * W * H * 2);
  float *pair = malloc(sizeof(float) * W * H * 2), *g0 = malloc(sizeof(float) * W * H), *g1 = malloc(sizeof(float) * W * H);
  avs_norm kin;
  avs_norm_preset("kinetics", &kin);
  /* Frames t: the texture moved by (t, -t/2) pixels, as gray RGB in the kinetics normalisation. */
  static float g[W * H];
  uint8_t *px = malloc(W * H * 3);
  for (int t = 0; t < T; t++) {
    window(g, -t, t / 2);
    for (int i = 0; i < W * H; i++) px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = (uint8_t)lrintf(g[i]);
    avs_norm_apply(&kin, px, W * H, frames + (size_t)t * W * H * 3);
  }
  double t0 = vt_now();
  int rc = avs_flow_tvl1_clip(frames, T, H, W, &kin, NULL, flow);
  double dt = vt_now() - t0;
  tst_true(rc == 0, "flow of a 5-frame clip: %.1f pairs/s (112x112, OpenMP over pairs)", (T - 1) / dt);
  /* Same as the pairs one by one from the gray frames. */
  float maxdiff = 0;
  for (int t = 0; t < T - 1; t++) {
    avs_flow_gray(frames + (size_t)t * W * H * 3, W * H, &kin, g0);
    avs_flow_gray(frames + (size_t)(t + 1) * W * H * 3, W * H, &kin, g1);
    avs_flow_tvl1(g0, g1, W, H, NULL, pair);
    for (int i = 0; i < W * H * 2; i++) maxdiff = fmaxf(maxdiff, fabsf(pair[i] - flow[(size_t)t * W * H * 2 + i]));
  }
  tst_true(maxdiff == 0, "clip flow equals pair-by-pair flow (max diff %g)", maxdiff);
  float tu[W * H], tv[W * H];
  double mx, worst = 0;
  for (int t = 0; t < T - 1; t++) {
    int du = 1, dv = -((t + 1) / 2 - t / 2);
    for (int i = 0; i < W * H; i++) tu[i] = (float)du, tv[i] = (float)dv;
    worst = fmax(worst, epe(flow + (size_t)t * W * H * 2, tu, tv, &mx));
  }
  tst_true(worst < 0.1, "clip flow EPE (rounded 8-bit frames) worst pair %.4f px < 0.1", worst);
  /* I3D: clip to +-20, scale to [-1, 1]. */
  float f[6] = {-35, -20, -5, 0, 10, 40};
  avs_flow_scale(f, 6, 20);
  tst_true(f[0] == -1 && f[1] == -1 && f[2] == -0.25f && f[3] == 0 && f[4] == 0.5f && f[5] == 1,
           "flow scaled for I3D: clipped to +-20 and divided by 20");
  free(frames), free(flow), free(pair), free(g0), free(g1), free(px);
}

static void check_degenerate(void) {
  float a[16 * 12], b[16 * 12], flow[16 * 12 * 2];
  for (int i = 0; i < 16 * 12; i++) a[i] = b[i] = 77;
  int rc = avs_flow_tvl1(a, b, 16, 12, NULL, flow);
  bool zero = true;
  for (int i = 0; i < 16 * 12 * 2; i++) zero &= flow[i] == 0;
  tst_true(rc == 0 && zero, "flat images give zero flow");
  a[5] = NAN, b[7] = INFINITY;
  rc = avs_flow_tvl1(a, b, 16, 12, NULL, flow);
  bool finite = true;
  for (int i = 0; i < 16 * 12 * 2; i++) finite &= isfinite(flow[i]);
  tst_true(rc == 0 && finite, "NaN and inf pixels give finite flow");
  rc = avs_flow_tvl1(a, b, 2, 2, NULL, flow);
  tst_true(rc == 0, "2x2 images work");
  rc = avs_flow_tvl1(a, b, 1, 5, NULL, flow);
  tst_true(rc == AVS_EINVAL, "1x5 is refused: %s", avs_errmsg());
  avs_tvl1_params p;
  avs_tvl1_defaults(&p);
  tst_true(p.tau == 0.25f && p.lambda == 0.15f && p.theta == 0.3f && p.n_scales == 5 && p.zoom == 0.5f &&
               p.n_warps == 5 && p.epsilon == 0.01f,
           "defaults are IPOL's (tau 0.25, lambda 0.15, theta 0.3, 5 scales, zoom 0.5, 5 warps, epsilon 0.01)");
  p.zoom = 1.5f;
  tst_true(avs_flow_tvl1(a, b, 16, 12, &p, flow) == AVS_EINVAL, "zoom 1.5 is refused: %s", avs_errmsg());
  tst_true(avs_flow_tvl1_clip(a, 1, 4, 4, NULL, NULL, flow) == AVS_EINVAL, "a clip of 1 frame is refused");
}

static void check_vis(void) {
  /* Right, up (v < 0), left, down and zero, at full magnitude. */
  float f[10] = {1, 0, 0, -1, -1, 0, 0, 1, 0, 0};
  uint8_t rgb[15];
  float m = avs_flow_vis(f, 5, 1, 0, rgb);
  tst_true(m == 1, "vis max magnitude %g", m);
  tst_true(rgb[0] == 255 && rgb[1] < 20 && rgb[2] < 20, "rightwards is red (%d %d %d)", rgb[0], rgb[1], rgb[2]);
  tst_true(rgb[6] < 20 && rgb[7] > 200 && rgb[8] > 200, "leftwards is cyan (%d %d %d)", rgb[6], rgb[7], rgb[8]);
  tst_true(rgb[12] == 255 && rgb[13] == 255 && rgb[14] == 255, "zero flow is white");
  tst_true(!(rgb[3] == rgb[9] && rgb[4] == rgb[10] && rgb[5] == rgb[11]), "up and down differ");
  /* A PNG of the colour wheel for the eye. */
  enum { S = 129 };
  static float wf[S * S * 2];
  static uint8_t im[S * S * 3];
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++) wf[2 * (y * S + x)] = (x - 64) / 64.f, wf[2 * (y * S + x) + 1] = (y - 64) / 64.f;
  avs_flow_vis(wf, S, S, 1, im);
  tst_true(avs_png_write(vt_path("wheel.png"), im, S, S) == 0, "colour wheel written to %s", vt_path("wheel.png"));
}

int main(void) {
  vt_dir("flow");
  make_canvas(1234);
  const int shifts[][2] = {{1, 0}, {0, 1}, {-1, 2}, {2, -2}, {-3, -1}, {0, 0}};
  for (size_t i = 0; i < sizeof shifts / sizeof *shifts; i++) check_shift(shifts[i][0], shifts[i][1], 0.1);
  check_shift(6, -5, 0.1); /* beyond one pixel per level: the pyramid */
  check_rotation(2.0f, 0.05);
  check_rotation(5.0f, 0.1);
  check_clip_and_scale();
  check_degenerate();
  check_vis();
  return tst_finish();
}
