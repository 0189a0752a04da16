/* avtrain action: trains an action-recognition model on an avdata manifest of
 * labelled clips (avdata synth --kind actions, or any manifest whose lines
 * have "video" and "class" with meta.json's "classes" beside it).
 *
 * Each epoch visits the training clips in a fresh order drawn from --seed and
 * the epoch number, in batches of --batch clips (a random temporal crop when a
 * video is longer than the model's clip), with the mean cross-entropy,
 * optional gradient clipping, and AdamW or SGD with a cosine learning-rate
 * decay per step. After each epoch: validation top-1/top-5, one line of
 * results on stdout, a checkpoint (avtrain.h), and --out rewritten when the
 * validation top-1 improved (the last epoch's model without validation). So a
 * resumed run takes the same steps as an uninterrupted one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avtrain/avtrain.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "av/avs.h"
#include "video/models/action_eval.h"
#include "video/models/action_input.h"

static const char *usage =
    "Usage: avtrain action --manifest TRAIN.jsonl --arch ARCH [options]\n"
    "Trains an action-recognition model (an 'avact info' architecture) from scratch on\n"
    "the labelled clips of an avdata manifest, validating after every epoch. The number\n"
    "of classes and their names come from meta.json beside the manifest; clips are read\n"
    "as 'avact classify' reads them. Writes --out (the best validation top-1 so far) and\n"
    "a checkpoint per epoch in --checkpoints; --resume goes on from there.\n"
    "Example (the shipped model, scripts/train_action.sh):\n"
    "  avtrain action --manifest actions/train.jsonl --arch two_stream --norm kinetics --cache \\\n"
    "    --hparams channels=16,frames=15,height=56,width=56 --epochs 12 --batch 16 --lr 2e-3";

typedef struct {
  const char *manifest, *val, *arch, *hparams, *norm, *out, *ckpt_dir, *optimizer, *schedule;
  int epochs, batch, seed;
  float lr, weight_decay, momentum, clip_norm;
  bool resume, cache;
} train_opts;

static char *joined_labels(const avs_manifest *mf) {
  size_t n = 1;
  for (int i = 0; i < mf->n_classes; i++) n += strlen(mf->classes[i]) + 1;
  char *s = calloc(n, 1);
  if (!s) app_fail("out of memory");
  for (int i = 0; i < mf->n_classes; i++) strcat(strcat(s, mf->classes[i]), i + 1 < mf->n_classes ? "\n" : "");
  return s;
}

static avs_action_model *new_model(const train_opts *o, const avs_manifest *mf) {
  if (!o->arch) app_usage_error("--arch is required (see 'avact info' for the architectures)");
  const avs_action_arch *a = avs_action_arch_find(o->arch);
  if (!a) app_usage_error("--arch: %s", avs_errmsg());
  void *cfg = malloc(a->cfg_size);
  if (!cfg) app_fail("out of memory");
  memcpy(cfg, a->cfg_default, a->cfg_size);
  ((avs_action_base *)cfg)->classes = mf->n_classes;
  if (o->hparams && strstr(o->hparams, "classes="))
    app_usage_error("--hparams: the classes come from the manifest's meta.json");
  if (o->hparams && avs_cfg_parse(a, cfg, o->hparams)) app_usage_error("--hparams: %s", avs_errmsg());
  avs_action_model *m = NULL;
  if (avs_action_model_new(a->name, cfg, &m) || avs_model_init(m, (uint64_t)o->seed))
    app_fail_status(avs_errcode());
  if (o->norm && avs_params_set_meta(&m->params, "norm", o->norm)) app_fail_status(avs_errcode());
  free(cfg);
  return m;
}

/* The trainable tensors (buffers such as running statistics excluded). */
static avs_tensor **trainable(const avs_action_model *m, int *n) {
  avs_tensor **t = malloc(sizeof *t * (m->params.n ? m->params.n : 1));
  if (!t) app_fail("out of memory");
  *n = 0;
  for (int i = 0; i < m->params.n; i++)
    if (m->params.t[i]->requires_grad) t[(*n)++] = m->params.t[i];
  return t;
}

static float lr_at(const train_opts *o, int64_t step, int64_t total) {
  if (!strcmp(o->schedule, "constant")) return o->lr;
  return (float)(o->lr * 0.5 * (1.0 + cos(M_PI * (double)step / (double)total)));
}

