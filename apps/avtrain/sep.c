/* avtrain sep: trains a visually guided separation model (Sound of Pixels or
 * another separation architecture) by mix-and-separate on an avdata music or
 * speech set: each step mixes --mix clips, and every object of them (sounding
 * or silent) is separated from its own box crops against its stem's mask.
 * avtrain cosep: the same for Co-Separation, whose loss supervises each
 * clip's objects only through the sum of their masks against the clip's own
 * sound (fusion/cosep.h avs_cosep_train_loss). The
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
#include "fusion/cosep.h"
#include "fusion/sep_data.h"
#include "fusion/sep_eval.h"
#include "fusion/sep_nmf.h"
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
    "  avtrain sep --manifest music/train.jsonl --arch xattn --hparams freq=256,ngf=32,film=1,nmf=12,...\n"
    "    --epochs 10 --batch 16 --schedule cosine --precision bf16";

static const char *cosep_usage =
    "Usage: avtrain cosep --manifest TRAIN.jsonl [options]\n"
    "Trains a Co-Separation model (arch cosep) from scratch on an avdata set with stems\n"
    "and boxes: each step sums the windows of --mix clips (videos) and separates every\n"
    "object in view from its box crop; the masks of a video's objects add up to that\n"
    "video's ratio mask (its own sound over the mixture), and a classifier on each\n"
    "separated spectrogram must name its object's category (--class-weight). Validates\n"
    "SDR on the natural mixtures of the validation clips after every epoch. Writes --out\n"
    "(best validation SDR) and a checkpoint per epoch in --checkpoints; --resume goes on.\n"
    "Example:\n"
    "  avtrain cosep --manifest music/train.jsonl --hparams ngf=16,visual_width=16,crop=112 --epochs 20";

typedef struct {
  train_common c;
  const char *mask;
  int mix, val_clips;
  bool compete;             /* the loss sees the competing masks (fusion/separate.h), as avsep applies them */
  bool cosep;               /* avtrain cosep */
  const char *cosep_loss;   /* l1 or l2 */
  bool unweighted;
  float class_weight;
  float backgrounds;        /* chance that a mixture also separates a background region towards silence */
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

/* Weighted binary cross-entropy (SoP) or weighted L1 on ratio masks, of each
 * source's sigmoid mask or (--compete) of the masks after the sources of each
 * mixture compete for every bin; or co-separation's. */
