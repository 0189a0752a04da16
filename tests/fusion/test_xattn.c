/* The cross-modal attention separation model (fusion/xattn.h) against its
 * PyTorch implementation (gen_xattn.py, random weights, a small non-square
 * size: 32x16 spectrogram, 2x32x48 clip, 3 down levels, 2 video blocks per
 * stage, 3 sources from a box, a point and the whole frame; a second file
 * with the NMF prior, nmf = 2: two more input channels that join the features):
 *   - the declared table equals the PyTorch state_dict, name for name and shape;
 *   - the sources' pooling weights from boxes (avs_xattn_region_weights);
 *   - eval mode, batch norms as ops and folded into the convolutions: mask
 *     logits, attention weights, the overall and per-source heatmaps;
 *   - one train-mode step (batch statistics), weighted BCE with logits on the
 *     masks: mask logits, loss, every parameter's gradient, the running
 *     statistics after it (float64 references);
 *   - bad inputs are reported; the default size runs (parameters, multiply-adds
 *     and a batch-1 forward time printed; AVS_XATTN_TABLE=1 prints its layer table).
 * Tolerances, |got - want| <= rtol |want| + atol (max: the tensor's largest magnitude):
 *   region weights                       1e-6 absolute
 *   masks, attention weights, heatmaps   1e-4 |x| + 1e-4 max|x| (eval and train)
 *   gradients                            1e-3 |g| + 1e-4 max|g| per tensor
 *   running statistics after the step    1e-4 |x| + 1e-5 max|x|
 * the train-mode bounds each plus 4x PyTorch's own float32 deviation from
 * float64 (test_action_b_common.h explains why; here it is far below the bound). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fusion/xattn.h"
#include "nn/model.h"
#include "nn/trace.h"
#include "tests/parity/test_action_b_common.h"

static int declare(avs_params *p, const void *cfg) { return avs_xattn_declare(p, cfg); }

static avs_tensor *input(avs_st *st, const char *name) {
  avs_tensor *t = tst_tensor(st, "%s", name);
  t->requires_grad = false;
  return t;
}

static void check_regions(avs_st *st, const avs_xattn_cfg *c) {
  avs_tensor *boxes = tst_tensor(st, "boxes"), *want = tst_tensor(st, "weights");
  int64_t S = boxes->shape[0], Lv = want->shape[2];
  float *got = calloc((size_t)(S * Lv), sizeof(float));
  AVS_ASSERT(got);
  for (int64_t s = 0; s < S; s++)
    tst_true(avs_xattn_region_weights(c, boxes->data + 4 * s, got + s * Lv) == 0, "region %lld: %s", (long long)s,
             avs_errmsg());
  tst_close("region weights (box, point, frame)", got, want->data, S * Lv, 1e-6f, 0);
  float bad[4] = {0.5f, 0.2f, 0.4f, 0.9f}, out_of[4] = {-0.1f, 0, 0.5f, 0.5f};
  tst_true(avs_xattn_region_weights(c, bad, got) == AVS_EINVAL && strstr(avs_errmsg(), "x1 < x0"), "reversed box: %s",
           avs_errmsg());
  tst_true(avs_xattn_region_weights(c, out_of, got) == AVS_EINVAL && strstr(avs_errmsg(), "[0, 1]"),
           "box outside the frame: %s", avs_errmsg());
  free(got);
  avs_tensor_free(&boxes), avs_tensor_free(&want);
}

typedef struct {
  const avs_params *p;
  const avs_xattn_cfg *c;
  avs_tensor *logmag, *frames, *w, *want[4];
} eval_arg;

static void eval_outputs(avs_ctx *ctx, bool folded, void *arg) {
  static const char *what[4] = {"mask logits", "attention weights", "overall heatmap", "per-source heatmaps"};
  eval_arg *e = arg;
  avs_xattn_enc enc;
  int rc = avs_xattn_encode(ctx, e->p, e->c, e->logmag, e->frames, &enc);
  avs_tensor *got[4] = {rc ? NULL : avs_xattn_masks(ctx, e->p, e->c, &enc, e->w), enc.attn, NULL, NULL};
  got[2] = rc ? NULL : avs_xattn_heatmap(ctx, e->c, &enc, NULL);
  got[3] = got[0] ? avs_xattn_heatmap(ctx, e->c, &enc, got[0]) : NULL;
  for (int i = 0; i < 4; i++) {
    char name[96];
    snprintf(name, sizeof name, "eval %s%s", what[i], folded ? " (BN folded)" : "");
    if (tst_true(got[i] && got[i]->numel == e->want[i]->numel, "%s: %s", name, got[i] ? "computed" : avs_errmsg()))
      ab_close(name, got[i]->data, e->want[i]->data, e->want[i]->numel, 1e-4, 1e-4);
  }
}

static void check_eval(avs_st *st, const avs_params *p, const avs_xattn_cfg *c) {
  eval_arg e = {p, c, input(st, "logmag"), input(st, "frames"), input(st, "weights"),
                {tst_tensor(st, "eval.masks"), tst_tensor(st, "eval.attn"), tst_tensor(st, "eval.heat"),
                 tst_tensor(st, "eval.heat_src")}};
  ab_eval_modes(eval_outputs, &e);
  for (int i = 0; i < 4; i++) avs_tensor_free(&e.want[i]);
  avs_tensor_free(&e.logmag), avs_tensor_free(&e.frames), avs_tensor_free(&e.w);
}

static void check_train(avs_st *st, avs_params *p, const avs_xattn_cfg *c) {
  ab_model m = {"xattn", declare, NULL, c};
  avs_tensor *logmag = input(st, "logmag"), *frames = input(st, "frames"), *w = input(st, "weights");
  avs_tensor *target = input(st, "train.target"), *weight = input(st, "train.weight");
  avs_tensor *want = tst_tensor(st, "train.masks"), *want_loss = tst_tensor(st, "train.loss");
  avs_ctx *ctx = ac_train_ctx();
  AVS_ASSERT(ctx);
  for (int i = 0; i < p->n; i++) avs_tensor_zero_grad(p->t[i]);
  avs_tensor *masks = avs_xattn_forward(ctx, p, c, logmag, frames, w);
  avs_tensor *loss = avs_bce_logits_loss(ctx, masks, target, weight);
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (tst_true(!rc, "xattn train step: %s", rc ? avs_errmsg() : "ok")) {
    tst_close("xattn train mask logits", masks->data, want->data, want->numel,
              ab_train_atol(st, "train.masks", want, 1e-4), 1e-4f);
    tst_close("xattn train loss", loss->data, want_loss->data, 1, ab_train_atol(st, "train.loss", want_loss, 1e-4),
              1e-4f);
    ab_check_tensors(&m, p, st, "grad.", "after.", "parameter gradients and the buffers after the step");
  }
  avs_ctx_free(&ctx);
  avs_tensor_free(&logmag), avs_tensor_free(&frames), avs_tensor_free(&w), avs_tensor_free(&target);
  avs_tensor_free(&weight), avs_tensor_free(&want), avs_tensor_free(&want_loss);
}

static void check_errors(const avs_params *p, const avs_xattn_cfg *c) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *a = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, c->freq, c->time, 1 + c->nmf));
  avs_tensor *v = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, c->frames, c->height, c->width + 16, 3));
  avs_xattn_enc enc;
  tst_true(avs_xattn_encode(ctx, p, c, a, v, &enc) == AVS_ESHAPE && strstr(avs_errmsg(), "frames"),
           "wrong clip size: %s", avs_errmsg());
  avs_tensor *a2 = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, c->freq, c->time, 2 + c->nmf));
  v = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, c->frames, c->height, c->width, 3));
  tst_true(avs_xattn_encode(ctx, p, c, a2, v, &enc) == AVS_ESHAPE && strstr(avs_errmsg(), "spectrogram"),
           "%d input channels for nmf %d: %s", 2 + c->nmf, c->nmf, avs_errmsg());
  avs_xattn_cfg bad = *c;
  bad.heads = 3;
  avs_params q;
  avs_params_init(&q, "xattn");
  tst_true(avs_xattn_declare(&q, &bad) == AVS_EINVAL && strstr(avs_errmsg(), "heads"), "dim %% heads: %s",
           avs_errmsg());
  bad = *c, bad.nmf = -1;
  tst_true(avs_xattn_declare(&q, &bad) == AVS_EINVAL && strstr(avs_errmsg(), "nmf"), "nmf -1: %s", avs_errmsg());
  bad = *c, bad.freq = 36;
  tst_true(avs_xattn_declare(&q, &bad) == AVS_EINVAL && strstr(avs_errmsg(), "halve"), "freq %% 2^down: %s",
           avs_errmsg());
  avs_params_free(&q);
  avs_ctx_free(&ctx);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* The default size: declared, initialised as for training, one batch-1 forward of two
 * sources (traced), then timed. */
