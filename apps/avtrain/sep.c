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
  const char *manifest, *val, *arch, *hparams, *out, *ckpt_dir, *optimizer, *schedule, *mask;
  int epochs, batch, seed, mix, val_clips;
  float lr, weight_decay, momentum, clip_norm;
  bool resume;
} sep_opts;

typedef struct {
  const sep_opts *o;
  avs_sep_set *train, *val;
  avs_sep_audio *fe;
  avs_rng rng;
  int *val_clips, n_val;
  app_progress pr;
  char what[64]; /* the progress line's label: lives as long as the line */
} sep_job;

static void epoch_begin(void *user, int epoch) {
  sep_job *j = user;
  avs_rng_seed(&j->rng, (uint64_t)j->o->seed * 7919 + (uint64_t)epoch * 104729 + 5);
  snprintf(j->what, sizeof j->what, "epoch %d/%d", epoch + 1, j->o->epochs);
  app_progress_start(&j->pr, j->what, j->train->n_clips);
}

static void on_progress(void *user, int epoch, int done, int total) {
  (void)epoch, (void)total;
  app_progress_update(&((sep_job *)user)->pr, done);
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

static void train_record(void *user, cJSON *rec) {
  (void)rec;
  app_progress_end(&((sep_job *)user)->pr);
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

static double field(const cJSON *rec, const char *key) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, key));
}

