/* Per-layer table of an action model (see profile.h). */
#include <string.h>

#include "av/status.h"
#include "video/models/profile.h"

int avs_action_profile_run(const avs_action_model *m, avs_action_profile *out) {
  memset(out, 0, sizeof *out);
  const avs_action_base *b = avs_action_model_base(m);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  if (!ctx) return avs_errcode();
  int rc = AVS_OK;
  avs_tensor *clip = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, b->frames, b->height, b->width, avs_action_channels(m)));
  avs_layer_trace_start(ctx, &out->trace);
  avs_tensor *y = avs_action_model_forward(ctx, m, clip);
  avs_layer_trace_stop(ctx);
  if (!y) rc = avs_errcode() ? avs_errcode() : AVS_ENOMEM;
  else if (out->trace.failed) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  avs_ctx_free(&ctx);
  if (rc) {
    avs_action_profile_free(out);
    return rc;
  }
  for (int i = 0; i < m->params.n; i++)
    if (m->params.t[i]->requires_grad) out->params += m->params.t[i]->numel;
  for (int i = 0; i < out->trace.n; i++) {
    const avs_layer_row *r = &out->trace.rows[i];
    out->traced_params += r->params;
    out->macs += r->macs;
    if (!strncmp(r->kind, "conv", 4)) out->conv_macs += r->macs;
  }
  return AVS_OK;
}

void avs_action_profile_free(avs_action_profile *p) {
  avs_layer_trace_free(&p->trace);
  memset(p, 0, sizeof *p);
}
