/* C3D's eight conv layers, forward, batch 1, against PyTorch 1.13.
 *
 * Timed: "c3d_convs" is the trunk conv1..conv5b as C3D runs it on a
 * 3x16x112x112 clip (channels-last 1x16x112x112x3 here): each layer
 * avs_conv3d (3x3x3, pad 1, with bias) then avs_relu, and max pools
 * pool1 (1x2x2) and pool2..pool4 (2x2x2) between them; no pool5, no fc.
 * The input tensor, weights and oneDNN primitives exist before timing; the
 * context's arena is reset before every run. PyTorch runs the same trunk
 * under no_grad (its default layout: the goal's reference; channels_last_3d
 * is printed beside it). With -v, each layer's conv3d+ReLU alone on its own
 * input, both sides, with GFLOP/s, and avs_conv3d alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "bench_common.h"

#define GOAL 0.5
#define BF16_MS 75.0 /* issue 14: bf16 trunk at most this on the 2-core Zen 5 */

typedef struct {
  const char *name;
  int cin, cout;
  int pool[3]; /* max pool after the layer, {0} = none */
} layer_def;

static const layer_def C3D[8] = {
    {"conv1", 3, 64, {1, 2, 2}},      {"conv2", 64, 128, {2, 2, 2}},   {"conv3a", 128, 256, {0}},
    {"conv3b", 256, 256, {2, 2, 2}},  {"conv4a", 256, 512, {0}},       {"conv4b", 512, 512, {2, 2, 2}},
    {"conv5a", 512, 512, {0}},        {"conv5b", 512, 512, {0}},
};

static int frames = 16, size = 112;

typedef struct {
  avs_ctx *ctx;
  avs_tensor *w[8], *b[8];
  float *x;                 /* trunk input (1,T,H,W,3) */
  int64_t xshape[5];
  float *lin[8];            /* each layer's input, for the per-layer timing */
  int64_t lshape[8][5];
  float *pin[8];            /* each pool's input (NULL: no pool after the layer) */
  int64_t pshape[8][5];
  int layer;                /* the layer timed by run_layer */
  bool relu;                /* run_layer: conv3d+ReLU (true) or conv3d alone */
} conv_bench;

static const avs_conv CONV = {.stride = {1, 1, 1}, .pad = {1, 1, 1}};

static avs_tensor *pool_after(avs_ctx *ctx, avs_tensor *y, const layer_def *l) {
  if (!l->pool[0]) return y;
  avs_pool p = {.kernel = {l->pool[0], l->pool[1], l->pool[2]}};
  return avs_max_pool3d(ctx, y, p);
}

static int run_trunk(void *arg) {
  conv_bench *cb = arg;
  avs_ctx_reset(cb->ctx);
  avs_tensor *y = avs_ctx_wrap(cb->ctx, cb->x, 5, cb->xshape);
  for (int i = 0; i < 8; i++) {
    y = avs_relu(cb->ctx, avs_conv3d(cb->ctx, y, cb->w[i], cb->b[i], CONV));
    y = pool_after(cb->ctx, y, &C3D[i]);
  }
  return y ? 0 : -1;
}

static int run_layer(void *arg) {
  conv_bench *cb = arg;
  int i = cb->layer;
  avs_ctx_reset(cb->ctx);
  avs_tensor *x = avs_ctx_wrap(cb->ctx, cb->lin[i], 5, cb->lshape[i]);
  avs_tensor *y = avs_conv3d(cb->ctx, x, cb->w[i], cb->b[i], CONV);
  if (cb->relu) y = avs_relu(cb->ctx, y);
  return y ? 0 : -1;
}

static int run_pool(void *arg) {
  conv_bench *cb = arg;
  int i = cb->layer;
  avs_ctx_reset(cb->ctx);
  avs_tensor *x = avs_ctx_wrap(cb->ctx, cb->pin[i], 5, cb->pshape[i]);
  return pool_after(cb->ctx, x, &C3D[i]) ? 0 : -1;
}

