/* Action models, forward, one 3x16x112x112 clip (batch 1, eval mode), against
 * PyTorch 1.13 in the same run: C3D (Sports-1M head, 487 classes), R3D-18 and
 * R(2+1)D-18 (400 classes) built through the registry of video/models with
 * their default hyperparameters and random weights.
 *
 * Timed: avs_action_model_forward on a channels-last 1x16x112x112x3 clip; the
 * context's arena is reset before every run; weights, input and oneDNN
 * primitives exist before timing. PyTorch (bench/torch_action.py, popen'd
 * first so the two never share the cores) runs C3D as the common PyTorch
 * port and torchvision's r3d_18 / r2plus1d_18 under no_grad in its default
 * layout (the goal's reference); channels_last_3d is printed beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "bench_common.h"
#include "video/models/registry.h"

#define GOAL 0.5

static const char *const models[] = {"c3d", "r3d_18", "r2plus1d_18"};
#define N_MODELS ((int)(sizeof models / sizeof models[0]))

typedef struct {
  avs_ctx *ctx;
  avs_action_model *m;
  float *x;
  int64_t shape[5];
} run_arg;

static int run_forward(void *p) {
  run_arg *a = p;
  avs_ctx_reset(a->ctx);
  avs_tensor *x = avs_ctx_wrap(a->ctx, a->x, 5, a->shape);
  return avs_action_model_forward(a->ctx, a->m, x) ? 0 : -1;
}

/* Weights of a plausible scale (uniform +-1/sqrt(fan_in)), batch-norm statistics 0 / 1. */
static void fill(avs_params *p, avs_rng *rng) {
  for (int i = 0; i < p->n; i++) {
    avs_tensor *t = p->t[i];
    const char *n = t->name;
    size_t len = strlen(n);
    bool var = len > 11 && !strcmp(n + len - 11, "running_var"), mean = len > 12 && !strcmp(n + len - 12, "running_mean");
    float bound = t->ndim > 1 ? 1.0f / sqrtf((float)(t->numel / t->shape[0])) : 0.1f;
    for (int64_t j = 0; j < t->numel; j++)
      t->data[j] = var ? 1.0f : mean ? 0.0f : t->ndim == 1 && strstr(n, "weight") ? 1.0f : bound * (2 * avs_rng_uniform(rng) - 1);
    t->requires_grad = false;
    t->version++;
  }
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 5, .warmup = 2};
  bench_init(argc, argv, &o, "C3D, R3D-18 and R(2+1)D-18 forward, one 3x16x112x112 clip, vs PyTorch.", NULL, NULL);
  bench_print_env("bench_action: action models, forward, batch 1, 3x16x112x112, eval");
  printf("%d warm-up + median of %d\n", o.warmup, o.reps);

  bench_set_torch_script("torch_action.py");
  bench_kv kv[16];
  int nkv = bench_torch(&o, "", kv, 16);

  avs_rng rng;
  avs_rng_seed(&rng, 1);
  run_arg a = {.ctx = avs_ctx_new(&(avs_ctx_params){.train = false, .arena_bytes = (size_t)512 << 20})};
  if (!a.ctx) bench_die("context");
  for (int i = 0; i < N_MODELS; i++) {
    if (avs_action_model_new(models[i], NULL, &a.m)) bench_die(models[i]);
    fill(&a.m->params, &rng);
    const avs_action_base *b = avs_action_model_base(a.m);
    int64_t shape[5] = {1, b->frames, b->height, b->width, 3};
    memcpy(a.shape, shape, sizeof shape);
    a.x = malloc(sizeof(float) * avs_shape_numel(5, shape));
    if (!a.x) bench_die("input");
    for (int64_t j = 0; j < avs_shape_numel(5, shape); j++) a.x[j] = avs_rng_normal(&rng);
    double ms = bench_time(&o, run_forward, &a);
    if (ms < 0) bench_die(models[i]);
    char key[48];
    snprintf(key, sizeof key, "%s_cl", models[i]);
    double t_ms = bench_kv_get(kv, nkv, models[i]), t_cl = bench_kv_get(kv, nkv, key);
    if (t_cl > 0) printf("torch channels_last_3d %s: %.1f ms (ratio to it %.2f)\n", models[i], t_cl, ms / t_cl);
    bench_report(models[i], ms, t_ms, GOAL);
    double bf16_ms = bench_time_bf16(&o, models[i], a.ctx, run_forward, &a);
    if (bf16_ms != BENCH_SKIPPED) bench_report_bf16(models[i], bf16_ms, t_ms, 0);
    free(a.x);
    avs_model_free(&a.m);
  }
  avs_ctx_free(&a.ctx);
  return 0;
}
