/* Separation (fusion/separation.h), against PyTorch 1.13 in the same run:
 *
 * 1. Sound of Pixels' eval-mode forward, avs_sep_model_forward: one mixture's
 *    log spectrogram through the sound net, each source's clip through the
 *    frame net, the synthesizer per source (mask logits), at the reference
 *    size (ngf 64, K 32, ResNet-18 width 64, 3 frames of 224 x 224, 256 x 256)
 *    and at the size scripts/train_sep.sh trains (ngf 16, K 16, width 16,
 *    3 frames of 64 x 64, 128 x 128), 2 sources, random weights
 *    (avs_model_init). PyTorch runs tests/fusion/gen_sop.py's modules (the
 *    parity test's reference) under no_grad (bench/torch_sep.py, popen'd first
 *    so the two never share the cores). Goal: <= 0.5x PyTorch's time.
 * 2. A training step as avtrain sep takes it, at the trained size: 4 mixtures
 *    of 2 clips, train mode, weighted BCE on binary targets, backward, Adam.
 *    Goal: <= 0.7x PyTorch's.
 * 3. `avsep separate` on a 60 s video (the bundled sample trio looped),
 *    decode to WAVs, with the shipped model: the app itself, timed from
 *    outside. Goal: >= 20x real time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "av/avs.h"
#include "av/datadir.h"
#include "bench_common.h"
#include "fusion/separation.h"
#include "nn/model.h"
#include "nn/trace.h"

#define GOAL_FWD 0.5
#define GOAL_TRAIN 0.7
#define GOAL_RT 20.0
#define SOURCES 2
#define TRAIN_MIXTURES 4
#define LONG_SECONDS 60

typedef struct {
  const char *key, *hparams;
} sop_size;

static const sop_size sizes[] = {
    {"sop_reference", "ngf=64,num_downs=7,channels=32,frame_width=64,frames=3,height=224,width=224,freq=256,time=256"},
    {"sop_trained", "ngf=16,num_downs=7,channels=16,frame_width=16,frames=3,height=64,width=64,freq=128,time=128"},
};
#define N_SIZES ((int)(sizeof sizes / sizeof sizes[0]))

typedef struct {
  avs_ctx *ctx;
  const avs_model *m;
  float *logmag, *crops, *target, *weight;
  int64_t lshape[4], cshape[5], tshape[3];
  int mix_of[2 * TRAIN_MIXTURES];
  avs_optim *opt;
} sep_arg;

static int run_forward(void *p) {
  sep_arg *a = p;
  avs_ctx_reset(a->ctx);
  avs_tensor *x = avs_ctx_wrap(a->ctx, a->logmag, 4, a->lshape), *c = avs_ctx_wrap(a->ctx, a->crops, 5, a->cshape);
  return avs_sep_model_forward(a->ctx, a->m, x, c, a->mix_of) ? 0 : -1;
}

static int run_train_step(void *p) {
  sep_arg *a = p;
  avs_optim_zero_grad(a->opt);
  avs_ctx_reset(a->ctx);
  avs_clearerr(); /* backward kernels report failures only through the error state */
  avs_tensor *x = avs_ctx_wrap(a->ctx, a->logmag, 4, a->lshape), *c = avs_ctx_wrap(a->ctx, a->crops, 5, a->cshape);
  avs_tensor *t = avs_ctx_wrap(a->ctx, a->target, 3, a->tshape), *w = avs_ctx_wrap(a->ctx, a->weight, 3, a->tshape);
  avs_tensor *loss = avs_bce_logits_loss(a->ctx, avs_sep_model_forward(a->ctx, a->m, x, c, a->mix_of), t, w);
  if (!loss || avs_backward(a->ctx, loss) || avs_errcode() != AVS_OK) return -1;
  avs_optim_step(a->opt);
  return 0;
}

static float *random_floats(int64_t n, avs_rng *rng, float lo, float hi, bool binary) {
  float *x = malloc(sizeof(float) * (size_t)n);
  if (!x) bench_die("input");
  for (int64_t i = 0; i < n; i++) {
    float u = avs_rng_uniform(rng);
    x[i] = binary ? (float)(u > 0.5f) : lo + (hi - lo) * u;
  }
  return x;
}

static avs_model *sop_model(const char *hparams) {
  const avs_arch *arch = avs_arch_find("sop", AVS_KIND_SEPARATION);
  if (!arch) bench_die("sop");
  void *cfg = malloc(arch->cfg_size);
  if (!cfg) bench_die("cfg");
  memcpy(cfg, arch->cfg_default, arch->cfg_size);
  avs_model *m = NULL;
  if (avs_cfg_parse(arch, cfg, hparams) || avs_model_new_from(arch, cfg, &m) || avs_model_init(m, 1))
    bench_die(hparams);
  free(cfg);
  return m;
}

