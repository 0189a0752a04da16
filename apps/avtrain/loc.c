/* avtrain loc: trains a sound-source localization model (LVS, EZ-VSL,
 * Senocak et al.) on any avdata manifest with video and audio. LVS and EZ-VSL
 * are self-supervised: a frame and the audio around it belong together, other
 * clips' audio does not; Senocak's objective adds the sounding objects' boxes
 * where the set has them. After every epoch: the objective and localization
 * on the validation clips (one fixed frame each), a result line, a
 * checkpoint; --out keeps the best validation objective. */
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
#include "fusion/loc_eval.h"
#include "nn/trainer.h"

static const char *usage =
    "Usage: avtrain loc --manifest TRAIN.jsonl [options]\n"
    "Trains a sound-source localization model from scratch on any avdata set with\n"
    "video and audio: each step pairs frames with the audio window around them, and\n"
    "the model learns which part of its own frame the audio matches against the\n"
    "other clips of the batch. Architectures: lvs (LVS, hard negatives from the own\n"
    "image), ezvsl (EZ-VSL, max over locations), senocak (audio-guided attention; it\n"
    "also learns from the sounding objects' boxes where the set has them). Validates\n"
    "the objective and cIoU on the validation clips after every epoch. Writes\n"
    "--out (best validation objective) and a checkpoint per epoch; --resume goes on.\n"
    "Example (the shipped model, scripts/train_loc.sh):\n"
    "  avtrain loc --manifest music/train.jsonl --arch senocak --hparams width=16,... --epochs 8";

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
  return t->loss(ctx, &m->params, m->cfg, b.images, b.spec, &(avs_loc_targets){b.gt, b.gt_silent});
}

static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n) {
  loc_job *j = user;
  return pair_loss(ctx, m, j->train, idx, n, &j->rng);
}

typedef struct {
  double ciou[2];   /* summed cIoU at the median (the protocol) and at 0.5 */
  int boxed;        /* maps scored */
  double silent;    /* summed share of the heat on silent objects (fusion/loc_eval.h) */
  int with_silent;  /* maps with a silent object and a defined share */
} val_scores;

/* Localization of one validation batch at the model's input size: each map
 * on the image against the sounding boxes (pixel masks from b->gt) and the
 * silent ones (b->gt_silent), added into v. */
static void score_maps(const avs_tensor *maps, const avs_loc_batch *b, int n, int size, val_scores *v) {
  size_t px = (size_t)size * size;
  float *heat = malloc(sizeof(float) * px), *scratch = malloc(sizeof(float) * px);
  uint8_t *g = malloc(px), *quiet = malloc(px);
  int h = (int)maps->shape[1], w = (int)maps->shape[2];
  for (int i = 0; heat && scratch && g && quiet && i < n; i++) {
    int area = 0, silent_area = 0;
    for (size_t k = 0; k < px; k++) area += (g[k] = b->gt[i * px + k] > 0.5f);
    for (size_t k = 0; k < px; k++) silent_area += (quiet[k] = b->gt_silent[i * px + k] > 0.5f);
    if (!area) continue;
    avs_loc_map_to_frame((const float *)maps->data + (size_t)i * h * w, h, w, heat, size, size);
    v->ciou[0] += avs_loc_ciou(heat, g, (int64_t)px, scratch);
    v->ciou[1] += avs_loc_ciou_at(heat, g, (int64_t)px, 0.5f, scratch);
    v->boxed++;
    double share = silent_area ? avs_loc_silent_share(heat, g, quiet, (int64_t)px) : NAN;
    if (!isnan(share)) v->silent += share, v->with_silent++;
  }
  free(heat), free(scratch), free(g), free(quiet);
}

/* A size x size mask's mean over each cell of an h x w grid (avs_loc_box_grid's cells). */
static void cell_means(const float *mask, int size, int h, int w, float *grid) {
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++) {
      int y0 = i * size / h, y1 = (i + 1) * size / h, x0 = j * size / w, x1 = (j + 1) * size / w;
      double s = 0;
      for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) s += mask[y * size + x];
      int cells = (y1 - y0) * (x1 - x0);
      grid[i * w + j] = cells ? (float)(s / cells) : 0.0f;
    }
}

/* Over the validation clips in batches of --batch (a fixed draw of frames, so
 * that epochs compare), eval mode: the objective (its negative is the score)
 * and, where the clips have boxes, mean cIoU at the median and at 0.5 and the
 * share of the heat on silent objects. */
