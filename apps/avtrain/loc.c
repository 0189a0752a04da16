/* avtrain loc: trains a sound-source localization model (LVS, EZ-VSL) on any
 * avdata manifest with video and audio. The objectives are self-supervised:
 * a frame and the audio around it belong together, other clips' audio does
 * not; boxes are not read. After every epoch: the objective on the
 * validation clips (one fixed frame each), a result line, a checkpoint;
 * --out keeps the best validation objective. */
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
#include "av/avs.h"
#include "fusion/loc_data.h"
#include "nn/trainer.h"

static const char *usage =
    "Usage: avtrain loc --manifest TRAIN.jsonl [options]\n"
    "Trains a sound-source localization model from scratch on any avdata set with\n"
    "video and audio (no boxes needed): each step pairs frames with the audio\n"
    "window around them, and the model learns which part of its own frame the\n"
    "audio matches against the other clips of the batch. Architectures: lvs (LVS,\n"
    "hard negatives from the own image), ezvsl (EZ-VSL, max over locations).\n"
    "Validates the objective on the validation clips after every epoch. Writes\n"
    "--out (best validation objective) and a checkpoint per epoch; --resume goes on.\n"
    "Example (the shipped model, scripts/train_loc.sh):\n"
    "  avtrain loc --manifest music/train.jsonl --arch ezvsl --hparams width=16,... --epochs 20";

typedef struct {
  train_common c;
  int frames, val_clips;
} loc_opts;

typedef struct {
  const loc_opts *o;
  avs_loc_set *train, *val;
  avs_rng rng;
  train_progress progress;
} loc_job;

static void epoch_begin(void *user, int epoch) {
  loc_job *j = user;
  avs_rng_seed(&j->rng, (uint64_t)j->o->c.seed * 7919 + (uint64_t)epoch * 104729 + 11);
}

/* The objective of pairs idx[0..n) of set s (with the boxes on the map's grid
 * for the objectives that use them). */
static avs_tensor *pair_loss(avs_ctx *ctx, const avs_model *m, const avs_loc_set *s, const int *idx, int n,
                             avs_rng *rng) {
  const avs_loc_task *t = avs_loc_task_of(m->arch);
  int h = 0, w = 0;
  if (t->uses_boxes) t->grid(m->cfg, &h, &w);
  avs_loc_batch b;
  if (avs_loc_batch_make(ctx, s, idx, n, rng, h, w, &b)) return NULL;
  return t->loss(ctx, &m->params, m->cfg, b.images, b.spec, b.gt);
}

static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n) {
  loc_job *j = user;
  return pair_loss(ctx, m, j->train, idx, n, &j->rng);
}

/* The objective in eval mode over the validation clips in batches of --batch
 * (a fixed draw of frames, so that epochs compare); the score is its negative. */