/* -v: one traced forward after the timed ones, each layer's best of 3 passes:
 * where the time goes (a row's ms includes the untraced ops just before it). */
static void print_layers(sep_arg *a) {
  avs_layer_trace best = {0};
  for (int pass = 0; pass < 3; pass++) {
    avs_layer_trace t = {0};
    avs_ctx_reset(a->ctx);
    avs_layer_trace_start(a->ctx, &t);
    int rc = run_forward(a);
    avs_layer_trace_stop(a->ctx);
    if (rc || t.failed || (pass && t.n != best.n)) {
      avs_layer_trace_free(&t);
      break;
    }
    if (!pass) best = t;
    else {
      for (int i = 0; i < t.n; i++)
        if (t.rows[i].ms < best.rows[i].ms) best.rows[i].ms = t.rows[i].ms;
      avs_layer_trace_free(&t);
    }
  }
  double total = 0;
  for (int i = 0; i < best.n; i++) total += best.rows[i].ms;
  printf("  %-40s %-12s %10s %9s %8s\n", "layer", "kind", "GMAC", "ms", "GFLOP/s");
  for (int i = 0; i < best.n; i++) {
    const avs_layer_row *r = &best.rows[i];
    if (r->ms < 0.01 * total) continue; /* the rows that matter */
    printf("  %-40s %-12s %10.3f %9.2f %8.1f\n", r->name, r->kind, r->macs / 1e9, r->ms,
           r->ms > 0 ? 2.0 * r->macs / (r->ms * 1e6) : 0.0);
  }
  printf("  (rows under 1%% of the %.1f ms left out)\n", total);
  avs_layer_trace_free(&best);
}

/* The inputs of `mixtures` mixtures and mix * mixtures sources at m's geometry. */
static void make_inputs(sep_arg *a, const avs_model *m, int mixtures, int mix, avs_rng *rng) {
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  int sources = mixtures * mix;
  int64_t l[4] = {mixtures, g.freq, g.time, 1}, c[5] = {sources, g.frames, g.height, g.width, 3};
  int64_t t[3] = {sources, g.freq, g.time};
  memcpy(a->lshape, l, sizeof l), memcpy(a->cshape, c, sizeof c), memcpy(a->tshape, t, sizeof t);
  a->logmag = random_floats(avs_shape_numel(4, l), rng, -8, 2, false);
  a->crops = random_floats(avs_shape_numel(5, c), rng, -2, 2, false);
  a->target = random_floats(avs_shape_numel(3, t), rng, 0, 0, true);
  a->weight = random_floats(avs_shape_numel(3, t), rng, 0.1f, 1.1f, false);
  for (int j = 0; j < sources; j++) a->mix_of[j] = j % mixtures;
}

static void free_inputs(sep_arg *a) {
  free(a->logmag), free(a->crops), free(a->target), free(a->weight);
  a->logmag = a->crops = a->target = a->weight = NULL;
}

/* "ngf=16,num_downs=7,..." -> "ngf=16/num_downs=7/.../sources=N" for torch_sep.py. */
static void torch_hparams(const char *hp, int sources, char *out, size_t size) {
  snprintf(out, size, "%s", hp);
  for (char *p = out; *p; p++)
    if (*p == ',') *p = '/';
  if (sources > 0) snprintf(out + strlen(out), size - strlen(out), "/sources=%d", sources);
}

/* avsep beside this bench's build tree: BUILD/bench/bench_sep -> BUILD/bin/avsep. */
static void avsep_path(const char *argv0, char *out, size_t size) {
  char self[1024];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) snprintf(self, sizeof self, "%s", argv0);
  else self[n] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  snprintf(out, size, "%s/../bin/avsep", slash ? self : ".");
}

static struct {
  char avsep[1100];
  const char *video;
  char out[256];
  int run;
} app;

static int run_avsep(void *unused) {
  (void)unused;
  char dir[300], cmd[2048];
  snprintf(dir, sizeof dir, "%s/run%d", app.out, app.run++);
  snprintf(cmd, sizeof cmd, "'%s' separate '%s' --out '%s' -q -t 2 && rm -rf '%s'", app.avsep, app.video, dir, dir);
  return system(cmd);
}