static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n) {
  (void)idx;
  sep_job *j = user;
  const sep_opts *o = j->o;
  bool ratio = !o->cosep && !strcmp(o->mask, "ratio");
  avs_sep_batch b;
  avs_sep_batch_opts bo = {.mix = o->mix, .ratio = ratio, .videos = o->cosep, .backgrounds = o->backgrounds};
  if (avs_sep_batch_make(ctx, j->fe, j->train, &bo, n, &j->rng, &b)) return NULL;
  if (o->cosep) {
    avs_cosep_train_opts co = {.dist = strcmp(o->cosep_loss, "l2") ? AVS_COSEP_L1 : AVS_COSEP_L2,
                               .unweighted = o->unweighted, .class_weight = o->class_weight};
    return avs_cosep_train_loss(ctx, m, &b, &co);
  }
  avs_tensor *logits = avs_sep_model_forward(ctx, m, b.input, b.crops, b.mix_of);
  if (!ratio && !o->compete) return avs_bce_logits_loss(ctx, logits, b.target, b.weight);
  avs_tensor *masks = avs_sigmoid(ctx, logits);
  if (o->compete) masks = avs_compete(ctx, masks, b.mix_of);
  if (!ratio) return avs_bce_loss(ctx, masks, b.target, b.weight);
  avs_tensor *diff = avs_sub(ctx, masks, b.target);
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
    int rc = avs_sep_eval_mixture(m, j->val, &j->val_clips[i], 1, (avs_sep_mask_rule){0}, &r);
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

static avs_sep_set *load_set(const avs_manifest *mf, const avs_sep_geometry *g, const avs_sep_load_opts *o,
                             const char *what) {
  app_progress pr;
  app_progress_start(&pr, what, mf->n);
  avs_sep_set *s = NULL;
  if (avs_sep_set_load(mf, g, o, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  return s;
}

/* A model that sees NMF class shares (fusion/sep_nmf.h) learns its class dictionaries from the
 * training stems before its first step; a checkpoint brings them back. */
static void learn_nmf_dictionaries(avs_model *m, const avs_sep_set *s, avs_sep_audio *fe) {
  avs_tensor *d = avs_params_find(&m->params, AVS_SEP_NMF_DICTIONARY);
  if (!d) return;
  app_progress pr;
  app_progress_start(&pr, "learning NMF class dictionaries", (int)d->shape[0]);
  int missing = 0;
  if (avs_sep_nmf_learn(s, fe, (int)d->shape[0], (int)d->shape[2], on_load, &pr, d->data, &missing))
    app_fail_status(avs_errcode());
  app_progress_end(&pr);
  if (missing)
    app_warn("%d of the %lld NMF classes have too little training audio: their shares stay 0", missing,
             (long long)d->shape[0]);
}

/* The largest category of the set's objects + 1, at least the manifest's class count; -1 if an object has none. */
static int set_categories(const avs_manifest *mf) {
  int n = mf->n_classes;
  for (int c = 0; c < mf->n; c++)
    for (int k = 0; k < mf->clips[c].n_objects; k++) {
      int cls = mf->clips[c].objects[k].cls;
      if (cls < 0) return -1;
      if (cls >= n) n = cls + 1;
    }
  return n;
}

/* avtrain sep and avtrain cosep: the options, data and validation are shared; the loss differs. */
static int train_separation(int argc, char **argv, bool cosep) {
  sep_opts o = {.c = {.arch = cosep ? "cosep" : "sop", .out = cosep ? "cosep.safetensors" : "sep.safetensors",
                      .optimizer = "adam", .schedule = "constant", .epochs = 20, .batch = 8, .seed = 1, .lr = 1e-3f,
                      .momentum = 0.9f},
                .mask = "binary", .mix = 2, .val_clips = 40, .cosep = cosep, .cosep_loss = "l1",
                .class_weight = 0.05f};
#define SEP_SHARED_OPTS                                                                                          \
  TRAIN_COMMON_OPTS(o.c, "training clips (one mixture per clip)", "mixtures", "best validation SDR"),             \
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips with 2+ sources", 1, 100000}, \
      {"mix", 0, APP_INT, &o.mix, "clips mixed per training mixture (Sound of Pixels' N)", 1, 8}
  const app_opt sep_opts_table[] = {
      SEP_SHARED_OPTS,
      {"mask", 0, APP_STRING, &o.mask, "target masks: binary (weighted BCE, as SoP) or ratio (weighted L1)", 0, 0},
      {"compete", 0, APP_FLAG, &o.compete,
       "train the masks as avsep applies them: the sources of a mixture compete for each bin (m_j^3 / sum m_k^2) "
       "before the loss",
       0, 0},
      {"backgrounds", 0, APP_FLOAT, &o.backgrounds,
       "chance (0-1) that a training mixture also separates a background region of one of its clips (a square "
       "clear of every object) towards silence: the model learns that regions without an instrument are silent, "
       "which finding the sources without boxes (avsep separate) relies on",
       0, 1},
      {0},
  };
  const app_opt cosep_opts_table[] = {
      SEP_SHARED_OPTS,
      {"cosep-loss", 0, APP_STRING, &o.cosep_loss, "distance of each video's mask sum to its ratio mask: l1 or l2", 0,
       0},
      {"unweighted", 0, APP_FLAG, &o.unweighted, "drop the clamp(log1p(mixture), 1e-3, 10) weight of each bin", 0, 0},
      {"class-weight", 0, APP_FLOAT, &o.class_weight,
       "weight of the object-consistency loss (classifier cross-entropy; 0: off)", 0, 100},
      {0},
  };
#undef SEP_SHARED_OPTS
  const app_opt *opts = cosep ? cosep_opts_table : sep_opts_table;
  app_parse(argc, argv, 2, opts, cosep ? cosep_usage : usage, NULL, 0, 0);
  static const char *const sep_recipe[] = {TRAIN_RECIPE, "mix", "mask", "compete", "backgrounds", "val-clips", NULL};
  static const char *const cosep_recipe[] = {TRAIN_RECIPE, "mix", "cosep-loss", "unweighted", "class-weight",
                                             "val-clips", NULL};
  if (cosep && o.c.arch && strcmp(o.c.arch, "cosep"))
    app_usage_error("--arch %s: avtrain cosep trains the cosep architecture only (avtrain sep trains the others)",
                    o.c.arch);
  char *ckpt_dir = train_common_check(&o.c, opts, cosep ? cosep_recipe : sep_recipe);
  if (strcmp(o.mask, "binary") && strcmp(o.mask, "ratio")) app_usage_error("--mask must be binary or ratio");
  if (strcmp(o.cosep_loss, "l1") && strcmp(o.cosep_loss, "l2")) app_usage_error("--cosep-loss must be l1 or l2");

  avs_manifest *train_mf = app_manifest_stems(o.c.manifest), *val_mf = NULL;
  char *val_path = train_val_path(&o.c);
  if (val_path) val_mf = app_manifest_stems(val_path);
  avs_model *m = train_checkpoint_model(&o.c, ckpt_dir, AVS_KIND_SEPARATION, NULL);
  bool fresh = !m;
  if (!m) m = train_new_model(&o.c, AVS_KIND_SEPARATION);
  const avs_tensor *nmf = avs_params_find(&m->params, AVS_SEP_NMF_DICTIONARY);
  if (nmf && set_categories(train_mf) > nmf->shape[0])
    app_fail("%s has %d categories, more than the %lld classes of the model's NMF prior: set --hparams nmf=%d",
             o.c.manifest, set_categories(train_mf), (long long)nmf->shape[0], set_categories(train_mf));
  if (cosep) {
    int categories = set_categories(train_mf), classes = ((const avs_cosep_cfg *)m->cfg)->classes;
    if (categories < 0) app_fail("%s: an object has no category (class), which co-separation needs", o.c.manifest);
    if (classes < categories)
      app_fail("the model's %d classes cannot name the %d categories of %s: set --hparams classes=%d", classes,
               categories, o.c.manifest, categories);
  }
  avs_trainer *trainer = train_start(&o.c, m, ckpt_dir);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  app_info("%s (%s), %lld parameters; audio %d Hz, %d samples -> %dx%d; %d frames of %dx%d per source",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), g.rate, g.samples, g.freq, g.time,
           g.frames, g.height, g.width);

  sep_job job = {.o = &o, .progress = {.epochs = o.c.epochs}};
  avs_sep_load_opts lo = {.backgrounds = o.backgrounds > 0, .seed = (uint64_t)o.c.seed};
  job.train = load_set(train_mf, &g, &lo, lo.backgrounds ? "reading training clips and background regions"
                                                         : "reading training clips");
  if (val_mf) {
    job.val = load_set(val_mf, &g, NULL, "reading validation clips");
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
  if (fresh) learn_nmf_dictionaries(m, job.train, job.fe);
  app_info("%d training clips (%d objects), %d validation mixtures", job.train->n_clips, job.train->n_obj, job.n_val);
  avs_trainer_task task = {.user = &job, .n_train = job.train->n_clips, .has_validation = job.n_val > 0,
                           .n_val = job.n_val, .epoch_begin = epoch_begin, .loss = batch_loss, .validate = validate,
                           .epoch_end = epoch_end, .progress = train_progress_update, .progress_user = &job.progress};
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

int avtrain_sep(int argc, char **argv) { return train_separation(argc, argv, false); }

int avtrain_cosep(int argc, char **argv) { return train_separation(argc, argv, true); }