static void epoch_end(void *user, const cJSON *rec) {
  sep_job *j = user;
  printf("epoch %3d/%d  loss %.4f", (int)field(rec, "epoch"), j->o->epochs, field(rec, "train_loss"));
  if (j->n_val) {
    printf("  val SDR %.2f SIR %.2f SAR %.2f dB", field(rec, "val_sdr"), field(rec, "val_sir"), field(rec, "val_sar"));
    if (cJSON_GetObjectItemCaseSensitive(rec, "val_silent_db"))
      printf("  silent %.1f dB", field(rec, "val_silent_db"));
  }
  printf("  lr %.3g  %.1f s\n", field(rec, "lr"), field(rec, "seconds"));
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

static avs_model *new_model(const sep_opts *o) {
  const avs_arch *a = avs_arch_find(o->arch, AVS_KIND_SEPARATION);
  if (!a) app_usage_error("--arch: %s", avs_errmsg());
  void *cfg = malloc(a->cfg_size);
  if (!cfg) app_fail("out of memory");
  memcpy(cfg, a->cfg_default, a->cfg_size);
  if (o->hparams && avs_cfg_parse(a, cfg, o->hparams)) app_usage_error("--hparams: %s", avs_errmsg());
  avs_model *m = NULL;
  if (avs_model_new_from(a, cfg, &m)) app_usage_error("--hparams: %s", avs_errmsg());
  if (avs_model_init(m, (uint64_t)o->seed)) app_fail_status(avs_errcode());
  free(cfg);
  return m;
}

static char *beside(const char *manifest, const char *name) {
  const char *slash = strrchr(manifest, '/');
  size_t d = slash ? (size_t)(slash - manifest) + 1 : 0, n = d + strlen(name) + 1;
  char *p = malloc(n);
  if (!p) app_fail("out of memory");
  snprintf(p, n, "%.*s%s", (int)d, manifest, name);
  return p;
}

int avtrain_sep(int argc, char **argv) {
  sep_opts o = {.arch = "sop", .out = "sep.safetensors", .optimizer = "adam", .schedule = "constant", .mask = "binary",
                .epochs = 20, .batch = 8, .seed = 1, .mix = 2, .val_clips = 40, .lr = 1e-3f, .momentum = 0.9f};
  const app_opt opts[] = {
      {"manifest", 0, APP_STRING, &o.manifest, "training clips: an avdata manifest with stems and boxes (required)", 0, 0},
      {"val", 0, APP_STRING, &o.val, "validation clips (default: val.jsonl beside --manifest if present; 'none': skip)", 0, 0},
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips with 2+ sources", 1, 100000},
      {"arch", 'a', APP_STRING, &o.arch, "separation architecture", 0, 0},
      {"hparams", 0, APP_STRING, &o.hparams, "hyperparameters KEY=VALUE,...", 0, 0},
      {"mix", 0, APP_INT, &o.mix, "clips mixed per training mixture (Sound of Pixels' N)", 1, 8},
      {"mask", 0, APP_STRING, &o.mask, "target masks: binary (weighted BCE, as SoP) or ratio (weighted L1)", 0, 0},
      {"epochs", 'e', APP_INT, &o.epochs, "passes (one mixture per training clip each)", 1, 10000},
      {"batch", 'b', APP_INT, &o.batch, "mixtures per step", 1, 1024},
      {"lr", 0, APP_FLOAT, &o.lr, "learning rate", 1e-8, 10},
      {"schedule", 0, APP_STRING, &o.schedule, "learning rate over the steps: cosine (to 0) or constant", 0, 0},
      {"optimizer", 0, APP_STRING, &o.optimizer, "adamw, adam or sgd (with --momentum)", 0, 0},
      {"weight-decay", 0, APP_FLOAT, &o.weight_decay, "weight decay", 0, 1},
      {"momentum", 0, APP_FLOAT, &o.momentum, "SGD momentum", 0, 0.9999},
      {"clip", 0, APP_FLOAT, &o.clip_norm, "clip the gradients' joint L2 norm to this; 0: off", 0, 1e6},
      {"seed", 0, APP_INT, &o.seed, "initial weights, mixtures", 0, 2147483647},
      {"out", 'o', APP_STRING, &o.out, "the trained model (best validation SDR)", 0, 0},
      {"checkpoints", 0, APP_STRING, &o.ckpt_dir, "checkpoint folder (default: OUT without .safetensors, plus .ckpt)", 0, 0},
      {"resume", 0, APP_FLAG, &o.resume, "go on from the checkpoint in --checkpoints", 0, 0},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  if (!o.manifest) app_usage_error("--manifest is required");
  if (strcmp(o.mask, "binary") && strcmp(o.mask, "ratio")) app_usage_error("--mask must be binary or ratio");
  if (strcmp(o.schedule, "cosine") && strcmp(o.schedule, "constant"))
    app_usage_error("--schedule must be cosine or constant, not '%s'", o.schedule);
  if (strcmp(o.optimizer, "sgd") && strcmp(o.optimizer, "adam") && strcmp(o.optimizer, "adamw"))
    app_usage_error("--optimizer must be adamw, adam or sgd, not '%s'", o.optimizer);
  if (o.ckpt_dir && !o.ckpt_dir[0]) app_usage_error("--checkpoints: empty folder name");
  char *ckpt_dir = o.ckpt_dir ? strdup(o.ckpt_dir) : avs_trainer_default_ckpt_dir(o.out);
  if (!ckpt_dir) app_fail("out of memory");

  avs_manifest *train_mf = app_manifest_stems(o.manifest), *val_mf = NULL;
  char *val_path = o.val ? (strcmp(o.val, "none") ? strdup(o.val) : NULL) : beside(o.manifest, "val.jsonl");
  if (!o.val && (!app_file_exists(val_path) || !strcmp(val_path, o.manifest))) free(val_path), val_path = NULL;
  if (val_path) val_mf = app_manifest_stems(val_path);

  avs_model *m = NULL;
  if (o.resume && avs_trainer_load_model(ckpt_dir, AVS_KIND_SEPARATION, NULL, &m)) app_fail_status(avs_errcode());
  if (o.resume && !m) app_fail("--resume: no checkpoint in %s", ckpt_dir);
  if (!o.resume) {
    char *last = malloc(strlen(ckpt_dir) + 20);
    sprintf(last, "%s/last.safetensors", ckpt_dir);
    if (app_file_exists(last))
      app_fail("%s already holds a checkpoint: add --resume to go on from it, or choose another --checkpoints", ckpt_dir);
    free(last);
    m = new_model(&o);
  }
  avs_trainer_cfg tc = {.epochs = o.epochs, .batch = o.batch, .seed = o.seed, .lr = o.lr, .schedule = o.schedule,
                        .optimizer = o.optimizer, .weight_decay = o.weight_decay, .momentum = o.momentum,
                        .clip_norm = o.clip_norm, .out = o.out, .ckpt_dir = ckpt_dir};
  avs_trainer *trainer = NULL;
  if (avs_trainer_new(m, &tc, o.resume, &trainer)) app_fail_status(avs_errcode());
  if (o.resume) {
    int done = avs_trainer_epochs_done(trainer);
    if (done >= o.epochs) app_fail("the checkpoint in %s has already done %d of --epochs %d", ckpt_dir, done, o.epochs);
    app_info("resuming %s after epoch %d", ckpt_dir, done);
  }
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  app_info("%s (%s), %lld parameters; audio %d Hz, %d samples -> %dx%d; %d frames of %dx%d per source",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), g.rate, g.samples, g.freq, g.time,
           g.frames, g.height, g.width);

  sep_job job = {.o = &o};
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
                           .epoch_begin = epoch_begin, .loss = batch_loss, .train_record = train_record,
                           .validate = validate, .epoch_end = epoch_end, .progress = on_progress};
  if (avs_trainer_run(trainer, &task)) app_fail_status(avs_errcode());
  if (job.n_val) app_info("best validation SDR %.2f dB, model in %s", avs_trainer_best(trainer), o.out);
  else app_info("model in %s", o.out);
  avs_trainer_free(&trainer);
  avs_sep_audio_free(&job.fe);
  avs_sep_set_free(&job.train);
  avs_sep_set_free(&job.val);
  avs_manifest_free(&train_mf);
  avs_manifest_free(&val_mf);
  avs_model_free(&m);
  free(job.val_clips), free(ckpt_dir), free(val_path);
  return 0;
}
