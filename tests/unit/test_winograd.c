/* Winograd's 3 x 3 convolutions (av/ops/winograd.h) against oneDNN's direct kernels, through
 * avs_conv2d and avs_conv3d (kt x 3 x 3 kernels: C3D's 3 x 3 x 3, R(2+1)D's 1 x 3 x 3, frames
 * padded or not): the forward in eval mode and in training, the input gradient, the weight
 * gradient and the bias gradient, over geometries that exercise partial tiles, no padding,
 * padding that differs between the axes, dilation 2 and 3, channel counts that are not whole
 * blocks of 64 (each case large enough for the path: avs_wino_suits), several chunks of tiles,
 * and a weight changed between calls (the cached transform must follow it), each with the
 * products on the AVX-512 kernel and on dnnl_sgemm (where the CPU has AVX-512). Each case also
 * checks which path ran: the Winograd forward and gradients execute no oneDNN primitive. The
 * training forward takes the inference forward's path, or the direct one (bit-identical to it)
 * with avs_wino_set_training(false), as the architectures' parity tests run it (conv.c).
 *
 * Tolerance: the transforms scale values by up to 8 and 1/24, so the two paths agree to float
 * rounding of that order: 2e-5 of the largest output (or gradient) magnitude (measured: up to
 * 1e-5 at 512 input channels). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/dnnl_backend.h"
#include "av/ops/panel_gemm.h"
#include "av/ops/winograd.h"
#include "av/rng.h"
#include "tests/harness.h"

typedef struct {
  int N, H, W, C, O, pad_h, pad_w, dil;
  bool bias;
  int T, kt, pad_t; /* 3-D: frames, the kernel's taps and padding in time (T = 0: 2-D) */
} conv_case;

static const conv_case cases[] = {
    {20, 19, 21, 32, 16, 1, 1, 1, true, 0, 0, 0}, /* partial tiles on both axes, the fewest channels taken */
    {8, 14, 14, 64, 40, 2, 2, 2, true, 0, 0, 0},  /* ResNet's dilated layer4 (Sound of Pixels' frame net) */
    {32, 5, 6, 129, 97, 0, 0, 1, false, 0, 0, 0}, /* no padding, one tile per image, 3/4 full */
    {6, 12, 10, 70, 64, 1, 2, 1, true, 0, 0, 0},  /* padding differs between the axes */
    {3, 11, 13, 96, 130, 3, 3, 3, true, 0, 0, 0}, /* dilation 3 */
    {2, 64, 64, 64, 64, 1, 1, 1, true, 0, 0, 0},  /* 512 tiles: several chunks */
    {2, 14, 14, 64, 48, 1, 1, 1, true, 6, 3, 1},   /* C3D's 3 x 3 x 3, the first and last frames padded */
    {2, 16, 16, 48, 64, 1, 1, 1, false, 7, 3, 0},  /* no padding in time: 5 output frames of 7 */
    {2, 13, 15, 70, 96, 1, 1, 1, true, 4, 1, 0},   /* R(2+1)D's spatial 1 x 3 x 3 */
    {1, 12, 12, 64, 64, 1, 1, 1, true, 4, 3, 3},   /* more padding than taps: the input gradient direct */
};

static int out_frames(const conv_case *k) { return k->T ? k->T + 2 * k->pad_t - k->kt + 1 : 1; }

/* The Winograd geometry of a case's forward, or of its input gradient's convolution. */
static avs_wino_geo geo_of(const conv_case *k, bool adjoint) {
  int64_t OH = k->H + 2 * k->pad_h - 2 * k->dil, OW = k->W + 2 * k->pad_w - 2 * k->dil, OT = out_frames(k);
  if (adjoint)
    return (avs_wino_geo){.N = k->N, .H = OH, .W = OW, .C = k->O, .O = k->C, .OH = k->H, .OW = k->W,
                          .pad_h = 2 * k->dil - k->pad_h, .pad_w = 2 * k->dil - k->pad_w, .dil = k->dil,
                          .T = k->T ? OT : 0, .OT = k->T, .kt = k->kt, .pad_t = k->T ? k->kt - 1 - k->pad_t : 0};
  return (avs_wino_geo){.N = k->N, .H = k->H, .W = k->W, .C = k->C, .O = k->O, .OH = OH, .OW = OW,
                        .pad_h = k->pad_h, .pad_w = k->pad_w, .dil = k->dil, .T = k->T, .OT = k->T ? OT : 0,
                        .kt = k->kt, .pad_t = k->pad_t};
}

