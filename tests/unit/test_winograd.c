/* Winograd's 3 x 3 convolutions (av/ops/winograd.h) against oneDNN's direct kernels, through
 * avs_conv2d: the forward in eval mode and in training, and the input gradient (the other
 * gradients are oneDNN's either way), over geometries that exercise partial tiles, no padding,
 * padding that differs between the axes, dilation 2 and 3, channel counts that are not whole
 * blocks of 64 (each case large enough for the path: avs_wino_suits), several chunks of tiles,
 * and a weight changed between calls (the cached transform must follow it). Each case also checks which path ran: the Winograd forward and
 * input gradient execute no oneDNN primitive. In training the forward is the direct one on
 * both paths (bit-identical), as conv.c decides.
 *
 * Tolerance: the transforms scale values by up to 8 and 1/24, so the two paths agree to float
 * rounding of that order: 2e-5 of the largest output magnitude (measured: up to 1e-5 at 512
 * input channels). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/dnnl_backend.h"
#include "av/ops/winograd.h"
#include "av/rng.h"
#include "tests/harness.h"

typedef struct {
  int N, H, W, C, O, pad_h, pad_w, dil;
  bool bias;
} conv_case;

static const conv_case cases[] = {
    {20, 19, 21, 32, 16, 1, 1, 1, true}, /* partial tiles on both axes, the fewest channels taken */
    {8, 14, 14, 64, 40, 2, 2, 2, true},  /* ResNet's dilated layer4 (Sound of Pixels' frame net) */
    {32, 5, 6, 129, 97, 0, 0, 1, false}, /* no padding, one tile per image, 3/4 full */
    {6, 12, 10, 70, 64, 1, 2, 1, true},  /* padding differs between the axes */
    {3, 11, 13, 96, 130, 3, 3, 3, true}, /* dilation 3 */
    {2, 64, 64, 64, 64, 1, 1, 1, true},  /* 512 tiles: several chunks */
};

/* The Winograd geometry of a case's forward, or of its input gradient's convolution. */
static avs_wino_geo geo_of(const conv_case *k, bool adjoint) {
  int64_t OH = k->H + 2 * k->pad_h - 2 * k->dil, OW = k->W + 2 * k->pad_w - 2 * k->dil;
  if (adjoint)
    return (avs_wino_geo){k->N, OH, OW, k->O, k->C, k->H, k->W, 2 * k->dil - k->pad_h, 2 * k->dil - k->pad_w, k->dil};
  return (avs_wino_geo){k->N, k->H, k->W, k->C, k->O, OH, OW, k->pad_h, k->pad_w, k->dil};
}

static float max_abs(const float *v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i]));
  return m;
}

static void fill(avs_tensor *t, avs_rng *r, float scale) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = scale * (2 * avs_rng_uniform(r) - 1);
}

/* One forward (and in training the backward) on one path: copies of y and dx, and the oneDNN
 * primitives executed. */
static bool run(const conv_case *k, bool wino, bool train, avs_tensor *x, avs_tensor *w, avs_tensor *b,
                const float *gy, float **y_out, float **dx_out, long *executions) {
  avs_wino_set_enabled(wino);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  avs_tensor_zero_grad(x);
  avs_conv p = {.pad = {k->pad_h, k->pad_w}, .dilation = {k->dil, k->dil}};
  avs_dnnl_stats before, after;
  avs_dnnl_get_stats(ctx, &before);
  avs_tensor *y = avs_conv2d(ctx, x, w, k->bias ? b : NULL, p);
  bool ok = y && (!train || !avs_backward_from(ctx, y, gy));
  avs_dnnl_get_stats(ctx, &after);
  if (ok) {
    *y_out = malloc(sizeof(float) * y->numel);
    memcpy(*y_out, y->data, sizeof(float) * y->numel);
    if (train) {
      *dx_out = malloc(sizeof(float) * x->numel);
      memcpy(*dx_out, x->grad, sizeof(float) * x->numel);
    }
  }
  *executions = after.executions - before.executions;
  avs_ctx_free(&ctx);
  avs_wino_set_enabled(true);
  return ok;
}

