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
#include "apps/avtrain/common.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "nn/trainer.h"
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
  train_common c;
  const char *norm;
  bool cache;
} train_opts;

static char *joined_labels(const avs_manifest *mf) {
  size_t n = 1;
  for (int i = 0; i < mf->n_classes; i++) n += strlen(mf->classes[i]) + 1;
  char *s = calloc(n, 1);
  if (!s) app_fail("out of memory");
  for (int i = 0; i < mf->n_classes; i++) strcat(strcat(s, mf->classes[i]), i + 1 < mf->n_classes ? "\n" : "");
  return s;
}

/* The frame rate the model trains at: clips are read at their own rate, so the
 * training clips' rate when they share one (the manifest's "fps"), else 0. */
static double training_fps(const avs_manifest *mf) {
  double fps = mf->n ? mf->clips[0].fps : 0;
  for (int i = 1; i < mf->n && fps > 0; i++)
    if (mf->clips[i].fps != fps) fps = 0;
  return fps > 0 && fps <= 1000 ? fps : 0;
}

/* Records it as metadata "fps" (avact classify samples at it by default). */
static void record_fps(avs_model *m, const avs_manifest *mf) {
  char fps[32];
  snprintf(fps, sizeof fps, "%.17g", training_fps(mf));
  if (!training_fps(mf))
    app_info("the training clips have no common frame rate: the model records none (avact samples each video at its own)");
  else if (avs_params_set_meta(&m->params, "fps", fps))
    app_fail_status(avs_errcode());
}

static avs_action_model *new_model(const train_opts *o, const avs_manifest *mf) {
  if (!o->c.arch) app_usage_error("--arch is required (see 'avact info' for the architectures)");
  const avs_action_arch *a = avs_action_arch_find(o->c.arch);
  if (!a) app_usage_error("--arch: %s", avs_errmsg());
  if (o->c.hparams && strstr(o->c.hparams, "classes="))
    app_usage_error("--hparams: the classes come from the manifest's meta.json");
  void *cfg = malloc(a->cfg_size);
  if (!cfg) app_fail("out of memory");
  memcpy(cfg, a->cfg_default, a->cfg_size);
  ((avs_action_base *)cfg)->classes = mf->n_classes;
  /* everything is released before failing: no exit path leaks (sanitizer build) */
  if (o->c.hparams && avs_cfg_parse(a, cfg, o->c.hparams)) {
    free(cfg);
    app_usage_error("--hparams: %s", avs_errmsg());
  }
  avs_action_model *m = NULL;
  int rc = avs_action_model_new(a->name, cfg, &m);
  free(cfg);
  if (!rc) rc = avs_model_init(m, (uint64_t)o->c.seed);
  if (!rc && o->norm) rc = avs_params_set_meta(&m->params, "norm", o->norm);
  if (rc) {
    avs_model_free(&m);
    app_fail_status(rc);
  }
  return m;
}

/* What the trainer's hooks share: the data, the per-epoch random crops and
 * training statistics, the input caches. */
typedef struct {
  const train_opts *o;
  const avs_manifest *train, *val;
  float **train_cache, **val_cache;
  avs_rng crop;
  int64_t correct, seen;
  int *labels;
  train_progress progress;
} action_job;

static void epoch_begin(void *user, int epoch) {
  action_job *j = user;
  avs_rng_seed(&j->crop, (uint64_t)j->o->c.seed * 31 + (uint64_t)epoch * 7919 + 3);
  j->correct = j->seen = 0;
}

