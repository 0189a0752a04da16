/* Localizers (fusion/loc_models.h), against PyTorch 1.13 in the same run:
 *
 * 1. The eval-mode forward, avs_loc_model_forward (image branch, audio branch
 *    and the test-time map), of every localization architecture in the
 *    registry (lvs, ezvsl, senocak) at its default size (224x224 images, 3 s
 *    at 11025 Hz: a 257x137 spectrogram) with random weights (avs_model_init),
 *    and of the shipped model (data/models/loc.safetensors, found through
 *    avs_data_path) at its own geometry when it exists; batches 1 and 8, in
 *    ms per frame. The context's arena is reset before every run; weights,
 *    inputs and oneDNN primitives exist before timing. PyTorch
 *    (bench/torch_loc.py, popen'd first so the two never share the cores) runs
 *    the same architectures (tests/fusion/gen_loc.py's LVS and EZ-VSL, and a
 *    ResNet-form Senocak) at random weights under no_grad, eval mode, default
 *    layout (the goal's reference; channels_last beside it with -v).
 *    Goal: <= 0.5x PyTorch's time.
 *
 * 2. The whole test-time path, avs_loc_heatmaps: 8 frames of 224x224 RGB and
 *    their audio windows -> frame resize and normalisation, spectrograms,
 *    forward, map resize and min-max normalisation, with the shipped model
 *    (else the default ezvsl). Goal: >= 25 frames/s.
 *
 * --profile adds each forward's per-layer table (nn/trace.h: a row's time includes the untraced
 * ops just before it), each row's best over the timed runs, in ms per frame and GFLOP/s: how
 * the batch-1 forwards' slow 256- and 512-channel layers showed (docs/BENCH.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "av/datadir.h"
#include "bench_common.h"
#include "fusion/loc_models.h"
#include "fusion/localization.h"
#include "nn/model.h"
#include "nn/trace.h"
#include "video/image.h"

#define GOAL 0.5
#define GOAL_FPS 25.0
#define BATCH_E2E 8
#define MAX_CASES 16

static const int batches[] = {1, 8};
#define N_BATCHES ((int)(sizeof batches / sizeof batches[0]))

typedef struct {
  char key[40];   /* "<arch>_<default|shipped>_b<N>" */
  avs_model *m;   /* borrowed */
  avs_loc_geometry g;
  int batch;
} fwd_case;

typedef struct {
  avs_ctx *ctx;
  const avs_model *m;
  float *images, *spec;
  int64_t ishape[4], sshape[4];
} fwd_arg;

static int run_forward(void *p) {
  fwd_arg *a = p;
  avs_ctx_reset(a->ctx);
  avs_tensor *x = avs_ctx_wrap(a->ctx, a->images, 4, a->ishape);
  avs_tensor *s = avs_ctx_wrap(a->ctx, a->spec, 4, a->sshape);
  return avs_loc_model_forward(a->ctx, a->m, x, s) ? 0 : -1;
}

typedef struct {
  avs_ctx *ctx;
  const avs_model *m;
  int n;
  const avs_image *frames[BATCH_E2E];
  const float *windows[BATCH_E2E];
  float *heat[BATCH_E2E];
} e2e_arg;

static int run_heatmaps(void *p) {
  e2e_arg *a = p;
  avs_ctx_reset(a->ctx);
  return avs_loc_heatmaps(a->ctx, a->m, a->n, a->frames, a->windows, a->heat);
}

static bool profile;

static int extra_opt(int argc, char **argv, int i) {
  (void)argc;
  if (strcmp(argv[i], "--profile")) return 0;
  profile = true;
  return 1;
}

