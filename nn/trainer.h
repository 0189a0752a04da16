/* The trainer core every `avtrain` verb shares: epochs over a shuffled set,
 * batches, a learning-rate schedule per step, the optimizer (AdamW, Adam or
 * SGD), gradient clipping, validation after every epoch, checkpoints with the
 * optimizer state, bit-exact resume, the history, and --out kept at the best
 * validation score. The task says what a batch's loss is and how validation
 * scores; the trainer does the rest.
 *
 * A checkpoint folder holds last.safetensors (the model after the last
 * complete epoch: an ordinary model file), optim.safetensors (the optimizer's
 * state, the epoch and the best score) and history.json (one record per
 * epoch). Each is written atomically; both safetensors carry "train.epoch",
 * optim.safetensors also the app's recipe ("train.recipe") when given,
 * which must agree when resuming (a crash between the renames is detected). */
#ifndef AVS_NN_TRAINER_H
#define AVS_NN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "av/ctx.h"
#include "av/optim.h"
#include "nn/model.h"

typedef struct {
  int epochs, batch;
  int seed;                /* clip order (and the context's dropout seed) */
  float lr;                /* peak learning rate */
  const char *schedule;    /* "cosine" (to 0 over all steps) or "constant" */
  const char *optimizer;   /* "adamw", "adam" or "sgd" */
  float weight_decay, momentum, clip_norm;
  /* Per-module learning rates: "PREFIX=FACTOR,..." scales the lr of every
   * parameter whose name starts with PREFIX (the longest matching prefix wins;
   * a prefix that matches nothing is an error). NULL or "": one lr for all. */
  const char *lr_scales;
  const char *out;         /* the model with the best validation score */
  const char *ckpt_dir;
  const char *recipe;      /* optional: the app's training options as text, kept in the checkpoint
                              (avs_trainer_load_recipe) so that a resumed run can take them */
} avs_trainer_cfg;

typedef struct {
  void *user;
  int n_train;             /* items per epoch */
  bool has_validation;
  int n_val;               /* items validation scores (for avs_trainer_estimate only) */
  /* Optional: before each epoch (per-epoch random state). */
  void (*epoch_begin)(void *user, int epoch);
  /* The mean loss of items idx[0..n) as a scalar on ctx (train mode), NULL
   * with avs_seterr on failure; may keep per-epoch statistics. */
  avs_tensor *(*loss)(void *user, avs_ctx *ctx, avs_model *m, const int *idx, int n);
  /* Optional: adds the epoch's training statistics to its history record. */
  void (*train_record)(void *user, cJSON *record);
  /* Scores the model after an epoch (higher is better) and adds the
   * validation fields to the record; called when has_validation. */
  int (*validate)(void *user, const avs_model *m, double *score, cJSON *record);
  /* Optional: after each epoch with its complete record (printing). */
  void (*epoch_end)(void *user, const cJSON *record);
  /* Optional: progress within an epoch (items done of total), with its own pointer. */
  void (*progress)(void *progress_user, int epoch, int done, int total);
  void *progress_user;
} avs_trainer_task;

typedef struct avs_trainer avs_trainer;

/* A trainer for model m (kept by the caller). With resume, the optimizer
 * state, position and history come from cfg->ckpt_dir (which must hold a
 * checkpoint of m's epoch: load the model first with avs_trainer_load_model). */
int avs_trainer_new(avs_model *m, const avs_trainer_cfg *cfg, bool resume, avs_trainer **out);
void avs_trainer_free(avs_trainer **t);
/* Epochs from the checkpoint's position to cfg->epochs. */
int avs_trainer_run(avs_trainer *t, const avs_trainer_task *task);
int avs_trainer_epochs_done(const avs_trainer *t);
int avs_trainer_epochs_left(const avs_trainer *t);
double avs_trainer_best(const avs_trainer *t); /* -inf before any validation */

/* What a run will cost, from a training pass (forward and backward, no
 * update) of the task's loss on the first items (up to 2): the time of each
 * half and the arena's peak per item. The model's tensors and gradients are
 * put back after, so the run is the same with or without an estimate. An
 * epoch is forward + backward per training item and a forward per validation
 * item; memory is what the process holds before, a batch's activations with
 * their gradients, the parameters' gradients and the optimizer's moments.
 * Rough by design (measured at batch 8 on 2 busy cores: c3d 53 s and 5.9 GB
 * for 56 s and 5.8 GB; r3d_18 68-120 s and 7.2 GB for 59 s and 7.0 GB). */
typedef struct {
  double forward_seconds;  /* per item */
  double epoch_seconds;    /* training and validation */
  double run_seconds;      /* the epochs left */
  double bytes;            /* peak memory of a training step */
} avs_trainer_estimate;
int avs_trainer_estimate_cost(avs_trainer *t, const avs_trainer_task *task, avs_trainer_estimate *e);

/* The checkpoint's model (kind and, if given, architecture checked) or NULL in
 * *m with 0 when dir holds none. */
int avs_trainer_load_model(const char *dir, int kind, const char *const *kept, avs_model **m);
/* The recipe text saved with the checkpoint in dir (malloc'ed), or NULL in
 * *recipe with 0 when dir holds no checkpoint or one saved without a recipe. */
int avs_trainer_load_recipe(const char *dir, char **recipe);
/* "OUT.ckpt" for OUT.safetensors (or OUT + ".ckpt"); free() it. */
char *avs_trainer_default_ckpt_dir(const char *out);

#endif