/* Cross-entropy of a batch of clips (a random temporal crop of longer videos). */
static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int nb) {
  action_job *j = user;
  const avs_action_base *b = avs_action_model_base(m);
  int64_t per_clip = (int64_t)b->frames * b->height * b->width * avs_action_channels(m);
  avs_tensor *x = avs_ctx_tensor(ctx, 5, AVS_SHAPE(nb, b->frames, b->height, b->width, avs_action_channels(m)));
  if (!x) return NULL;
  for (int i = 0; i < nb; i++) {
    const avs_manifest_clip *c = &j->train->clips[idx[i]];
    j->labels[i] = c->cls;
    double where = avs_rng_uniform(&j->crop); /* drawn either way: the same order with or without --cache */
    float **slot = j->train_cache ? &j->train_cache[idx[i]] : NULL;
    if (avs_action_input_cached(m, c->video, slot ? 0.5 : where, slot, x->data + i * per_clip) < 0) return NULL;
  }
  avs_tensor *y = avs_action_model_forward(ctx, m, x);
  avs_tensor *loss = avs_cross_entropy(ctx, y, j->labels);
  for (int i = 0; loss && i < nb; i++) {
    const float *l = y->data + (int64_t)i * b->classes;
    int best = 0;
    for (int k = 1; k < b->classes; k++)
      if (l[k] > l[best]) best = k;
    j->correct += best == j->labels[i];
  }
  j->seen += nb;
  return loss;
}

static void train_record(void *user, cJSON *rec) {
  action_job *j = user;
  cJSON_AddNumberToObject(rec, "train_top1", (double)j->correct / (double)j->seen);
}

typedef struct {
  app_progress pr;
} val_progress;
static void on_val(void *user, int done) { app_progress_update(&((val_progress *)user)->pr, done); }

static int validate(void *user, const avs_model *m, double *score, cJSON *rec) {
  action_job *j = user;
  const avs_manifest *val = j->val;
  const char **videos = malloc(sizeof *videos * val->n);
  int *classes = malloc(sizeof *classes * val->n);
  if (!videos || !classes) app_fail("out of memory");
  for (int i = 0; i < val->n; i++) videos[i] = val->clips[i].video, classes[i] = val->clips[i].cls;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_action_score s = {0};
  if (!ctx || avs_action_score_init(&s, val->n_classes)) app_fail_status(avs_errcode());
  val_progress vp;
  app_progress_start(&vp.pr, "validation", val->n);
  avs_action_eval_job job = {.videos = videos, .classes = classes, .n = val->n, .batch = j->o->c.batch,
                             .progress = on_val, .user = &vp, .cache = j->val_cache};
  int rc = avs_action_evaluate(ctx, m, &job, &s);
  app_progress_end(&vp.pr);
  if (!rc) {
    *score = avs_action_score_top1(&s);
    cJSON_AddNumberToObject(rec, "val_loss", avs_action_score_loss(&s));
    cJSON_AddNumberToObject(rec, "val_top1", avs_action_score_top1(&s));
    cJSON_AddNumberToObject(rec, "val_top5", avs_action_score_top5(&s));
  }
  avs_action_score_free(&s);
  avs_ctx_free(&ctx);
  free(videos), free(classes);
  return rc;
}

static void epoch_end(void *user, const cJSON *rec) {
  action_job *j = user;
  printf("epoch %3d/%d  loss %.4f  train top-1 %.4f", (int)train_field(rec, "epoch"), j->o->c.epochs, train_field(rec, "train_loss"),
         train_field(rec, "train_top1"));
  if (j->val)
    printf("  val loss %.4f top-1 %.4f top-5 %.4f", train_field(rec, "val_loss"), train_field(rec, "val_top1"),
           train_field(rec, "val_top5"));
  printf("  lr %.3g  %.1f s\n", train_field(rec, "lr"), train_field(rec, "seconds"));
  fflush(stdout);
}

static void check_same_classes(const avs_manifest *a, const avs_manifest *b) {
  bool same = a->n_classes == b->n_classes;
  for (int i = 0; same && i < a->n_classes; i++) same = !strcmp(a->classes[i], b->classes[i]);
  if (!same) app_fail("%s and %s have different classes (meta.json)", a->path, b->path);
}

