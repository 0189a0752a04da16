/* The per-layer table of an action model: one eval-mode forward pass of a
 * batch-1 clip of the model's own size (zeros) with the layer trace on. */
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
} avs_action_profile;

/* Fills *out (free with avs_action_profile_free). */
int avs_action_profile_run(const avs_action_model *m, avs_action_profile *out);
void avs_action_profile_free(avs_action_profile *p);

#endif