static int extra_opt(int argc, char **argv, int i) {
  if (i + 1 < argc && !strcmp(argv[i], "--frames")) return (frames = atoi(argv[i + 1])) > 0 ? 2 : 0;
  if (i + 1 < argc && !strcmp(argv[i], "--size")) return (size = atoi(argv[i + 1])) > 0 ? 2 : 0;
  return 0;
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 7, .warmup = 2};
  bench_init(argc, argv, &o, "C3D's eight conv3d+ReLU layers with pool1-4, forward, batch 1, vs PyTorch.",
             "      --frames T    clip length (default 16)\n"
             "      --size S      frame size (default 112)\n",
             extra_opt);
  bench_print_env("bench_conv: C3D conv1..conv5b (+bias+ReLU, pool1-4), 1x3xTxSxS, forward");
  printf("input 1x3x%dx%dx%d (channels-last 1x%dx%dx%dx3), %d warm-up + median of %d\n", frames, size,
         size, frames, size, size, o.warmup, o.reps);

  /* PyTorch first, so the two never share the cores. */
  bench_kv kv[64];
  char args[128];
  snprintf(args, sizeof args, "conv --frames %d --size %d%s", frames, size, o.verbose ? " --layers" : "");
  int nkv = bench_torch(&o, args, kv, 64);

  conv_bench cb = {0};
  cb.ctx = avs_ctx_new(&(avs_ctx_params){.train = false, .arena_bytes = (size_t)256 << 20});
  if (!cb.ctx) bench_die("context");
  avs_rng rng;
  avs_rng_seed(&rng, 1);
  for (int i = 0; i < 8; i++) {
    cb.w[i] = avs_tensor_new(5, AVS_SHAPE(C3D[i].cout, C3D[i].cin, 3, 3, 3));
    cb.b[i] = avs_tensor_new(1, AVS_SHAPE(C3D[i].cout));
    if (!cb.w[i] || !cb.b[i]) bench_die("weights");
    float bound = 1.0f / sqrtf((float)(C3D[i].cin * 27));
    for (int64_t j = 0; j < cb.w[i]->numel; j++) cb.w[i]->data[j] = bound * (2 * avs_rng_uniform(&rng) - 1);
    for (int64_t j = 0; j < cb.b[i]->numel; j++) cb.b[i]->data[j] = bound * (2 * avs_rng_uniform(&rng) - 1);
    cb.w[i]->requires_grad = cb.b[i]->requires_grad = false;
  }
  int64_t xs[5] = {1, frames, size, size, 3};
  memcpy(cb.xshape, xs, sizeof xs);
  cb.x = malloc(sizeof(float) * avs_shape_numel(5, xs));
  if (!cb.x) bench_die("input");
  for (int64_t j = 0; j < avs_shape_numel(5, xs); j++) cb.x[j] = avs_rng_normal(&rng);

  double avs_ms = bench_time(&o, run_trunk, &cb);
  if (avs_ms < 0) bench_die("trunk forward");
  double t_ms = bench_kv_get(kv, nkv, "trunk"), t_cl = bench_kv_get(kv, nkv, "trunk_cl");
  if (t_cl > 0) printf("torch channels_last_3d trunk: %.1f ms (ratio to it %.2f)\n", t_cl, avs_ms / t_cl);
  bench_report("c3d_convs", avs_ms, t_ms, GOAL);
  double bf16_ms = bench_time_bf16(&o, "c3d_convs", cb.ctx, run_trunk, &cb);
  if (bf16_ms != BENCH_SKIPPED) bench_report_bf16("c3d_convs", bf16_ms, t_ms, BF16_MS);

  if (o.verbose) {
    /* each layer's input: the trunk's activations, copied out of the arena */
    avs_ctx_reset(cb.ctx);
    avs_tensor *y = avs_ctx_wrap(cb.ctx, cb.x, 5, cb.xshape);
    for (int i = 0; i < 8 && y; i++) {
      memcpy(cb.lshape[i], y->shape, sizeof cb.lshape[i]);
      cb.lin[i] = malloc(sizeof(float) * y->numel);
      if (!cb.lin[i]) bench_die("layer input");
      memcpy(cb.lin[i], y->data, sizeof(float) * y->numel);
      y = avs_relu(cb.ctx, avs_conv3d(cb.ctx, y, cb.w[i], cb.b[i], CONV));
      if (y && C3D[i].pool[0]) {
        memcpy(cb.pshape[i], y->shape, sizeof cb.pshape[i]);
        cb.pin[i] = malloc(sizeof(float) * y->numel);
        if (!cb.pin[i]) bench_die("pool input");
        memcpy(cb.pin[i], y->data, sizeof(float) * y->numel);
      }
      y = pool_after(cb.ctx, y, &C3D[i]);
    }
    if (!y) bench_die("trunk forward");
    printf("%-8s %-18s %10s %8s %10s %10s %10s %8s\n", "layer", "input (NTHWC)", "avs ms", "GFLOP/s", "conv only",
           "torch ms", "torch_cl", "ratio");
    double sum = 0, tsum = 0, csum = 0, psum = 0;
    for (int i = 0; i < 8; i++) {
      cb.layer = i;
      cb.relu = false;
      double conv_ms = bench_time(&o, run_layer, &cb);
      cb.relu = true;
      double ms = bench_time(&o, run_layer, &cb);
      if (ms < 0 || conv_ms < 0) bench_die(C3D[i].name);
      const int64_t *s = cb.lshape[i];
      double flops = 2.0 * s[1] * s[2] * s[3] * C3D[i].cin * 27.0 * C3D[i].cout;
      char key[48], shape[48];
      snprintf(key, sizeof key, "%s_cl", C3D[i].name);
      snprintf(shape, sizeof shape, "%ldx%ldx%ldx%ld", (long)s[1], (long)s[2], (long)s[3], (long)s[4]);
      double tm = bench_kv_get(kv, nkv, C3D[i].name), tc = bench_kv_get(kv, nkv, key);
      char tbuf[16] = "n/a", cbuf[16] = "n/a", rbuf[16] = "n/a";
      if (tm > 0) snprintf(tbuf, sizeof tbuf, "%.2f", tm), snprintf(rbuf, sizeof rbuf, "%.2f", ms / tm);
      if (tc > 0) snprintf(cbuf, sizeof cbuf, "%.2f", tc);
      printf("%-8s %-18s %10.2f %8.0f %10.2f %10s %10s %8s\n", C3D[i].name, shape, ms, flops / ms * 1e-6, conv_ms,
             tbuf, cbuf, rbuf);
      csum += conv_ms;
      sum += ms;
      tsum += tm > 0 ? tm : 0;
      if (cb.pin[i]) {
        double pms = bench_time(&o, run_pool, &cb);
        if (pms < 0) bench_die("pool");
        printf("%-8s %-18s %10.2f\n", i == 0 ? "pool1" : i == 1 ? "pool2" : i == 3 ? "pool3" : "pool4", "", pms);
        psum += pms;
      }
    }
    printf("%-8s %-18s %10.2f %8s %10.2f %10.2f   (+ pools %.2f)\n", "sum", "", sum, "", csum, tsum, psum);
    printf("(avs ms, GFLOP/s: avs_conv3d+avs_relu; conv only: avs_conv3d alone; torch: conv3d+relu in\n"
           " its default layout, torch_cl: channels_last_3d; ratio: avs ms / torch ms)\n");
  }

  for (int i = 0; i < 8; i++) {
    avs_tensor_free(&cb.w[i]);
    avs_tensor_free(&cb.b[i]);
    free(cb.lin[i]);
    free(cb.pin[i]);
  }
  free(cb.x);
  avs_ctx_free(&cb.ctx);
  return 0;
}