static void check_case(const conv_case *k, avs_rng *r) {
  int OH = k->H + 2 * k->pad_h - 2 * k->dil, OW = k->W + 2 * k->pad_w - 2 * k->dil;
  avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(k->N, k->H, k->W, k->C));
  avs_tensor *w = avs_tensor_new(4, AVS_SHAPE(k->O, k->C, 3, 3)), *b = avs_tensor_new(1, AVS_SHAPE(k->O));
  fill(x, r, 1.0f), fill(w, r, 1.0f / sqrtf(9.0f * k->C)), fill(b, r, 0.5f);
  x->requires_grad = true;
  int64_t ny = (int64_t)k->N * OH * OW * k->O;
  float *gy = malloc(sizeof(float) * ny);
  for (int64_t i = 0; i < ny; i++) gy[i] = 2 * avs_rng_uniform(r) - 1;
  char what[128];
  snprintf(what, sizeof what, "N%d %dx%d C%d O%d pad %d,%d dil %d", k->N, k->H, k->W, k->C, k->O, k->pad_h, k->pad_w,
           k->dil);
  avs_wino_geo fwd = geo_of(k, false), adj = geo_of(k, true);
  tst_true(avs_wino_suits(&fwd), "%s: the case should take the Winograd path", what);
  for (int round = 0; round < 2; round++) {
    if (round) fill(w, r, 1.0f / sqrtf(9.0f * k->C)), w->version++; /* the cached transform must follow */
    for (int train = 0; train < 2; train++) {
      float *y[2] = {0}, *dx[2] = {0};
      long ex[2];
      bool ok = run(k, false, train, x, w, b, gy, &y[0], &dx[0], &ex[0]) &&
                run(k, true, train, x, w, b, gy, &y[1], &dx[1], &ex[1]);
      tst_true(ok, "%s: both paths ran (%s)", what, ok ? "yes" : avs_errmsg());
      if (!ok) continue;
      char name[200];
      snprintf(name, sizeof name, "%s %s round %d: forward", what, train ? "train" : "eval", round);
      if (!train) {
        tst_close(name, y[1], y[0], ny, 2e-5f * max_abs(y[0], ny), 0);
        tst_true(ex[1] == 0 && ex[0] > 0, "%s: oneDNN executions %ld (Winograd) and %ld (direct)", name, ex[1], ex[0]);
      } else {
        /* training's forward is the direct one on both paths (conv.c says why) */
        tst_close(name, y[1], y[0], ny, 0, 0);
        /* the input gradient's convolution has O input channels: few of them keep it direct */
        bool adjoint = avs_wino_suits(&adj);
        tst_true(adjoint ? ex[1] < ex[0] : ex[1] == ex[0], "%s: oneDNN executions %ld (Winograd%s) and %ld (direct)",
                 name, ex[1], adjoint ? " input gradient" : ", input gradient direct", ex[0]);
        snprintf(name, sizeof name, "%s round %d: input gradient", what, round);
        tst_close(name, dx[1], dx[0], x->numel, 2e-5f * max_abs(dx[0], x->numel), 0);
      }
      for (int i = 0; i < 2; i++) free(y[i]), free(dx[i]);
    }
  }
  free(gy);
  avs_tensor_free(&x), avs_tensor_free(&w), avs_tensor_free(&b);
}

int main(void) {
  avs_rng r;
  avs_rng_seed(&r, 7);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i], &r);
  /* Few channels or few tiles stay on the direct kernels, where Winograd costs more than it saves. */
  avs_wino_geo few_channels = {8, 32, 32, 16, 16, 32, 32, 1, 1, 1}, few_tiles = {1, 7, 7, 512, 512, 7, 7, 1, 1, 1};
  avs_wino_geo resnet = {1, 56, 56, 64, 64, 56, 56, 1, 1, 1}, quarter_full = {32, 4, 4, 128, 128, 4, 4, 2, 2, 2};
  tst_true(!avs_wino_suits(&few_channels) && !avs_wino_suits(&few_tiles) && !avs_wino_suits(&quarter_full) &&
               avs_wino_suits(&resnet),
           "thresholds: 16 channels at 512 tiles direct, 512 at 4 tiles direct, 4 x 4 maps at dilation 2 direct, "
           "64 at 196 tiles Winograd");
  return tst_finish();
}
