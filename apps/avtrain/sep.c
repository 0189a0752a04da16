/* avtrain sep: trains a visually guided separation model (Sound of Pixels or
 * another separation architecture) by mix-and-separate on an avdata music or
 * speech set: each step mixes --mix clips, and every object of them (sounding
 * or silent) is separated from its own box crops against its stem's mask. The
 * data are read once (stems' windows and crops in memory). After every epoch:
 * validation SDR/SIR/SAR on the natural mixtures of the validation clips
 * (each object by its box), a result line, a checkpoint; --out keeps the best
 * validation SDR. */
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
#include "fusion/sep_data.h"
#include "fusion/sep_eval.h"
#include "nn/trainer.h"

static const char *usage =
    "Usage: avtrain sep --manifest TRAIN.jsonl [options]\n"
    "Trains a visually guided separation model from scratch by mix-and-separate on an\n"
    "avdata set with stems and boxes (avdata synth --kind music): each step sums the\n"
    "windows of --mix clips and separates every object in view from its box crops;\n"
    "silent objects learn silence. Validates SDR on the natural mixtures of the\n"
    "validation clips after every epoch. Writes --out (best validation SDR) and a\n"
    "checkpoint per epoch in --checkpoints; --resume goes on from there.\n"
    "Example (the shipped model, scripts/train_sep.sh):\n"
    "  avtrain sep --manifest music/train.jsonl --arch sop --hparams ngf=16,... --epochs 20";

typedef struct {
  train_common c;
  const char *mask;
  int mix, val_clips;
} sep_opts;

typedef struct {
  const sep_opts *o;
  avs_sep_set *train, *val;
  avs_sep_audio *fe;
  avs_rng rng;
  int *val_clips, n_val;
  train_progress progress;
} sep_job;

static void epoch_begin(void *user, int epoch) {
  sep_job *j = user;
  avs_rng_seed(&j->rng, (uint64_t)j->o->c.seed * 7919 + (uint64_t)epoch * 104729 + 5);
}

/* Weighted binary cross-entropy (SoP) or weighted L1 on ratio masks. */
static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n) {
  (void)idx;
  sep_job *j = user;
  bool ratio = !strcmp(j->o->mask, "ratio");
  avs_sep_batch b;
  avs_sep_batch_opts bo = {.mix = j->o->mix, .ratio = ratio};
  if (avs_sep_batch_make(ctx, j->fe, j->train, &bo, n, &j->rng, &b)) return NULL;
  avs_tensor *logits = avs_sep_model_forward(ctx, m, b.logmag, b.crops, b.mix_of);
  if (!ratio) return avs_bce_logits_loss(ctx, logits, b.target, b.weight);
  avs_tensor *diff = avs_sub(ctx, avs_sigmoid(ctx, logits), b.target);
  /* |x| = relu(x) + relu(-x): the weighted L1 of SoP's ratio masks. */
  avs_tensor *abs = avs_add(ctx, avs_relu(ctx, diff), avs_relu(ctx, avs_scale(ctx, diff, -1.0f)));
  return avs_mean(ctx, avs_mul(ctx, abs, b.weight));
}

static int validate(void *user, const avs_model *m, double *score, cJSON *rec) {
  sep_job *j = user;
  double sdr = 0, sir = 0, sar = 0, silent = 0;
  int n = 0, n_silent = 0;
  app_progress pr;
  app_progress_start(&pr, "validation", j->n_val);
  for (int i = 0; i < j->n_val; i++) {
    avs_sep_eval_result r;
    int rc = avs_sep_eval_mixture(m, j->val, &j->val_clips[i], 1, false, &r);
    if (rc) return rc;
    for (int k = 0; k < r.n_sounding; k++) sdr += r.sdr[k], sir += r.sir[k], sar += r.sar[k], n++;
    for (int k = 0; k < r.n_silent; k++) silent += r.silent_db[k], n_silent++;
    app_progress_update(&pr, i + 1);
  }
  app_progress_end(&pr);
  *score = n ? sdr / n : -1e9;
  cJSON_AddNumberToObject(rec, "val_sdr", n ? sdr / n : 0);
  cJSON_AddNumberToObject(rec, "val_sir", n ? sir / n : 0);
  cJSON_AddNumberToObject(rec, "val_sar", n ? sar / n : 0);
  if (n_silent) cJSON_AddNumberToObject(rec, "val_silent_db", silent / n_silent);
  return AVS_OK;
}

