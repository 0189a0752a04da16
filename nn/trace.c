/* Per-layer trace of a forward pass (see trace.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/trace.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Time since the previous event, and this one's stamp. */
static double lap(avs_layer_trace *t) {
  double now = now_ms(), d = now - t->last_ms;
  t->last_ms = now;
  return d;
}

void avs_layer_trace_start(avs_ctx *ctx, avs_layer_trace *t) {
  t->last_ms = now_ms();
  avs_ctx_swap_trace(ctx, t);
}
void avs_layer_trace_stop(avs_ctx *ctx) { avs_ctx_swap_trace(ctx, NULL); }

void avs_layer_trace_free(avs_layer_trace *t) {
  free(t->rows);
  memset(t, 0, sizeof *t);
}

void avs_layer_trace_add(avs_ctx *ctx, const char *name, const char *kind, const avs_tensor *out, int64_t params, int64_t macs) {
  avs_layer_trace *t = avs_ctx_trace(ctx);
  if (!t || !out) return;
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 64;
    avs_layer_row *r = realloc(t->rows, sizeof *r * cap);
    if (!r) {
      t->failed = 1;
      return;
    }
    t->rows = r, t->cap = cap;
  }
  avs_layer_row *r = &t->rows[t->n++];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->kind, sizeof r->kind, "%s", kind);
  r->ndim = out->ndim;
  memcpy(r->shape, out->shape, sizeof r->shape);
  r->params = params;
  r->macs = macs;
  r->ms = lap(t);
}

void avs_layer_trace_amend(avs_ctx *ctx, const avs_tensor *out, int64_t params) {
  avs_layer_trace *t = avs_ctx_trace(ctx);
  if (!t || !t->n || !out) return;
  avs_layer_row *r = &t->rows[t->n - 1];
  r->params += params;
  r->ms += lap(t);
  r->ndim = out->ndim;
  memcpy(r->shape, out->shape, sizeof r->shape);
}
