/* avtrain speech: trains an audio-visual speech separation model (the speech
 * kind, fusion/speech.h) by mix-and-separate on an avdata speech set: each
 * training mixture takes two voices of two different clips (windows aligned
 * to a video frame, random gains, white noise at a random SNR), and the model
 * separates each from its mouth and face crops; the loss (--loss) is minus the
 * SNR per speaker between the masked mixture's STFT and the speaker's
 * (avs_speech_snr_loss, the default), or their mean squared error, plain or
 * weighted per bin. The data are read
 * once (stems and crops in memory). After every epoch: SDR/SIR/SAR on the
 * natural mixtures of the validation clips with the model's speaker count
 * (each speaker by its own face track), a result line, a checkpoint; --out
 * keeps the best validation SDR. */
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
#include "fusion/speech_data.h"
#include "fusion/speech_eval.h"
#include "nn/trainer.h"

static const char *usage =
    "Usage: avtrain speech --manifest TRAIN.jsonl [options]\n"
    "Trains an audio-visual speech separation model from scratch by mix-and-separate on\n"
    "an avdata speech set (avdata synth --kind speech): each step mixes two voices of two\n"
    "clips (random gains, white noise at a random SNR) and separates each from its mouth\n"
    "and face crops; loss (--loss): minus the SNR of each speaker's masked-mixture STFT.\n"
    "Validates SDR on the natural mixtures of the validation clips after every epoch.\n"
    "Writes --out (best validation SDR) and a checkpoint per epoch in --checkpoints;\n"
    "--resume goes on from there.\n"
    "Example (the default model, scripts/train_speech.sh):\n"
    "  avtrain speech --manifest speech/train.jsonl --arch avspeech --hparams audio_channels=32,... --epochs 12";

typedef struct {
  train_common c;
  const char *loss;
  int frames, val_clips;
  float gain_db, snr_min, snr_max;
} speech_opts;

#define LOSS_POWER 0.3f /* the compression the weighted loss stands for (Looking to Listen's) */
#define SNR_CAP_DB 30.0f /* the snr loss's cap per speaker (MixIT's) */

typedef struct {
  const speech_opts *o;
  avs_speech_set *train, *val;
  avs_stft *stft;
  avs_rng rng;
  int *val_clips, n_val;
  train_progress progress;
} speech_job;

static void epoch_begin(void *user, int epoch) {
  speech_job *j = user;
  avs_rng_seed(&j->rng, (uint64_t)j->o->c.seed * 7919 + (uint64_t)epoch * 104729 + 11);
}

/* The weighted loss: each bin's squared error times (|Y|^2 + e)^(p - 1), Y the
 * mixture's bin, normalised to mean 1. For estimates near the target's scale
 * (about |Y|) this is the squared error of power-law compressed STFTs (|S|^p),
 * i.e. the mask error weighted by |Y|^(2p): quiet bins count far more than in
 * the plain MSE, which the loudest low bins dominate. e = 1e-3 x the mean
 * |Y|^2 keeps silence from dominating instead. (There is no differentiable
 * power op, so the weights are constants of the mixture.) */
static avs_tensor *compressed_weights(avs_ctx *ctx, const avs_tensor *spec, int S) {
  int64_t n = spec->shape[0], per = spec->numel / n / 2;
  avs_tensor *w = avs_ctx_tensor(ctx, 5, AVS_SHAPE(n, S, spec->shape[1], spec->shape[2], 2));
  if (!w) return NULL;
  double mean = 0;
  for (int64_t e = 0; e < spec->numel; e++) mean += (double)spec->data[e] * spec->data[e];
  float eps = (float)(1e-3 * 2 * mean / (double)spec->numel) + 1e-12f;
  double total = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t e = 0; e < per; e++) {
      const float *y = spec->data + 2 * (i * per + e);
      float v = powf(y[0] * y[0] + y[1] * y[1] + eps, LOSS_POWER - 1.0f);
      for (int k = 0; k < S; k++) w->data[2 * ((i * S + k) * per + e)] = w->data[2 * ((i * S + k) * per + e) + 1] = v;
      total += (double)v * 2 * S;
    }
  float scale = (float)((double)w->numel / total);
  for (int64_t e = 0; e < w->numel; e++) w->data[e] *= scale;
  return w;
}