static int validate(void *user, const avs_model *m, double *score, cJSON *rec) {
  loc_job *j = user;
  int n = j->val->n_clips, b = j->o->c.batch < n ? j->o->c.batch : n, batches = 0;
  val_scores v = {0};
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  int *idx = malloc(sizeof(int) * (size_t)b);
  if (!ctx || !idx) {
    avs_ctx_free(&ctx), free(idx);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  avs_rng rng;
  avs_rng_seed(&rng, 12345);
  double total = 0;
  int rc = AVS_OK, size = j->val->g.width;
  const avs_loc_task *t = avs_loc_task_of(m->arch);
  struct avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  for (int s = 0; !rc && s + b <= n; s += b, batches++) {
    avs_ctx_reset(ctx);
    for (int i = 0; i < b; i++) idx[i] = s + i;
    avs_loc_batch bt;
    int h = 0, w = 0;
    t->grid(m->cfg, &h, &w);
    rc = avs_loc_batch_make(ctx, j->val, idx, b, &rng, size, size, &bt);
    float *grid_gt = NULL;
    if (!rc && t->uses_boxes) { /* the objective's boxes on its own grid: the pixel masks' cell means */
      size_t px = (size_t)size * size, cells = (size_t)h * w;
      if (!(grid_gt = malloc(sizeof(float) * 2 * b * cells))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
      for (int i = 0; grid_gt && i < b; i++) {
        cell_means(bt.gt + i * px, size, h, w, grid_gt + i * cells);
        cell_means(bt.gt_silent + i * px, size, h, w, grid_gt + (b + i) * cells);
      }
    }
    avs_loc_targets targets = {grid_gt, grid_gt ? grid_gt + (size_t)b * h * w : NULL};
    avs_tensor *loss = rc ? NULL : t->loss(ctx, &m->params, m->cfg, bt.images, bt.spec, grid_gt ? &targets : NULL);
    if (!rc && !loss) rc = avs_errcode();
    if (!rc) total += *(const float *)loss->data;
    avs_tensor *maps = rc ? NULL : t->heatmap(ctx, &m->params, m->cfg, bt.images, bt.spec);
    if (!rc && !maps) rc = avs_errcode();
    if (!rc) score_maps(maps, &bt, b, size, &v);
    free(grid_gt);
  }
  avs_ctx_swap_fold(ctx, prev);
  avs_ctx_free(&ctx), free(idx);
  if (rc) return rc;
  double mean = batches ? total / batches : 0;
  *score = -mean;
  cJSON_AddNumberToObject(rec, "val_loss", mean);
  if (v.boxed) {
    cJSON_AddNumberToObject(rec, "val_ciou", v.ciou[0] / v.boxed);
    cJSON_AddNumberToObject(rec, "val_ciou50", v.ciou[1] / v.boxed);
  }
  if (v.with_silent) cJSON_AddNumberToObject(rec, "val_silent_share", v.silent / v.with_silent);
  return AVS_OK;
}

static void epoch_end(void *user, const cJSON *rec) {
  loc_job *j = user;
  printf("epoch %3d/%d  loss %.4f", (int)train_field(rec, "epoch"), j->o->c.epochs, train_field(rec, "train_loss"));
  if (j->val) printf("  val loss %.4f", train_field(rec, "val_loss"));
  if (cJSON_GetObjectItemCaseSensitive(rec, "val_ciou"))
    printf("  cIoU %.3f (median) %.3f (at 0.5)", train_field(rec, "val_ciou"), train_field(rec, "val_ciou50"));
  if (cJSON_GetObjectItemCaseSensitive(rec, "val_silent_share"))
    printf("  silent share %.3f", train_field(rec, "val_silent_share"));
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
  /* Defaults: the shipped model's recipe (scripts/train_loc.sh) but its size. */
  loc_opts o = {.c = {.arch = "senocak", .out = "loc.safetensors", .optimizer = "adam", .schedule = "cosine",
                      .epochs = 40, .batch = 32, .seed = 1, .lr = 1e-3f, .momentum = 0.9f},
                .frames = 8, .val_clips = 64};
  const app_opt opts[] = {
      TRAIN_COMMON_OPTS(o.c, "training clips", "clips", "best validation objective"),
      {"frames", 0, APP_INT, &o.frames, "frames kept per clip, spread over it (a pair draws one)", 1, 64},
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips", 2, 100000},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  static const char *const recipe[] = {TRAIN_RECIPE, "frames", "val-clips", NULL};
  char *ckpt_dir = train_common_check(&o.c, opts, recipe);
  if (o.c.batch < 2) app_usage_error("--batch must be at least 2: the other clips of a batch are the negatives");

  avs_manifest *train_mf = app_manifest_audio(o.c.manifest), *val_mf = NULL;
  if (train_mf->n < o.c.batch) app_usage_error("--batch %d is more than the %d training clips", o.c.batch, train_mf->n);
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
  if (val_mf) {
    avs_manifest first = *val_mf; /* its first --val-clips clips */
    if (first.n > o.val_clips) first.n = o.val_clips;
    if (first.n >= 2) job.val = load_set(&first, &g, 1, "reading validation clips");
    else app_warn("%s has fewer than 2 clips: no validation", val_path);
  }
  app_info("%d training clips (%d frames each), %d validation clips", job.train->n_clips, o.frames,
           job.val ? job.val->n_clips : 0);
  avs_trainer_task task = {.user = &job, .n_train = job.train->n_clips, .has_validation = job.val != NULL,
                           .n_val = job.val ? job.val->n_clips : 0, .epoch_begin = epoch_begin, .loss = batch_loss,
                           .validate = validate, .epoch_end = epoch_end, .progress = train_progress_update,
                           .progress_user = &job.progress};
  train_run(trainer, &task);
  if (job.val) app_info("best validation objective %.4f, model in %s", -avs_trainer_best(trainer), o.c.out);
  else app_info("model in %s", o.c.out);
  avs_trainer_free(&trainer);
  avs_loc_set_free(&job.train);
  avs_loc_set_free(&job.val);
  avs_manifest_free(&train_mf);
  avs_manifest_free(&val_mf);
  avs_model_free(&m);
  train_common_free(&o.c);
  free(ckpt_dir), free(val_path);
  return 0;
}