static void bench_app(const bench_opts *o, const char *argv0) {
  char *sample = NULL;
  if (avs_data_path("samples/music/clips/music_test_000000/video.mp4", &sample)) {
    printf("avsep_60s: no bundled sample clip (%s): skipped\n", avs_errmsg());
    return;
  }
  char args[1200];
  /* the 6 s sample 10 times: 60 s */
  snprintf(args, sizeof args, "-stream_loop 9 -i '%s' -c copy", sample);
  app.video = bench_cached_video("sep_sample_60s.mp4", args);
  avsep_path(argv0, app.avsep, sizeof app.avsep);
  snprintf(app.out, sizeof app.out, "/tmp/avs-bench-sep-XXXXXX");
  if (!mkdtemp(app.out)) bench_die("temporary folder");
  bench_opts once = *o;
  once.warmup = 1, once.reps = 3;
  double ms = bench_time(&once, run_avsep, NULL);
  rmdir(app.out);
  free(sample);
  if (ms < 0) {
    printf("avsep_60s: %s separate failed\n", app.avsep);
    return;
  }
  double speed = LONG_SECONDS * 1e3 / ms;
  printf("avsep_60s: avsep separate on %d s (shipped model, decode to WAVs) in %.2f s: %.1fx real time "
         "(goal >= %gx) %s\n", LONG_SECONDS, ms / 1e3, speed, GOAL_RT, speed >= GOAL_RT ? "met" : "MISSED");
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 5, .warmup = 2};
  bench_init(argc, argv, &o,
             "Sound of Pixels' eval-mode forward (reference and trained sizes) and training step vs PyTorch, "
             "and avsep separate on 60 s.",
             NULL, NULL);
  bench_print_env("bench_sep: Sound of Pixels forward and training step, and the avsep app");
  printf("%d warm-up + median of %d; forward: 1 mixture, %d sources; training step: %d mixtures of 2 clips\n",
         o.warmup, o.reps, SOURCES, TRAIN_MIXTURES);

  char args[2048] = "", hp[512];
  size_t used = 0;
  for (int i = 0; i < N_SIZES; i++) {
    torch_hparams(sizes[i].hparams, SOURCES, hp, sizeof hp);
    used += (size_t)snprintf(args + used, sizeof args - used, " --fwd %s_fwd:%s", sizes[i].key, hp);
  }
  torch_hparams(sizes[1].hparams, 0, hp, sizeof hp);
  used += (size_t)snprintf(args + used, sizeof args - used, " --train %s_train:%s:%d", sizes[1].key, hp,
                           TRAIN_MIXTURES);
  if (used >= sizeof args) bench_die("torch arguments");
  bench_set_torch_script("torch_sep.py");
  bench_kv kv[8];
  int nkv = bench_torch(&o, args, kv, 8);

  avs_rng rng;
  avs_rng_seed(&rng, 1);
  sep_arg a = {.ctx = avs_ctx_new(&(avs_ctx_params){.train = false, .arena_bytes = (size_t)1 << 30})};
  if (!a.ctx) bench_die("context");
  avs_model *trained = NULL;
  for (int i = 0; i < N_SIZES; i++) {
    avs_model *m = sop_model(sizes[i].hparams);
    printf("%s: %s\n", sizes[i].key, sizes[i].hparams);
    a.m = m;
    make_inputs(&a, m, 1, SOURCES, &rng);
    char key[48];
    snprintf(key, sizeof key, "%s_fwd", sizes[i].key);
    double ms = bench_time(&o, run_forward, &a);
    if (ms < 0) bench_die(key);
    bench_report(key, ms, bench_kv_get(kv, nkv, key), GOAL_FWD);
    if (o.verbose) print_layers(&a);
    double bf16_ms = bench_time_bf16(&o, key, a.ctx, run_forward, &a);
    if (bf16_ms != BENCH_SKIPPED) bench_report_bf16(key, bf16_ms, bench_kv_get(kv, nkv, key), 0);
    if (bf16_ms != BENCH_SKIPPED && o.verbose) {
      avs_ctx_set_precision(a.ctx, AVS_BF16);
      print_layers(&a);
      avs_ctx_set_precision(a.ctx, AVS_FP32);
    }
    free_inputs(&a);
    if (i == 1) trained = m;
    else avs_model_free(&m);
  }
  avs_ctx_free(&a.ctx);

  /* the training step at the trained size */
  a.ctx = avs_ctx_new(&(avs_ctx_params){.train = true, .arena_bytes = (size_t)4 << 30});
  int n_params = 0;
  avs_tensor **params = avs_model_trainable(trained, &n_params);
  a.opt = params ? avs_adam_new(params, n_params, 1e-3f, 0, 0, 0, 0, false) : NULL;
  if (!a.ctx || !a.opt) bench_die("training set-up");
  a.m = trained;
  make_inputs(&a, trained, TRAIN_MIXTURES, 2, &rng);
  double ms = bench_time(&o, run_train_step, &a);
  if (ms < 0) bench_die("training step");
  bench_report("sop_trained_train", ms, bench_kv_get(kv, nkv, "sop_trained_train"), GOAL_TRAIN);
  free_inputs(&a);
  avs_optim_free(&a.opt);
  free(params);
  avs_ctx_free(&a.ctx);
  avs_model_free(&trained);

  bench_app(&o, argv[0]);
  return 0;
}