static float max_abs(const float *v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i]));
  return m;
}

static void fill(avs_tensor *t, avs_rng *r, float scale) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = scale * (2 * avs_rng_uniform(r) - 1);
}

static float *copy_of(const float *v, int64_t n) {
  float *c = malloc(sizeof(float) * n);
  memcpy(c, v, sizeof(float) * n);
  return c;
}

/* One forward (and in training the backward) on one path: copies of y and the gradients dx, dw,
 * db (out: y, dx, dw, db), and the oneDNN primitives executed. */
static bool run(const conv_case *k, bool wino, bool train, avs_tensor *x, avs_tensor *w, avs_tensor *b,
                const float *gy, float *out[4], long *executions) {
  avs_wino_set_enabled(wino);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  avs_tensor_zero_grad(x), avs_tensor_zero_grad(w);
  if (k->bias) avs_tensor_zero_grad(b);
  avs_conv p2 = {.pad = {k->pad_h, k->pad_w}, .dilation = {k->dil, k->dil}};
  avs_conv p3 = {.pad = {k->pad_t, k->pad_h, k->pad_w}, .dilation = {1, k->dil, k->dil}};
  avs_dnnl_stats before, after;
  avs_dnnl_get_stats(ctx, &before);
  avs_tensor *y = k->T ? avs_conv3d(ctx, x, w, k->bias ? b : NULL, p3) : avs_conv2d(ctx, x, w, k->bias ? b : NULL, p2);
  bool ok = y && (!train || !avs_backward_from(ctx, y, gy));
  avs_dnnl_get_stats(ctx, &after);
  if (ok) {
    out[0] = copy_of(y->data, y->numel);
    if (train) out[1] = copy_of(x->grad, x->numel), out[2] = copy_of(w->grad, w->numel);
    if (train && k->bias) out[3] = copy_of(b->grad, b->numel);
  }
  *executions = after.executions - before.executions;
  avs_ctx_free(&ctx);
  avs_wino_set_enabled(true);
  return ok;
}

