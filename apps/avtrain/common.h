/* What every avtrain verb shares on top of the trainer core (nn/trainer.h):
 * the training options, their checks, the validation manifest beside the
 * training one, the checkpoint folder and --resume. A verb keeps its own
 * options, its data and its loss. */
#ifndef AVS_APPS_AVTRAIN_COMMON_H
#define AVS_APPS_AVTRAIN_COMMON_H

#include <stdbool.h>

#include "apps/common/cli.h"
#include "apps/common/progress.h"
#include "nn/trainer.h"

typedef struct {
  const char *manifest, *val, *arch, *hparams, *out, *ckpt_dir, *optimizer, *schedule, *lr_scale, *precision;
  int epochs, batch, seed;
  float lr, weight_decay, momentum, clip_norm;
  bool resume, force;
  cJSON *saved;  /* with --resume: the checkpoint's recipe (its strings are the options' values) */
  char *recipe;  /* the recipe of this run, saved with every checkpoint */
} train_common;

/* The recipe: the options a resumed run must keep (they shape every step).
 * Each verb lists these and its own (e.g. "mix", "mask" for sep); "schedule"
 * comes before "epochs" (whether --epochs may grow depends on it). */
#define TRAIN_RECIPE                                                                                               \
  "schedule", "optimizer", "batch", "lr", "lr-scale", "weight-decay", "momentum", "clip", "seed", "precision", "epochs"

/* The option table entries of train_common c (an lvalue); the verb says what
 * an item, a step and --out are. */
#define TRAIN_COMMON_OPTS(c, items, per_step, best)                                                                  \
  {"manifest", 0, APP_STRING, &(c).manifest, "training clips: an avdata manifest (required)", 0, 0},                \
  {"val", 0, APP_STRING, &(c).val, "validation clips (default: val.jsonl beside --manifest if present; 'none': skip)", \
   0, 0},                                                                                                           \
  {"arch", 'a', APP_STRING, &(c).arch, "architecture (required unless --resume)", 0, 0},                           \
  {"hparams", 0, APP_STRING, &(c).hparams, "hyperparameters KEY=VALUE,...", 0, 0},                                   \
  {"epochs", 'e', APP_INT, &(c).epochs, "passes over the " items, 1, 10000},                                         \
  {"batch", 'b', APP_INT, &(c).batch, per_step " per step", 1, 4096},                                                \
  {"lr", 0, APP_FLOAT, &(c).lr, "peak learning rate", 1e-8, 10},                                                     \
  {"lr-scale", 0, APP_STRING, &(c).lr_scale,                                                                         \
   "per-module learning rates: PREFIX=FACTOR,... scales the lr of the tensors whose names start with PREFIX "        \
   "(e.g. features=0.1)",                                                                                           \
   0, 0},                                                                                                           \
  {"schedule", 0, APP_STRING, &(c).schedule, "learning rate over the steps: cosine (to 0) or constant", 0, 0},      \
  {"optimizer", 0, APP_STRING, &(c).optimizer, "adamw, adam or sgd (with --momentum)", 0, 0},                       \
  {"weight-decay", 0, APP_FLOAT, &(c).weight_decay, "weight decay (decoupled for adamw, L2 otherwise)", 0, 1},       \
  {"momentum", 0, APP_FLOAT, &(c).momentum, "SGD momentum (Nesterov when > 0)", 0, 0.9999},                          \
  {"clip", 0, APP_FLOAT, &(c).clip_norm, "clip the gradients' joint L2 norm to this; 0: off", 0, 1e6},              \
  {"seed", 0, APP_INT, &(c).seed, "initial weights, order of the data, dropout", 0, 2147483647},                     \
  {"precision", 0, APP_STRING, &(c).precision,                                                                       \
   "convolution arithmetic: fp32 (the default), bf16 (inputs, weights and gradients of every convolution rounded "  \
   "to bfloat16, fp32 accumulation, fp32 master weights) or auto (bf16 where this CPU runs it faster)",              \
   0, 0},                                                                                                           \
  {"out", 'o', APP_STRING, &(c).out, "the trained model (" best ")", 0, 0},                                          \
  {"checkpoints", 0, APP_STRING, &(c).ckpt_dir, "checkpoint folder (default: OUT without .safetensors, plus .ckpt)", \
   0, 0},                                                                                                           \
  {"resume", 0, APP_FLAG, &(c).resume, "go on from the checkpoint in --checkpoints", 0, 0},                       \
  {"force", 0, APP_FLAG, &(c).force, "replace an existing --out model (refused otherwise, unless resuming its run)", 0, 0}

/* Usage errors for the shared options; returns the checkpoint folder (free
 * it). With --resume, the options named in recipe (NULL-terminated, entries
 * of opts) that are not on the command line take the checkpoint's values,
 * and one given with another value is a usage error, except --epochs (a run
 * may be extended; with a cosine schedule a warning says the rate changes). Every output
 * location is checked here, before any work. Free with train_common_free. */
char *train_common_check(train_common *c, const app_opt *opts, const char *const *recipe);
void train_common_free(train_common *c);
/* --val, or val.jsonl beside --manifest when it exists; NULL for none (free it). */
char *train_val_path(const train_common *c);
/* With --resume, the checkpoint's model (of `kind`, with metadata `kept`;
 * --arch must agree); without, NULL after refusing a folder that already holds
 * a checkpoint. */
avs_model *train_checkpoint_model(const train_common *c, const char *ckpt_dir, int kind, const char *const *kept);
/* A model of --arch (of `kind`) with --hparams over the architecture's
 * defaults, initialised from --seed (usage errors for a bad arch or value). */
avs_model *train_new_model(const train_common *c, int kind);
/* The progress line of each epoch ("epoch 3/20"): the trainer task's
 * .progress = train_progress_update, .progress_user = &a train_progress. */
typedef struct {
  int epochs;
  app_progress pr;
  char what[64]; /* the line's label: lives as long as the line */
} train_progress;
void train_progress_update(void *train_progress, int epoch, int done, int total);

/* A number of an epoch's history record (for the verbs' result lines). */
double train_field(const cJSON *rec, const char *key);
/* Runs the task's epochs (avs_trainer_run), first printing what they will
 * cost (avs_trainer_estimate_cost) and warning, in one line, when the run
 * will take an hour or more, or 10 GB or more (or over half the machine's)
 * of memory. Fails the app on error. */
void train_run(avs_trainer *t, const avs_trainer_task *task);
/* The trainer for m (resumed when m came from the checkpoint). */
avs_trainer *train_start(const train_common *c, avs_model *m, const char *ckpt_dir);

#endif