static avs_tensor *batch_loss(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n) {
  (void)idx;
  speech_job *j = user;
  avs_speech_batch b;
  avs_speech_batch_opts bo = {.frames = j->o->frames, .gain_db = j->o->gain_db, .snr_min = j->o->snr_min,
                              .snr_max = j->o->snr_max};
  if (avs_speech_batch_make(ctx, j->stft, j->train, &bo, n, &j->rng, &b)) return NULL;
  avs_tensor *masks = avs_speech_model_forward(ctx, m, b.spec, b.mouths, b.faces);
  avs_tensor *est = avs_speech_apply_masks(ctx, masks, b.spec);
  if (!strcmp(j->o->loss, "stft")) return avs_mse_loss(ctx, est, b.target);
  if (!strcmp(j->o->loss, "snr")) return avs_speech_snr_loss(ctx, est, b.target, SNR_CAP_DB);
  avs_tensor *w = compressed_weights(ctx, b.spec, (int)b.target->shape[1]);
  avs_tensor *d = avs_sub(ctx, est, b.target);
  return w ? avs_mean(ctx, avs_mul(ctx, avs_mul(ctx, d, d), w)) : NULL;
}

static int validate(void *user, const avs_model *m, double *score, cJSON *rec) {
  speech_job *j = user;
  double sdr = 0, sir = 0, sar = 0, si = 0, gain = 0;
  int n = 0;
  app_progress pr;
  app_progress_start(&pr, "validation", j->n_val);
  for (int i = 0; i < j->n_val; i++) {
    avs_sep_eval_result r;
    int rc = avs_speech_eval_clip(m, j->val, j->val_clips[i], &r);
    if (rc) return rc;
    for (int k = 0; k < r.n_sounding; k++)
      sdr += r.sdr[k], sir += r.sir[k], sar += r.sar[k], si += r.si_sdr[k], gain += r.sdr[k] - r.mix_sdr[k], n++;
    app_progress_update(&pr, i + 1);
  }
  app_progress_end(&pr);
  *score = n ? sdr / n : -1e9;
  cJSON_AddNumberToObject(rec, "val_sdr", n ? sdr / n : 0);
  cJSON_AddNumberToObject(rec, "val_sir", n ? sir / n : 0);
  cJSON_AddNumberToObject(rec, "val_sar", n ? sar / n : 0);
  cJSON_AddNumberToObject(rec, "val_si_sdr", n ? si / n : 0);
  cJSON_AddNumberToObject(rec, "val_sdri", n ? gain / n : 0);
  return AVS_OK;
}

static void epoch_end(void *user, const cJSON *rec) {
  speech_job *j = user;
  printf("epoch %3d/%d  loss %.4f", (int)train_field(rec, "epoch"), j->o->c.epochs, train_field(rec, "train_loss"));
  if (j->n_val)
    printf("  val SDR %.2f (SDRi %.2f) SIR %.2f SAR %.2f SI-SDR %.2f dB", train_field(rec, "val_sdr"),
           train_field(rec, "val_sdri"), train_field(rec, "val_sir"), train_field(rec, "val_sar"),
           train_field(rec, "val_si_sdr"));
  printf("  lr %.3g  %.1f s\n", train_field(rec, "lr"), train_field(rec, "seconds"));
  fflush(stdout);
}