/* The forward's layers, each row's best over `runs` traced passes, per frame. */
static void print_profile(fwd_arg *a, const char *key, int batch, int runs) {
  avs_layer_trace best = {0};
  for (int run = 0; run < runs; run++) {
    avs_layer_trace t = {0};
    avs_layer_trace_start(a->ctx, &t);
    int rc = run_forward(a);
    avs_layer_trace_stop(a->ctx);
    if (rc || t.failed || (run && t.n != best.n)) {
      avs_layer_trace_free(&t);
      printf("%s: no profile (%s)\n", key, rc ? avs_errmsg() : "the trace failed");
      avs_layer_trace_free(&best);
      return;
    }
    if (!run) {
      best = t;
      continue;
    }
    for (int i = 0; i < t.n; i++)
      if (t.rows[i].ms < best.rows[i].ms) best.rows[i].ms = t.rows[i].ms;
    avs_layer_trace_free(&t);
  }
  printf("%s per layer (best of %d, ms per frame):\n", key, runs);
  double total = 0;
  for (int i = 0; i < best.n; i++) {
    const avs_layer_row *r = &best.rows[i];
    char shape[64] = "";
    for (int d = 1, n = 0; d < r->ndim && n < (int)sizeof shape; d++)
      n += snprintf(shape + n, sizeof shape - (size_t)n, d > 1 ? "x%lld" : "%lld", (long long)r->shape[d]);
    printf("  %-30s %-9s %-16s %8.3f %7.0f GFLOP/s\n", r->name, r->kind, shape, r->ms / batch,
           r->ms > 0 ? 2e-6 * (double)r->macs / r->ms : 0.0);
    total += r->ms;
  }
  printf("  %-57s %8.3f\n", "total", total / batch);
  avs_layer_trace_free(&best);
}