static void epoch_end(void *user, const cJSON *rec) {
  sep_job *j = user;
  printf("epoch %3d/%d  loss %.4f", (int)train_field(rec, "epoch"), j->o->c.epochs, train_field(rec, "train_loss"));
  if (j->n_val) {
    printf("  val SDR %.2f SIR %.2f SAR %.2f dB", train_field(rec, "val_sdr"), train_field(rec, "val_sir"), train_field(rec, "val_sar"));
    if (cJSON_GetObjectItemCaseSensitive(rec, "val_silent_db"))
      printf("  silent %.1f dB", train_field(rec, "val_silent_db"));
  }
  printf("  lr %.3g  %.1f s\n", train_field(rec, "lr"), train_field(rec, "seconds"));
  fflush(stdout);
}

static void on_load(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

static avs_sep_set *load_set(const avs_manifest *mf, const avs_sep_geometry *g, const char *what) {
  app_progress pr;
  app_progress_start(&pr, what, mf->n);
  avs_sep_set *s = NULL;
  if (avs_sep_set_load(mf, g, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  return s;
}

int avtrain_sep(int argc, char **argv) {
  sep_opts o = {.c = {.arch = "sop", .out = "sep.safetensors", .optimizer = "adam", .schedule = "constant",
                      .epochs = 20, .batch = 8, .seed = 1, .lr = 1e-3f, .momentum = 0.9f},
                .mask = "binary", .mix = 2, .val_clips = 40};
  const app_opt opts[] = {
      TRAIN_COMMON_OPTS(o.c, "training clips (one mixture per clip)", "mixtures", "best validation SDR"),
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips with 2+ sources", 1, 100000},
      {"mix", 0, APP_INT, &o.mix, "clips mixed per training mixture (Sound of Pixels' N)", 1, 8},
      {"mask", 0, APP_STRING, &o.mask, "target masks: binary (weighted BCE, as SoP) or ratio (weighted L1)", 0, 0},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  static const char *const recipe[] = {TRAIN_RECIPE, "mix", "mask", "val-clips", NULL};
  char *ckpt_dir = train_common_check(&o.c, opts, recipe);
  if (strcmp(o.mask, "binary") && strcmp(o.mask, "ratio")) app_usage_error("--mask must be binary or ratio");

  avs_manifest *train_mf = app_manifest_stems(o.c.manifest), *val_mf = NULL;
  char *val_path = train_val_path(&o.c);
  if (val_path) val_mf = app_manifest_stems(val_path);
  avs_model *m = train_checkpoint_model(&o.c, ckpt_dir, AVS_KIND_SEPARATION, NULL);
  if (!m) m = train_new_model(&o.c, AVS_KIND_SEPARATION);
  avs_trainer *trainer = train_start(&o.c, m, ckpt_dir);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  app_info("%s (%s), %lld parameters; audio %d Hz, %d samples -> %dx%d; %d frames of %dx%d per source",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), g.rate, g.samples, g.freq, g.time,
           g.frames, g.height, g.width);

  sep_job job = {.o = &o, .progress = {.epochs = o.c.epochs}};
  job.train = load_set(train_mf, &g, "reading training clips");
  if (val_mf) {
    job.val = load_set(val_mf, &g, "reading validation clips");
    job.val_clips = malloc(sizeof(int) * (size_t)val_mf->n);
    if (!job.val_clips) app_fail("out of memory");
    for (int c = 0; c < val_mf->n && job.n_val < o.val_clips; c++) {
      int sounding = 0;
      for (int k = 0; k < job.val->count[c]; k++) sounding += job.val->obj[job.val->first[c] + k].wave != NULL;
      if (sounding >= 2) job.val_clips[job.n_val++] = c;
    }
    if (!job.n_val) app_warn("%s has no clip with two or more sources: no validation", val_path);
  }
  if (avs_sep_audio_new(m, &job.fe)) app_fail_status(avs_errcode());
  app_info("%d training clips (%d objects), %d validation mixtures", job.train->n_clips, job.train->n_obj, job.n_val);
  avs_trainer_task task = {.user = &job, .n_train = job.train->n_clips, .has_validation = job.n_val > 0,
                           .n_val = job.n_val,
                           .epoch_begin = epoch_begin, .loss = batch_loss, 
                           .validate = validate, .epoch_end = epoch_end, .progress = train_progress_update, .progress_user = &job.progress};
  train_run(trainer, &task);
  if (job.n_val) app_info("best validation SDR %.2f dB, model in %s", avs_trainer_best(trainer), o.c.out);
  else app_info("model in %s", o.c.out);
  avs_trainer_free(&trainer);
  avs_sep_audio_free(&job.fe);
  avs_sep_set_free(&job.train);
  avs_sep_set_free(&job.val);
  avs_manifest_free(&train_mf);
  avs_manifest_free(&val_mf);
  avs_model_free(&m);
  train_common_free(&o.c);
  free(job.val_clips), free(ckpt_dir), free(val_path);
  return 0;
}
