/* A model's scores over labelled clips: each clip is read as the model sees it
 * (action_input.h, centred when the video is longer), clips run in batches
 * in eval mode, logits accumulate into an avs_action_score. */
#ifndef AVS_MODELS_ACTION_EVAL_H
#define AVS_MODELS_ACTION_EVAL_H

#include "video/models/action_score.h"
#include "video/models/registry.h"

typedef struct {
  const char *const *videos; /* n paths */
  const int *classes;        /* n true classes */
  int n;
  int batch;                 /* clips per forward pass (>= 1) */
  /* called after each batch with the clips done so far (may be NULL) */
  void (*progress)(void *user, int done);
  void *user;
  /* when not NULL: the n x classes logits, in clip order */
  float *logits;
  /* when not NULL: n slots of model inputs kept between calls (a NULL slot is
   * read and filled; free each with free()), so clips are decoded once */
  float **cache;
} avs_action_eval_job;

/* Fills s (initialised for the model's classes by the caller). Errors name the clip's file. */
int avs_action_evaluate(avs_ctx *ctx, const avs_action_model *m, const avs_action_eval_job *job, avs_action_score *s);

#endif