static void on_load(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

static avs_speech_set *load_set(const avs_manifest *mf, const avs_speech_geometry *g, const char *what) {
  app_progress pr;
  app_progress_start(&pr, what, mf->n);
  avs_speech_set *s = NULL;
  if (avs_speech_set_load(mf, g, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  return s;
}

int avtrain_speech(int argc, char **argv) {
  speech_opts o = {.c = {.arch = "avspeech", .out = "speech.safetensors", .optimizer = "adam",
                         .schedule = "cosine", .epochs = 12, .batch = 4, .seed = 1, .lr = 1e-3f, .momentum = 0.9f},
                   .loss = "snr", .frames = 32, .val_clips = 40, .gain_db = 6, .snr_min = 5, .snr_max = 30};
  const app_opt opts[] = {
      TRAIN_COMMON_OPTS(o.c, "training clips (one mixture per clip)", "mixtures", "best validation SDR"),
      {"loss", 0, APP_STRING, &o.loss,
       "stft (MSE between the masked mixture's and the speaker's STFTs), weighted (the same, each bin weighted as "
       "power-law compressed STFTs would weigh it) or snr (minus each speaker's SNR in dB on the STFT, capped at 30, "
       "averaged: quiet voices count as much as loud ones; above stft in the full default recipe, docs/BENCHMARK.md)", 0, 0},
      {"frames", 0, APP_INT, &o.frames, "video frames per training window (at the model's fps: 32 = 2 s at 16)", 4, 100000},
      {"gain-db", 0, APP_FLOAT, &o.gain_db, "each voice's gain uniform in [-G, G] dB", 0, 40},
      {"snr-min", 0, APP_FLOAT, &o.snr_min, "white noise at an SNR uniform in [snr-min, snr-max] dB", -20, 200},
      {"snr-max", 0, APP_FLOAT, &o.snr_max, "(see --snr-min)", -20, 200},
      {"val-clips", 0, APP_INT, &o.val_clips, "validate on at most this many clips with the model's speaker count", 1,
       100000},
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  static const char *const recipe[] = {TRAIN_RECIPE, "loss", "frames", "gain-db", "snr-min", "snr-max", "val-clips", NULL};
  char *ckpt_dir = train_common_check(&o.c, opts, recipe);
  if (o.snr_max < o.snr_min) app_usage_error("--snr-max must be at least --snr-min");
  if (strcmp(o.loss, "weighted") && strcmp(o.loss, "stft") && strcmp(o.loss, "snr"))
    app_usage_error("--loss must be stft, weighted or snr, not '%s'", o.loss);

  avs_manifest *train_mf = app_manifest_stems(o.c.manifest), *val_mf = NULL;
  char *val_path = train_val_path(&o.c);
  if (val_path) val_mf = app_manifest_stems(val_path);
  avs_model *m = train_checkpoint_model(&o.c, ckpt_dir, AVS_KIND_SPEECH, NULL);
  if (!m) m = train_new_model(&o.c, AVS_KIND_SPEECH);
  avs_trainer *trainer = train_start(&o.c, m, ckpt_dir);
  avs_speech_geometry g;
  avs_speech_model_geometry(m, &g);
  app_info("%s (%s), %lld parameters; %d speakers, %d frames/s, mouths %dx%d, faces %dx%d; windows of %d frames",
           m->arch->name, m->arch->title, (long long)avs_params_numel(&m->params), g.speakers, g.fps, g.mouth_size,
           g.mouth_size, g.face_size, g.face_size, o.frames);

  speech_job job = {.o = &o, .progress = {.epochs = o.c.epochs}};
  epoch_begin(&job, 0); /* the cost estimate draws a batch before the first epoch */
  job.train = load_set(train_mf, &g, "reading training clips");
  if (job.train->frames < o.frames)
    app_fail("the training clips have %d video frames, fewer than --frames %d (%s)", job.train->frames, o.frames,
             o.c.manifest);
  if (val_mf) {
    job.val = load_set(val_mf, &g, "reading validation clips");
    job.val_clips = malloc(sizeof(int) * (size_t)val_mf->n);
    if (!job.val_clips) app_fail("out of memory");
    for (int c = 0; c < val_mf->n && job.n_val < o.val_clips; c++)
      if (job.val->count[c] == g.speakers) job.val_clips[job.n_val++] = c;
    if (!job.n_val) app_warn("%s has no clip with %d speakers: no validation", val_path, g.speakers);
  }
  avs_stft_cfg sc = avs_speech_stft_cfg();
  if (avs_stft_new(&sc, &job.stft)) app_fail_status(avs_errcode());
  app_info("%d training clips (%d voices), %d validation mixtures", job.train->n_clips, job.train->n_voices, job.n_val);
  avs_trainer_task task = {.user = &job, .n_train = job.train->n_clips, .has_validation = job.n_val > 0,
                           .n_val = job.n_val, .epoch_begin = epoch_begin, .loss = batch_loss, .validate = validate,
                           .epoch_end = epoch_end, .progress = train_progress_update, .progress_user = &job.progress};
  train_run(trainer, &task);
  if (job.n_val) app_info("best validation SDR %.2f dB, model in %s", avs_trainer_best(trainer), o.c.out);
  else app_info("model in %s", o.c.out);
  avs_trainer_free(&trainer);
  avs_stft_free(&job.stft);
  avs_speech_set_free(&job.train);
  avs_speech_set_free(&job.val);
  avs_manifest_free(&train_mf);
  avs_manifest_free(&val_mf);
  avs_model_free(&m);
  train_common_free(&o.c);
  free(job.val_clips), free(ckpt_dir), free(val_path);
  return 0;
}
