/* A per-layer table of a forward pass (for `avact info`): the building blocks
 * in unit.h add one row per convolution, linear layer, LSTM and pooling while
 * a trace is active on their context; batch norm adds its parameters to
 * the row of the convolution it follows. Multiply-adds count convolutions,
 * linear layers and LSTM gates only.
 * Time: each row's `ms` is the wall time from the end of the previous row (or
 * the trace's start) to its own end, amendments included: the layer itself
 * plus the untraced ops just before it (an activation, a residual addition). */
#ifndef AVS_NN_TRACE_H
#define AVS_NN_TRACE_H

#include <stdint.h>

#include "av/ctx.h"
#include "av/tensor.h"

typedef struct {
  char name[64];        /* state_dict prefix of the layer ("conv3a", "layer1.0.conv1.0") or "pool1" */
  char kind[12];        /* "conv3d", "conv2d", "linear", "lstm", "maxpool3d", ... */
  int ndim;
  int64_t shape[AVS_MAX_DIMS]; /* output, channels-last as computed (batch included) */
  int64_t params;       /* learnable parameters (buffers such as running_mean excluded) */
  int64_t macs;         /* multiply-adds for the whole batch */
  double ms;            /* see above */
} avs_layer_row;

typedef struct avs_layer_trace {
  avs_layer_row *rows;
  int n, cap;
  int failed;           /* an allocation failed: rows are incomplete */
  double last_ms;       /* monotonic clock at the last event */
} avs_layer_trace;

/* Starts collecting into t (zero it first) the layers run on ctx; stop before freeing. */
void avs_layer_trace_start(avs_ctx *ctx, avs_layer_trace *t);
void avs_layer_trace_stop(avs_ctx *ctx);
void avs_layer_trace_free(avs_layer_trace *t);

/* For building blocks: no-ops while no trace is active. */
void avs_layer_trace_add(avs_ctx *ctx, const char *name, const char *kind, const avs_tensor *out, int64_t params, int64_t macs);
/* Adds params to the last row and updates its output shape (batch norm after a conv). */
void avs_layer_trace_amend(avs_ctx *ctx, const avs_tensor *out, int64_t params);

#endif