int avtrain_action(int argc, char **argv) {
  train_opts o = {.c = {.out = "action.safetensors", .optimizer = "adamw", .schedule = "cosine", .epochs = 10,
                        .batch = 8, .seed = 1, .lr = 1e-3f, .weight_decay = 1e-4f, .momentum = 0.9f}};
  const app_opt opts[] = {
      TRAIN_COMMON_OPTS(o.c, "training clips", "clips", "best validation top-1"),
      {"norm", 0, APP_STRING, &o.norm, "input normalisation preset (default: the architecture's; C3D's is raw 0..255)", 0, 0},
      {"cache", 0, APP_FLAG, &o.cache,
       "keep every clip's model input in memory after its first read (no temporal jitter): flow models "
       "compute TV-L1 once instead of every epoch", 0, 0},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  static const char *const recipe[] = {TRAIN_RECIPE, "cache", NULL};
  char *ckpt_dir = train_common_check(&o.c, opts, recipe);
  avs_norm norm;
  if (o.norm && avs_norm_preset(o.norm, &norm)) app_usage_error("--norm: %s", avs_errmsg());

  avs_manifest *train = app_manifest_labelled(o.c.manifest), *val = NULL;
  char *val_path = train_val_path(&o.c);
  if (val_path) {
    val = app_manifest_labelled(val_path);
    check_same_classes(train, val);
  }
  int val_n = val ? val->n : 0;

  static const char *const kept[] = {"labels", "norm", NULL};
  avs_model *m = train_checkpoint_model(&o.c, ckpt_dir, AVS_KIND_ACTION, kept);
  bool resumed = m != NULL;
  if (resumed) {
    if (avs_action_model_base(m)->classes != train->n_classes)
      app_fail("the checkpoint's model has %d classes but %s has %d", avs_action_model_base(m)->classes, o.c.manifest,
               train->n_classes);
  } else {
    m = new_model(&o, train);
  }
  char *labels = joined_labels(train);
  if (avs_params_set_meta(&m->params, "labels", labels)) app_fail_status(avs_errcode());
  free(labels);
  record_fps(m, train);

  avs_trainer *trainer = train_start(&o.c, m, ckpt_dir);
  if (resumed && (o.c.hparams || o.norm)) app_info("--hparams and --norm are the checkpoint's: the options given are not used");
  const avs_action_base *b = avs_action_model_base(m);
  app_info("%s (%s), %lld parameters, %d classes, input %dx%dx%dx%d; %d training clips, %d validation clips",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), b->classes, avs_action_channels(m),
           b->frames, b->height, b->width, train->n, val_n);

  if (avs_action_channels(m) != 3 && !o.cache)
    app_info("%s reads TV-L1 flow: --cache computes it once instead of every epoch", m->arch->name);
  float **train_cache = NULL, **val_cache = NULL;
  if (o.cache) {
    double gb = (double)(train->n + val_n) * b->frames * b->height * b->width * avs_action_channels(m) * 4 / 1e9;
    app_info("--cache: up to %.2f GB of clips in memory", gb);
    train_cache = calloc((size_t)train->n, sizeof *train_cache);
    val_cache = calloc((size_t)(val_n ? val_n : 1), sizeof *val_cache);
    if (!train_cache || !val_cache) app_fail("out of memory");
  }
  action_job job = {.o = &o, .train = train, .val = val, .train_cache = train_cache, .val_cache = val_cache,
                    .progress = {.epochs = o.c.epochs},
                    .labels = malloc(sizeof(int) * (size_t)o.c.batch)};
  if (!job.labels) app_fail("out of memory");
  avs_trainer_task task = {.user = &job, .n_train = train->n, .has_validation = val_n > 0, .n_val = val_n,
                           .epoch_begin = epoch_begin, .loss = batch_loss, .train_record = train_record,
                           .validate = validate, .epoch_end = epoch_end, .progress = train_progress_update,
                           .progress_user = &job.progress};
  train_run(trainer, &task);
  if (val_n) app_info("best validation top-1 %.4f, model in %s", avs_trainer_best(trainer), o.c.out);
  else app_info("model in %s", o.c.out);
  for (int i = 0; o.cache && i < train->n; i++) free(train_cache[i]);
  for (int i = 0; o.cache && i < val_n; i++) free(val_cache[i]);
  free(train_cache), free(val_cache);
  avs_trainer_free(&trainer);
  train_common_free(&o.c);
  free(job.labels), free(ckpt_dir), free(val_path);
  avs_manifest_free(&train);
  avs_manifest_free(&val);
  avs_model_free(&m);
  return 0;
}