static void shuffle(int *order, int n, int seed, int epoch) {
  avs_rng rng;
  avs_rng_seed(&rng, (uint64_t)seed * 0x9E3779B97F4A7C15ull + (uint64_t)epoch + 1);
  for (int i = 0; i < n; i++) order[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)avs_rng_below(&rng, (uint32_t)i + 1), t = order[i];
    order[i] = order[j], order[j] = t;
  }
}

typedef struct {
  double loss;
  int64_t correct, seen;
} epoch_stats;

static void train_epoch(const train_opts *o, avs_action_model *m, avs_optim *opt, avs_tensor **params, int n_params,
                        const avs_manifest *mf, float **cache, int epoch, int64_t steps_per_epoch, epoch_stats *st) {
  const avs_action_base *b = avs_action_model_base(m);
  int64_t per_clip = (int64_t)b->frames * b->height * b->width * avs_action_channels(m);
  int *order = malloc(sizeof *order * mf->n), *labels = malloc(sizeof *labels * o->batch);
  if (!order || !labels) app_fail("out of memory");
  shuffle(order, mf->n, o->seed, epoch);
  avs_rng crop;
  avs_rng_seed(&crop, (uint64_t)o->seed * 31 + (uint64_t)epoch * 7919 + 3);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true, .seed = (uint64_t)o->seed * 1000003 + (uint64_t)epoch});
  if (!ctx) app_fail_status(avs_errcode());
  char what[64];
  snprintf(what, sizeof what, "epoch %d/%d", epoch + 1, o->epochs);
  app_progress pr;
  app_progress_start(&pr, what, mf->n);
  *st = (epoch_stats){0};
  int64_t step = (int64_t)epoch * steps_per_epoch;
  for (int start = 0; start < mf->n; start += o->batch, step++) {
    int nb = mf->n - start < o->batch ? mf->n - start : o->batch;
    avs_ctx_reset(ctx);
    avs_tensor *x = avs_ctx_tensor(ctx, 5, AVS_SHAPE(nb, b->frames, b->height, b->width, avs_action_channels(m)));
    if (!x) app_fail_status(avs_errcode());
    for (int i = 0; i < nb; i++) {
      const avs_manifest_clip *c = &mf->clips[order[start + i]];
      labels[i] = c->cls;
      double where = avs_rng_uniform(&crop); /* drawn either way: the same order with or without --cache */
      float **slot = cache ? &cache[order[start + i]] : NULL;
      if (avs_action_input_cached(m, c->video, slot ? 0.5 : where, slot, x->data + i * per_clip) < 0)
        app_fail_status(avs_errcode());
    }
    avs_optim_set_lr(opt, lr_at(o, step, steps_per_epoch * o->epochs));
    avs_optim_zero_grad(opt);
    avs_tensor *y = avs_action_model_forward(ctx, m, x);
    avs_tensor *loss = avs_cross_entropy(ctx, y, labels);
    if (!loss || avs_backward(ctx, loss)) app_fail_status(avs_errcode());
    if (!isfinite(loss->data[0]))
      app_fail("the loss is %g at epoch %d, clip %d: lower --lr or set --clip", loss->data[0], epoch + 1, start);
    if (o->clip_norm > 0) avs_clip_grad_norm(params, n_params, o->clip_norm);
    avs_optim_step(opt);
    st->loss += loss->data[0] * nb;
    for (int i = 0; i < nb; i++) {
      const float *l = y->data + (int64_t)i * b->classes;
      int best = 0;
      for (int k = 1; k < b->classes; k++)
        if (l[k] > l[best]) best = k;
      st->correct += best == labels[i];
    }
    st->seen += nb;
    app_progress_update(&pr, start + nb);
  }
  app_progress_end(&pr);
  st->loss /= (double)st->seen;
  avs_ctx_free(&ctx);
  free(order), free(labels);
}

typedef struct {
  app_progress pr;
} val_progress;
static void on_val(void *user, int done) { app_progress_update(&((val_progress *)user)->pr, done); }

