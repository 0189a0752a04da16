/* avtrain: trains AVS models. One file per verb. */
#ifndef AVS_APPS_AVTRAIN_H
#define AVS_APPS_AVTRAIN_H

#include "av/optim.h"
#include "video/models/registry.h"

/* argv[0] is the verb; each returns the exit status. */
int avtrain_action(int argc, char **argv);

/* ---- checkpoints (checkpoint.c) ----
 * A checkpoint folder holds last.safetensors (the model after the last
 * complete epoch: an ordinary model file), optim.safetensors (the optimizer's
 * state and the training position) and history.json (one record per epoch).
 * Each is written atomically; both safetensors carry "train.epoch", which must
 * agree when resuming (a crash between the two renames is detected); the
 * caller sets the model's "train.epoch" metadata to pos->epoch first. */
typedef struct {
  int epoch;          /* epochs completed */
  double best_top1;   /* best validation top-1 so far (-1: none) */
  char *history;      /* JSON array text of the epoch records */
} train_position;

void checkpoint_save(const char *dir, const avs_action_model *m, const avs_optim *opt, const train_position *pos);
/* Loads the model from dir/last.safetensors into *m (NULL when the folder has
 * no checkpoint: returns false); the optimizer state is read by
 * checkpoint_load_optim once the optimizer exists. Fails the app on a damaged
 * or inconsistent checkpoint. */
bool checkpoint_load_model(const char *dir, avs_action_model **m);
void checkpoint_load_optim(const char *dir, avs_optim *opt, train_position *pos);

#endif