static void check_default(void) {
  avs_xattn_cfg c = avs_xattn_default_cfg();
  int nhp;
  const avs_hparam *hp = avs_xattn_hparams(&nhp);
  tst_true(nhp == 17 && !strcmp(hp[0].key, "freq") && !strcmp(hp[16].key, "nmf_iters"), "hyperparameter table: %d keys",
           nhp);
  avs_model m = {0};
  avs_params_init(&m.params, "xattn");
  int rc = avs_xattn_declare(&m.params, &c);
  if (!rc) rc = avs_model_init(&m, 1);
  if (!tst_true(rc == 0, "default declared and initialised: %s", rc ? avs_errmsg() : "ok")) return;
  avs_xattn_grid g;
  avs_xattn_grid_of(&c, &g);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *a = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, c.freq, c.time, 1));
  avs_tensor *v = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, c.frames, c.height, c.width, 3));
  avs_tensor *w = avs_ctx_zeros(ctx, 3, AVS_SHAPE(1, 2, g.visual));
  for (int64_t i = 0; i < a->numel; i++) a->data[i] = (float)((i * 7919) % 1000) / 250.0f - 2.0f;
  for (int64_t i = 0; i < v->numel; i++) v->data[i] = (float)((i * 104729) % 1000) / 500.0f - 1.0f;
  AVS_ASSERT(!avs_xattn_region_weights(&c, (const float[]){0, 0, 0.5f, 1}, w->data) &&
             !avs_xattn_region_weights(&c, (const float[]){0.75f, 0.5f, 0.75f, 0.5f}, w->data + g.visual));
  avs_layer_trace tr = {0};
  avs_layer_trace_start(ctx, &tr);
  avs_xattn_enc enc;
  avs_tensor *y = avs_xattn_encode(ctx, &m.params, &c, a, v, &enc) ? NULL : avs_xattn_masks(ctx, &m.params, &c, &enc, w);
  avs_layer_trace_stop(ctx);
  avs_tensor *heat = y ? avs_xattn_heatmap(ctx, &c, &enc, y) : NULL;
  if (tst_true(y && heat && y->ndim == 4 && y->shape[1] == 2 && y->shape[2] == c.freq && y->shape[3] == c.time,
               "default forward: masks (1, 2, %d, %d): %s", c.freq, c.time, y ? "ok" : avs_errmsg())) {
    double sum = 0;
    for (int64_t i = 0; i < g.visual; i++) sum += heat->data[i];
    tst_true(fabs(sum - 1) < 1e-4, "default heatmap sums to 1 (%.6f)", sum);
  }
  int64_t params = 0, traced = 0, macs = 0;
  for (int i = 0; i < m.params.n; i++)
    if (m.params.t[i]->requires_grad) params += m.params.t[i]->numel;
  const char *table = getenv("AVS_XATTN_TABLE");
  for (int i = 0; i < tr.n; i++) {
    const avs_layer_row *r = &tr.rows[i];
    traced += r->params, macs += r->macs;
    if (table && *table == '1') {
      char s[96];
      printf("     %-28s %-10s %-24s %9lld %12lld\n", r->name, r->kind, avs_shape_str(r->ndim, r->shape, s, sizeof s),
             (long long)r->params, (long long)r->macs);
    }
  }
  tst_true(traced == params && tr.n > 20, "default: %d rows cover all %lld parameters (traced %lld), %.3f G multiply-adds",
           tr.n, (long long)params, (long long)traced, macs * 1e-9);
  double best = 1e9;
  for (int r = 0; r < 3; r++) {
    avs_ctx_reset(ctx);
    a = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, c.freq, c.time, 1));
    v = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, c.frames, c.height, c.width, 3));
    w = avs_ctx_zeros(ctx, 3, AVS_SHAPE(1, 2, g.visual));
    double t0 = now();
    y = avs_xattn_forward(ctx, &m.params, &c, a, v, w);
    best = fmin(best, now() - t0);
  }
  printf("     default forward, batch 1, 2 sources: %.1f ms (best of 3)\n", best * 1e3);
  avs_layer_trace_free(&tr);
  avs_ctx_free(&ctx);
  avs_params_free(&m.params);
}

/* Every check on one reference file. */
static void check_file(const char *path) {
  avs_st *st = tst_open(path);
  avs_xattn_cfg c = {0};
  int nhp;
  const avs_hparam *hp = avs_xattn_hparams(&nhp);
  for (int i = 0; i < nhp; i++) *(int *)((char *)&c + hp[i].offset) = (int)tst_meta_int(st, "%s", hp[i].key);
  ab_model m = {"xattn", declare, NULL, &c};
  avs_params p;
  if (ab_load(&m, &p, st)) {
    check_regions(st, &c);
    check_eval(st, &p, &c);
    check_train(st, &p, &c);
    check_errors(&p, &c);
  }
  avs_params_free(&p);
  avs_st_close(&st);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  check_file(argv[1]);
  /* gen_xattn.py's second file: the NMF prior's channels (nmf = 2) */
  char nmf[4096];
  const char *dot = strstr(argv[1], ".safetensors");
  snprintf(nmf, sizeof nmf, "%.*s_nmf.safetensors", dot ? (int)(dot - argv[1]) : (int)strlen(argv[1]), argv[1]);
  check_file(nmf);
  check_default();
  return tst_finish();
}