static int validate(void *user, const avs_model *m, double *score, cJSON *rec) {
  loc_job *j = user;
  int n = j->val->n_clips, b = j->o->c.batch < n ? j->o->c.batch : n, batches = 0;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  int *idx = malloc(sizeof(int) * (size_t)b);
  if (!ctx || !idx) {
    avs_ctx_free(&ctx), free(idx);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  avs_rng rng;
  avs_rng_seed(&rng, 12345);
  double total = 0;
  int rc = AVS_OK;
  struct avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  for (int s = 0; !rc && s + b <= n; s += b, batches++) {
    avs_ctx_reset(ctx);
    for (int i = 0; i < b; i++) idx[i] = s + i;
    avs_tensor *loss = pair_loss(ctx, m, j->val, idx, b, &rng);
    if (!loss) rc = avs_errcode();
    else total += *(const float *)loss->data;
  }
  avs_ctx_swap_fold(ctx, prev);
  avs_ctx_free(&ctx), free(idx);
  if (rc) return rc;
  double mean = batches ? total / batches : 0;
  *score = -mean;
  cJSON_AddNumberToObject(rec, "val_loss", mean);
  return AVS_OK;
}

static void epoch_end(void *user, const cJSON *rec) {
  loc_job *j = user;
  printf("epoch %3d/%d  loss %.4f", (int)train_field(rec, "epoch"), j->o->c.epochs, train_field(rec, "train_loss"));
  if (j->val) printf("  val loss %.4f", train_field(rec, "val_loss"));
  printf("  lr %.3g  %.1f s\n", train_field(rec, "lr"), train_field(rec, "seconds"));
  fflush(stdout);
}

static void on_load(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

static avs_loc_set *load_set(const avs_manifest *mf, const avs_loc_geometry *g, int frames, const char *what) {
  app_progress pr;
  app_progress_start(&pr, what, mf->n);
  avs_loc_set *s = NULL;
  if (avs_loc_set_load(mf, g, frames, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  return s;
}

int avtrain_loc(int argc, char **argv) {
  loc_opts o = {.c = {.arch = "ezvsl", .out = "loc.safetensors", .optimizer = "adam", .schedule = "constant",
                      .epochs = 20, .batch = 32, .seed = 1, .lr = 1e-4f, .momentum = 0.9f},
                .frames = 8, .val_clips = 64};
  const app_opt opts[] = {
      TRAIN_COMMON_OPTS(o.c, "training clips", "clips", "best validation objective"),
      {"frames", 0, APP_INT, &o.frames, "frames kept per clip, spread over it (a pair draws one)", 1, 64},
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips", 2, 100000},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  char *ckpt_dir = train_common_check(&o.c);
  if (o.c.batch < 2) app_usage_error("--batch must be at least 2: the other clips of a batch are the negatives");

  avs_manifest *train_mf = app_manifest_audio(o.c.manifest), *val_mf = NULL;
  char *val_path = train_val_path(&o.c);
  if (val_path) val_mf = app_manifest_audio(val_path);
  avs_model *m = train_checkpoint_model(&o.c, ckpt_dir, AVS_KIND_LOCALIZATION, NULL);
  if (!m) m = train_new_model(&o.c, AVS_KIND_LOCALIZATION);
  avs_trainer *trainer = train_start(&o.c, m, ckpt_dir);
  avs_loc_geometry g;
  avs_loc_model_geometry(m, &g);
  app_info("%s (%s), %lld parameters; image %dx%d, audio %d Hz, %d samples -> %dx%d", m->arch->name, m->arch->title,
           (long long)avs_params_numel(&m->params), g.width, g.height, g.rate, g.samples, g.bins, g.time);

  loc_job job = {.o = &o, .progress = {.epochs = o.c.epochs}};
  job.train = load_set(train_mf, &g, o.frames, "reading training clips");
  if (job.train->n_clips < o.c.batch) app_usage_error("--batch %d is more than the %d training clips", o.c.batch,
                                                      job.train->n_clips);
  if (val_mf) {
    avs_manifest first = *val_mf; /* its first --val-clips clips */
    if (first.n > o.val_clips) first.n = o.val_clips;
    if (first.n >= 2) job.val = load_set(&first, &g, 1, "reading validation clips");
    else app_warn("%s has fewer than 2 clips: no validation", val_path);
  }
  app_info("%d training clips (%d frames each), %d validation clips", job.train->n_clips, o.frames,
           job.val ? job.val->n_clips : 0);
  avs_trainer_task task = {.user = &job, .n_train = job.train->n_clips, .has_validation = job.val != NULL,
                           .epoch_begin = epoch_begin, .loss = batch_loss, .validate = validate,
                           .epoch_end = epoch_end, .progress = train_progress_update, .progress_user = &job.progress};
  if (avs_trainer_run(trainer, &task)) app_fail_status(avs_errcode());
  if (job.val) app_info("best validation objective %.4f, model in %s", -avs_trainer_best(trainer), o.c.out);
  else app_info("model in %s", o.c.out);
  avs_trainer_free(&trainer);
  avs_loc_set_free(&job.train);
  avs_loc_set_free(&job.val);
  avs_manifest_free(&train_mf);
  avs_manifest_free(&val_mf);
  avs_model_free(&m);
  free(ckpt_dir), free(val_path);
  return 0;
}