static void validate(const avs_action_model *m, const avs_manifest *val, int batch, float **cache,
                     avs_action_score *s) {
  const char **videos = malloc(sizeof *videos * val->n);
  int *classes = malloc(sizeof *classes * val->n);
  if (!videos || !classes) app_fail("out of memory");
  for (int i = 0; i < val->n; i++) videos[i] = val->clips[i].video, classes[i] = val->clips[i].cls;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  if (!ctx || avs_action_score_init(s, val->n_classes)) app_fail_status(avs_errcode());
  val_progress vp;
  app_progress_start(&vp.pr, "validation", val->n);
  avs_action_eval_job job = {.videos = videos, .classes = classes, .n = val->n, .batch = batch,
                             .progress = on_val, .user = &vp, .cache = cache};
  if (avs_action_evaluate(ctx, m, &job, s)) app_fail_status(avs_errcode());
  app_progress_end(&vp.pr);
  avs_ctx_free(&ctx);
  free(videos), free(classes);
}

static void check_same_classes(const avs_manifest *a, const avs_manifest *b) {
  bool same = a->n_classes == b->n_classes;
  for (int i = 0; same && i < a->n_classes; i++) same = !strcmp(a->classes[i], b->classes[i]);
  if (!same) app_fail("%s and %s have different classes (meta.json)", a->path, b->path);
}

/* Appends one epoch's record to the history (a JSON array text). */
static void add_history(train_position *pos, int epoch, float lr, const epoch_stats *tr, const avs_action_score *val,
                        double seconds) {
  cJSON *h = cJSON_Parse(pos->history ? pos->history : "[]");
  if (!cJSON_IsArray(h)) h = cJSON_CreateArray();
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "epoch", epoch);
  cJSON_AddNumberToObject(e, "lr", lr);
  cJSON_AddNumberToObject(e, "train_loss", tr->loss);
  cJSON_AddNumberToObject(e, "train_top1", (double)tr->correct / (double)tr->seen);
  if (val) {
    cJSON_AddNumberToObject(e, "val_loss", avs_action_score_loss(val));
    cJSON_AddNumberToObject(e, "val_top1", avs_action_score_top1(val));
    cJSON_AddNumberToObject(e, "val_top5", avs_action_score_top5(val));
  }
  cJSON_AddNumberToObject(e, "seconds", seconds);
  cJSON_AddItemToArray(h, e);
  free(pos->history);
  pos->history = cJSON_Print(h);
  cJSON_Delete(h);
  if (!pos->history) app_fail("out of memory");
}

static char *default_ckpt_dir(const char *out) {
  size_t n = strlen(out);
  const char *ext = ".safetensors";
  size_t k = strlen(ext);
  char *d = malloc(n + 8);
  if (!d) app_fail("out of memory");
  if (n > k && !strcmp(out + n - k, ext)) n -= k;
  snprintf(d, n + 8, "%.*s.ckpt", (int)n, out);
  return d;
}