static float *random_floats(int64_t n, avs_rng *rng, float scale) {
  float *x = malloc(sizeof(float) * (size_t)n);
  if (!x) bench_die("input");
  for (int64_t i = 0; i < n; i++) x[i] = scale * avs_rng_normal(rng);
  return x;
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 5, .warmup = 2};
  bench_init(argc, argv, &o,
             "Localizers' eval-mode forward (lvs, ezvsl, senocak; default size and the shipped model) at batch 1 "
             "and 8 vs PyTorch, and avs_loc_heatmaps' frame rate.",
             "      --profile     each forward's per-layer table (ms per frame, GFLOP/s)\n", extra_opt);
  bench_print_env("bench_loc: localizers, eval-mode forward per frame, and the heatmap path");
  printf("%d warm-up + median of %d; forward times are ms per frame (the batch's time / N)\n", o.warmup, o.reps);

  /* the models: every localization arch at its default, then the shipped one */
  avs_model *models[8] = {0};
  const char *tags[8];
  int n_models = 0;
  for (int i = 0; i < avs_arch_count() && n_models < 7; i++) {
    const avs_arch *arch = avs_arch_at(i);
    if (arch->kind != AVS_KIND_LOCALIZATION) continue;
    if (avs_model_new(arch->name, NULL, &models[n_models]) || avs_model_init(models[n_models], 1))
      bench_die(arch->name);
    tags[n_models++] = "default";
  }
  char *shipped = NULL;
  int have_shipped = avs_data_path("models/loc.safetensors", &shipped) == AVS_OK;
  avs_model *ship = NULL;
  if (have_shipped) {
    if (avs_loc_model_load(shipped, NULL, &ship)) bench_die(shipped);
    models[n_models] = ship;
    tags[n_models++] = "shipped";
  }
  for (int i = 0; i < n_models; i++) {
    const avs_loc_cfg *c = models[i]->cfg;
    avs_loc_geometry g;
    avs_loc_model_geometry(models[i], &g);
    printf("%s %s: width %d, audio_width %d, dim %d, image %dx%d, audio %d samples at %d Hz -> spectrogram "
           "%dx%d%s%s\n",
           models[i]->arch->name, tags[i], c->width, c->audio_width, c->dim, g.width, g.height, g.samples, g.rate,
           g.bins, g.time, i == n_models - 1 && ship ? ", from " : "", i == n_models - 1 && ship ? shipped : "");
  }
  if (!have_shipped) printf("no shipped data/models/loc.safetensors: default sizes only, heatmaps with ezvsl\n");

  fwd_case cases[MAX_CASES];
  int n_cases = 0;
  char args[2048] = "";
  size_t used = 0;
  for (int i = 0; i < n_models; i++)
    for (int b = 0; b < N_BATCHES && n_cases < MAX_CASES; b++) {
      fwd_case *fc = &cases[n_cases++];
      fc->m = models[i];
      fc->batch = batches[b];
      avs_loc_model_geometry(fc->m, &fc->g);
      snprintf(fc->key, sizeof fc->key, "%s_%s_b%d", fc->m->arch->name, tags[i], fc->batch);
      const avs_loc_cfg *c = fc->m->cfg;
      used += (size_t)snprintf(args + used, sizeof args - used, " --case %s:%s:%d:%d:%d:%d:%d:%d:%d", fc->key,
                               fc->m->arch->name, c->width, c->audio_width, c->dim, fc->g.height, fc->g.bins,
                               fc->g.time, fc->batch);
      if (used >= sizeof args) bench_die("torch arguments");
    }
  if (o.verbose) snprintf(args + used, sizeof args - used, " --cl");

  bench_set_torch_script("torch_loc.py");
  bench_kv kv[2 * MAX_CASES];
  int nkv = bench_torch(&o, args, kv, 2 * MAX_CASES);

  avs_rng rng;
  avs_rng_seed(&rng, 1);
  fwd_arg a = {.ctx = avs_ctx_new(&(avs_ctx_params){.train = false, .arena_bytes = (size_t)512 << 20})};
  if (!a.ctx) bench_die("context");
  for (int i = 0; i < n_cases; i++) {
    fwd_case *fc = &cases[i];
    const avs_loc_geometry *g = &fc->g;
    int64_t ishape[4] = {fc->batch, g->height, g->width, 3}, sshape[4] = {fc->batch, g->bins, g->time, 1};
    memcpy(a.ishape, ishape, sizeof ishape);
    memcpy(a.sshape, sshape, sizeof sshape);
    a.m = fc->m;
    a.images = random_floats(avs_shape_numel(4, ishape), &rng, 1.0f);
    a.spec = random_floats(avs_shape_numel(4, sshape), &rng, 0.3f);
    double ms = bench_time(&o, run_forward, &a);
    if (ms < 0) bench_die(fc->key);
    ms /= fc->batch;
    char key[48];
    snprintf(key, sizeof key, "%.40s_cl", fc->key);
    double t_ms = bench_kv_get(kv, nkv, fc->key), t_cl = bench_kv_get(kv, nkv, key);
    if (t_cl > 0) printf("torch channels_last %s: %.1f ms/frame (ratio to it %.2f)\n", fc->key, t_cl, ms / t_cl);
    bench_report(fc->key, ms, t_ms, GOAL);
    double bf16_ms = bench_time_bf16(&o, fc->key, a.ctx, run_forward, &a);
    if (bf16_ms != BENCH_SKIPPED) bench_report_bf16(fc->key, bf16_ms < 0 ? bf16_ms : bf16_ms / fc->batch, t_ms, 0);
    if (profile) print_profile(&a, fc->key, fc->batch, o.reps);
    free(a.images);
    free(a.spec);
  }

  /* the whole path, batch 8 of 224x224 frames */
  const avs_model *hm = ship;
  for (int i = 0; !hm && i < n_models; i++)
    if (!strcmp(models[i]->arch->name, "ezvsl")) hm = models[i];
  if (!hm) bench_die("no ezvsl architecture for the heatmap path");
  avs_loc_geometry g;
  avs_loc_model_geometry(hm, &g);
  e2e_arg e = {.ctx = a.ctx, .m = hm, .n = BATCH_E2E};
  avs_image frames[BATCH_E2E] = {0};
  for (int i = 0; i < BATCH_E2E; i++) {
    if (avs_image_alloc(&frames[i], 224, 224)) bench_die("frame");
    for (int64_t j = 0; j < 224 * 224 * 3; j++) frames[i].px[j] = (uint8_t)(avs_rng_uniform(&rng) * 255.0f);
    e.frames[i] = &frames[i];
    float *w = random_floats(g.samples, &rng, 0.1f);
    e.windows[i] = w;
    e.heat[i] = malloc(sizeof(float) * 224 * 224);
    if (!e.heat[i]) bench_die("heatmap");
  }
  double ms = bench_time(&o, run_heatmaps, &e);
  if (ms < 0) bench_die("avs_loc_heatmaps");
  double fps = BATCH_E2E * 1e3 / ms;
  printf("heatmaps_%s_%s_b%d: avs_loc_heatmaps, %d frames of 224x224 + %d-sample windows in %.1f ms: %.1f frames/s "
         "(goal >= %g) %s\n",
         hm->arch->name, ship ? "shipped" : "default", BATCH_E2E, BATCH_E2E, g.samples, ms, fps, GOAL_FPS,
         fps >= GOAL_FPS ? "met" : "MISSED");
  for (int i = 0; i < BATCH_E2E; i++) {
    avs_image_release(&frames[i]);
    free((void *)e.windows[i]);
    free(e.heat[i]);
  }

  avs_ctx_free(&a.ctx);
  for (int i = 0; i < n_models; i++) avs_model_free(&models[i]);
  free(shipped);
  return 0;
}