static void check_case(const conv_case *k, avs_rng *r) {
  int OH = k->H + 2 * k->pad_h - 2 * k->dil, OW = k->W + 2 * k->pad_w - 2 * k->dil, kt = k->T ? k->kt : 1;
  avs_tensor *x = k->T ? avs_tensor_new(5, AVS_SHAPE(k->N, k->T, k->H, k->W, k->C))
                       : avs_tensor_new(4, AVS_SHAPE(k->N, k->H, k->W, k->C));
  avs_tensor *w = k->T ? avs_tensor_new(5, AVS_SHAPE(k->O, k->C, k->kt, 3, 3)) : avs_tensor_new(4, AVS_SHAPE(k->O, k->C, 3, 3));
  avs_tensor *b = avs_tensor_new(1, AVS_SHAPE(k->O));
  float w_scale = 1.0f / sqrtf(9.0f * kt * k->C);
  fill(x, r, 1.0f), fill(w, r, w_scale), fill(b, r, 0.5f);
  x->requires_grad = w->requires_grad = b->requires_grad = true;
  int64_t ny = (int64_t)k->N * out_frames(k) * OH * OW * k->O;
  float *gy = malloc(sizeof(float) * ny);
  for (int64_t i = 0; i < ny; i++) gy[i] = 2 * avs_rng_uniform(r) - 1;
  char what[128];
  snprintf(what, sizeof what, "N%d T%d %dx%d C%d O%d kt %d pad %d,%d,%d dil %d", k->N, k->T, k->H, k->W, k->C, k->O,
           kt, k->pad_t, k->pad_h, k->pad_w, k->dil);
  avs_wino_geo fwd = geo_of(k, false), adj = geo_of(k, true);
  tst_true(avs_wino_suits(&fwd), "%s: the case should take the Winograd path", what);
  for (int round = 0; round < 2; round++) {
    if (round) fill(w, r, w_scale), w->version++; /* the cached transform must follow */
    for (int train = 0; train < 2; train++) {
      float *out[2][4] = {{0}};
      long ex[2];
      bool ok = run(k, false, train, x, w, b, gy, out[0], &ex[0]) && run(k, true, train, x, w, b, gy, out[1], &ex[1]);
      float **y = (float *[]){out[0][0], out[1][0]}, **dx = (float *[]){out[0][1], out[1][1]};
      tst_true(ok, "%s: both paths ran (%s)", what, ok ? "yes" : avs_errmsg());
      if (!ok) continue;
      char name[200];
      snprintf(name, sizeof name, "%s %s round %d: forward", what, train ? "train" : "eval", round);
      if (!train) {
        tst_close(name, y[1], y[0], ny, 2e-5f * max_abs(y[0], ny), 0);
        tst_true(ex[1] == 0 && ex[0] > 0, "%s: oneDNN executions %ld (Winograd) and %ld (direct)", name, ex[1], ex[0]);
      } else {
        tst_close(name, y[1], y[0], ny, 2e-5f * max_abs(y[0], ny), 0);
        /* the switch the architectures' parity tests use: the training forward direct again */
        float *direct[4] = {0};
        long ex_direct;
        avs_wino_set_training(false);
        bool ran = run(k, true, train, x, w, b, gy, direct, &ex_direct);
        avs_wino_set_training(true);
        snprintf(name, sizeof name, "%s round %d: training forward with avs_wino_set_training(false)", what, round);
        if (tst_true(ran, "%s ran", name)) tst_close(name, direct[0], y[0], ny, 0, 0);
        for (int j = 0; j < 4; j++) free(direct[j]);
        /* the input gradient's convolution has O input channels: few of them keep it direct, and
         * so does padding it cannot mirror (more than the kernel reaches) */
        bool adjoint = adj.pad_h >= 0 && adj.pad_w >= 0 && adj.pad_t >= 0 && avs_wino_suits(&adj);
        tst_true(ex[0] > 0 && (adjoint ? ex[1] == 0 : ex[1] > 0),
                 "%s: oneDNN executions %ld (Winograd%s) and %ld (direct)", name, ex[1],
                 adjoint ? " forward and gradients" : " but the input gradient", ex[0]);
        snprintf(name, sizeof name, "%s round %d: input gradient", what, round);
        tst_close(name, dx[1], dx[0], x->numel, 2e-5f * max_abs(dx[0], x->numel), 0);
        snprintf(name, sizeof name, "%s round %d: weight gradient", what, round);
        tst_close(name, out[1][2], out[0][2], w->numel, 2e-5f * max_abs(out[0][2], w->numel), 0);
        snprintf(name, sizeof name, "%s round %d: bias gradient", what, round);
        if (k->bias) tst_close(name, out[1][3], out[0][3], b->numel, 2e-5f * max_abs(out[0][3], b->numel), 0);
      }
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) free(out[i][j]);
    }
  }
  free(gy);
  avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&b);
}

int main(void) {
  avs_rng r;
  avs_rng_seed(&r, 7);
  /* both ways of feeding the products: the AVX-512 kernel reads each tile's row where it lies in
   * the transformed frames, dnnl_sgemm takes the rows copied into a matrix (panel_gemm.h) */
  for (int kernel = 0; kernel < 2; kernel++) {
    avs_panel_gemm_set_avx512(kernel == 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i], &r);
  }
  avs_panel_gemm_set_avx512(true);
  /* Few channels or few tiles stay on the direct kernels, where Winograd costs more than it saves. */
#define GEO2(n_, h_, w_, c_, o_, pad_, dil_) \
  {.N = n_, .H = h_, .W = w_, .C = c_, .O = o_, .OH = h_, .OW = w_, .pad_h = pad_, .pad_w = pad_, .dil = dil_}
  avs_wino_geo few_channels = GEO2(8, 32, 32, 16, 16, 1, 1), few_tiles = GEO2(1, 7, 7, 512, 512, 1, 1);
  avs_wino_geo resnet = GEO2(1, 56, 56, 64, 64, 1, 1), quarter_full = GEO2(32, 4, 4, 128, 128, 2, 2);
  tst_true(!avs_wino_suits(&few_channels) && !avs_wino_suits(&few_tiles) && !avs_wino_suits(&quarter_full) &&
               avs_wino_suits(&resnet),
           "thresholds: 16 channels at 512 tiles direct, 512 at 4 tiles direct, 4 x 4 maps at dilation 2 direct, "
           "64 at 196 tiles Winograd");
  return tst_finish();
}
