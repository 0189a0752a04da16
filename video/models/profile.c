/* Per-layer table of an action model (see profile.h). */
#include <string.h>

#include "av/status.h"
#include "video/models/profile.h"

/* One traced forward pass of the clip into t (zeroed first). */
static int traced_forward(avs_ctx *ctx, const avs_action_model *m, avs_tensor *clip, avs_layer_trace *t) {
  avs_ctx_reset(ctx);
  avs_layer_trace_start(ctx, t);
  avs_tensor *y = avs_action_model_forward(ctx, m, clip);
  avs_layer_trace_stop(ctx);
  if (!y) return avs_errcode() ? avs_errcode() : AVS_ENOMEM;
  if (t->failed) return avs_seterr(AVS_ENOMEM, "out of memory");
  return AVS_OK;
}

/* The table from a first pass; with timed_runs, each row's time is its best
 * over that many further passes (the first pass builds primitives, folds batch
 * norms and reorders weights: not what a steady forward costs). */
static int profile(const avs_action_model *m, int timed_runs, avs_action_profile *out) {
  memset(out, 0, sizeof *out);
  const avs_action_base *b = avs_action_model_base(m);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  if (!ctx) return avs_errcode();
  /* the clip outlives the arena resets between passes */
  avs_tensor *clip = avs_tensor_new(5, AVS_SHAPE(1, b->frames, b->height, b->width, avs_action_channels(m)));
  int rc = clip ? AVS_OK : avs_errcode();
  if (clip) clip->requires_grad = false;
  if (!rc) rc = traced_forward(ctx, m, clip, &out->trace);
  for (int run = 0; !rc && run < timed_runs; run++) {
    avs_layer_trace t = {0};
    rc = traced_forward(ctx, m, clip, &t);
    if (!rc && t.n != out->trace.n) rc = avs_seterr(AVS_EINVAL, "the model ran different layers on a second pass");
    for (int i = 0; !rc && i < t.n; i++) {
      avs_layer_row *r = &out->trace.rows[i];
      r->ms = run == 0 || t.rows[i].ms < r->ms ? t.rows[i].ms : r->ms;
    }
    avs_layer_trace_free(&t);
  }
  avs_tensor_free(&clip);
  avs_ctx_free(&ctx);
  if (rc) {
    avs_action_profile_free(out);
    return rc;
  }
  out->timed = timed_runs > 0;
  for (int i = 0; i < m->params.n; i++)
    if (m->params.t[i]->requires_grad) out->params += m->params.t[i]->numel;
  for (int i = 0; i < out->trace.n; i++) {
    const avs_layer_row *r = &out->trace.rows[i];
    out->traced_params += r->params;
    out->macs += r->macs;
    out->ms += out->timed ? r->ms : 0;
    if (!strncmp(r->kind, "conv", 4)) out->conv_macs += r->macs, out->conv_ms += out->timed ? r->ms : 0;
  }
  return AVS_OK;
}

int avs_action_profile_run(const avs_action_model *m, avs_action_profile *out) { return profile(m, 0, out); }

int avs_action_profile_time(const avs_action_model *m, int runs, avs_action_profile *out) {
  if (runs < 1) return avs_seterr(AVS_EINVAL, "profile runs must be at least 1, not %d", runs);
  return profile(m, runs, out);
}

void avs_action_profile_free(avs_action_profile *p) {
  avs_layer_trace_free(&p->trace);
  memset(p, 0, sizeof *p);
}
