/* The per-layer table of an action model: an eval-mode forward pass of a
 * batch-1 clip of the model's own size (zeros) with the layer trace on; timed,
 * the `ms` of nn/trace.h per row. */
#ifndef AVS_MODELS_PROFILE_H
#define AVS_MODELS_PROFILE_H

#include "video/models/registry.h"
#include "nn/trace.h"

typedef struct {
  avs_layer_trace trace;   /* rows in forward order */
  int64_t params;          /* learnable parameters of the model (sum over its tensors, buffers excluded) */
  int64_t traced_params;   /* sum over the rows: equals params when every layer is traced */
  int64_t macs;            /* multiply-adds per clip, all rows */
  int64_t conv_macs;       /* ... of the convolutions only */
  bool timed;              /* rows carry ms (avs_action_profile_time) */
  double ms, conv_ms;      /* sums of the rows' times, all and convolutions */
} avs_action_profile;

/* Fills *out (free with avs_action_profile_free). */
int avs_action_profile_run(const avs_action_model *m, avs_action_profile *out);
/* The same with each row's time: its best of `runs` passes after a first one,
 * at the precision of a new context (avs_precision_default). */
int avs_action_profile_time(const avs_action_model *m, int runs, avs_action_profile *out);
void avs_action_profile_free(avs_action_profile *p);

#endif