int avtrain_action(int argc, char **argv) {
  train_opts o = {.out = "action.safetensors", .optimizer = "adamw", .schedule = "cosine", .epochs = 10,
                  .batch = 8, .seed = 1, .lr = 1e-3f, .weight_decay = 1e-4f, .momentum = 0.9f};
  const app_opt opts[] = {
      {"manifest", 0, APP_STRING, &o.manifest, "training clips: an avdata manifest (required)", 0, 0},
      {"val", 0, APP_STRING, &o.val, "validation clips (default: val.jsonl beside --manifest if present; 'none': skip)", 0, 0},
      {"arch", 'a', APP_STRING, &o.arch, "architecture, see 'avact info' (required unless --resume)", 0, 0},
      {"hparams", 0, APP_STRING, &o.hparams, "hyperparameters KEY=VALUE,... (see 'avact info -m ARCH')", 0, 0},
      {"norm", 0, APP_STRING, &o.norm, "input normalisation preset (default: the architecture's; C3D's is raw 0..255)", 0, 0},
      {"epochs", 'e', APP_INT, &o.epochs, "passes over the training clips", 1, 10000},
      {"batch", 'b', APP_INT, &o.batch, "clips per step", 1, 4096},
      {"lr", 0, APP_FLOAT, &o.lr, "peak learning rate", 1e-8, 10},
      {"schedule", 0, APP_STRING, &o.schedule, "learning rate over the steps: cosine (to 0) or constant", 0, 0},
      {"optimizer", 0, APP_STRING, &o.optimizer, "adamw, adam or sgd (with --momentum)", 0, 0},
      {"weight-decay", 0, APP_FLOAT, &o.weight_decay, "weight decay (decoupled for adamw, L2 otherwise)", 0, 1},
      {"momentum", 0, APP_FLOAT, &o.momentum, "SGD momentum (Nesterov when > 0)", 0, 0.9999},
      {"clip", 0, APP_FLOAT, &o.clip_norm, "clip the gradients' joint L2 norm to this; 0: off", 0, 1e6},
      {"seed", 0, APP_INT, &o.seed, "initial weights, clip order, temporal crops, dropout", 0, 2147483647},
      {"out", 'o', APP_STRING, &o.out, "the trained model (best validation top-1)", 0, 0},
      {"checkpoints", 0, APP_STRING, &o.ckpt_dir, "checkpoint folder (default: OUT without .safetensors, plus .ckpt)", 0, 0},
      {"cache", 0, APP_FLAG, &o.cache,
       "keep every clip's model input in memory after its first read (no temporal jitter): flow models "
       "compute TV-L1 once instead of every epoch", 0, 0},
      {"resume", 0, APP_FLAG, &o.resume, "go on from the checkpoint in --checkpoints", 0, 0},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  if (!o.manifest) app_usage_error("--manifest is required");
  avs_norm norm;
  if (o.norm && avs_norm_preset(o.norm, &norm)) app_usage_error("--norm: %s", avs_errmsg());
  if (strcmp(o.schedule, "cosine") && strcmp(o.schedule, "constant"))
    app_usage_error("--schedule must be cosine or constant, not '%s'", o.schedule);
  bool sgd = !strcmp(o.optimizer, "sgd");
  if (!sgd && strcmp(o.optimizer, "adam") && strcmp(o.optimizer, "adamw"))
    app_usage_error("--optimizer must be adamw, adam or sgd, not '%s'", o.optimizer);
  char *ckpt_dir = o.ckpt_dir ? strdup(o.ckpt_dir) : default_ckpt_dir(o.out);

  avs_manifest *train = app_manifest_labelled(o.manifest), *val = NULL;
  char *val_path = NULL;
  if (o.val && strcmp(o.val, "none")) val_path = strdup(o.val);
  else if (!o.val) {
    char *d = strdup(o.manifest), *slash = strrchr(d, '/');
    size_t n = strlen(d) + 16;
    val_path = malloc(n);
    snprintf(val_path, n, "%s%s", slash ? (slash[1] = 0, d) : "", "val.jsonl");
    free(d);
    if (!app_file_exists(val_path) || !strcmp(val_path, o.manifest)) free(val_path), val_path = NULL;
  }
  if (val_path) {
    val = app_manifest_labelled(val_path);
    check_same_classes(train, val);
  }
  int val_n = val ? val->n : 0;

  avs_action_model *m = NULL;
  bool resumed = o.resume && checkpoint_load_model(ckpt_dir, &m);
  if (o.resume && !resumed) app_fail("--resume: no checkpoint in %s", ckpt_dir);
  if (!resumed && app_file_exists(ckpt_dir) && !o.resume) {
    char *last = malloc(strlen(ckpt_dir) + 20);
    sprintf(last, "%s/last.safetensors", ckpt_dir);
    if (app_file_exists(last))
      app_fail("%s already holds a checkpoint: add --resume to go on from it, or choose another --checkpoints", ckpt_dir);
    free(last);
  }
  if (resumed) {
    if (o.arch && strcmp(o.arch, m->arch->name))
      app_fail("the checkpoint in %s is a %s model, not --arch %s", ckpt_dir, m->arch->name, o.arch);
    if (avs_action_model_base(m)->classes != train->n_classes)
      app_fail("the checkpoint's model has %d classes but %s has %d", avs_action_model_base(m)->classes, o.manifest,
               train->n_classes);
  } else {
    m = new_model(&o, train);
  }
  char *labels = joined_labels(train);
  if (avs_params_set_meta(&m->params, "labels", labels)) app_fail_status(avs_errcode());
  free(labels);

  int n_params;
  avs_tensor **params = trainable(m, &n_params);
  avs_optim *opt = sgd ? avs_sgd_new(params, n_params, o.lr, o.momentum, o.weight_decay, o.momentum > 0)
                       : avs_adam_new(params, n_params, o.lr, 0, 0, 0, o.weight_decay, !strcmp(o.optimizer, "adamw"));
  if (!opt) app_usage_error("%s", avs_errmsg());
  train_position pos = {.epoch = 0, .best_top1 = -1, .history = NULL};
  if (resumed) {
    checkpoint_load_optim(ckpt_dir, opt, &pos);
    if (pos.epoch >= o.epochs) app_fail("the checkpoint in %s has already done %d of --epochs %d", ckpt_dir, pos.epoch, o.epochs);
    app_info("resuming %s after epoch %d", ckpt_dir, pos.epoch);
    if (o.hparams || o.norm) app_info("--hparams and --norm are the checkpoint's: the options given are not used");
  }
  const avs_action_base *b = avs_action_model_base(m);
  app_info("%s (%s), %lld parameters, %d classes, input %dx%dx%dx%d; %d training clips, %d validation clips",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), b->classes, avs_action_channels(m),
           b->frames, b->height, b->width, train->n, val_n);

  if (avs_action_channels(m) != 3 && !o.cache)
    app_info("%s reads TV-L1 flow: --cache computes it once instead of every epoch", m->arch->name);
  int64_t steps_per_epoch = (train->n + o.batch - 1) / o.batch;
  float **train_cache = NULL, **val_cache = NULL;
  if (o.cache) {
    double gb = (double)(train->n + val_n) * b->frames * b->height * b->width * avs_action_channels(m) * 4 / 1e9;
    app_info("--cache: up to %.2f GB of clips in memory", gb);
    train_cache = calloc((size_t)train->n, sizeof *train_cache);
    val_cache = calloc((size_t)(val_n ? val_n : 1), sizeof *val_cache);
    if (!train_cache || !val_cache) app_fail("out of memory");
  }
  for (int epoch = pos.epoch; epoch < o.epochs; epoch++) {
    double t0 = app_now();
    epoch_stats tr;
    train_epoch(&o, m, opt, params, n_params, train, train_cache, epoch, steps_per_epoch, &tr);
    avs_action_score vs = {0};
    if (val_n) validate(m, val, o.batch, val_cache, &vs);
    double seconds = app_now() - t0;
    float lr = avs_optim_lr(opt);
    add_history(&pos, epoch + 1, lr, &tr, val_n ? &vs : NULL, seconds);
    printf("epoch %3d/%d  loss %.4f  train top-1 %.4f", epoch + 1, o.epochs, tr.loss,
           (double)tr.correct / (double)tr.seen);
    if (val_n)
      printf("  val loss %.4f top-1 %.4f top-5 %.4f", avs_action_score_loss(&vs), avs_action_score_top1(&vs),
             avs_action_score_top5(&vs));
    printf("  lr %.3g  %.1f s\n", lr, seconds);
    fflush(stdout);
    bool better = val_n ? avs_action_score_top1(&vs) > pos.best_top1 : true;
    if (val_n && better) pos.best_top1 = avs_action_score_top1(&vs);
    pos.epoch = epoch + 1;
    char done[16];
    snprintf(done, sizeof done, "%d", pos.epoch);
    if (avs_params_set_meta(&m->params, "train.epoch", done)) app_fail_status(avs_errcode());
    if (better && avs_model_save(m, o.out)) app_fail_status(avs_errcode());
    checkpoint_save(ckpt_dir, m, opt, &pos);
    avs_action_score_free(&vs);
  }
  if (val_n) app_info("best validation top-1 %.4f, model in %s", pos.best_top1, o.out);
  else app_info("model in %s", o.out);
  for (int i = 0; o.cache && i < train->n; i++) free(train_cache[i]);
  for (int i = 0; o.cache && i < val_n; i++) free(val_cache[i]);
  free(train_cache), free(val_cache);
  avs_optim_free(&opt);
  free(params), free(pos.history), free(ckpt_dir), free(val_path);
  avs_manifest_free(&train);
  avs_manifest_free(&val);
  avs_model_free(&m);
  return 0;
}
