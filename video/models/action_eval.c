/* Scoring a model over labelled clips (see action_eval.h). */
#include "video/models/action_eval.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/models/action_input.h"

int avs_action_evaluate(avs_ctx *ctx, const avs_action_model *m, const avs_action_eval_job *job, avs_action_score *s) {
  const avs_action_base *b = avs_action_model_base(m);
  if (job->batch < 1) return avs_seterr(AVS_EINVAL, "batch size %d", job->batch);
  int64_t per_clip = (int64_t)b->frames * b->height * b->width * avs_action_channels(m);
  bool train = avs_ctx_train(ctx);
  avs_ctx_set_train(ctx, false);
  int rc = AVS_OK;
  for (int start = 0; !rc && start < job->n; start += job->batch) {
    int nb = job->n - start < job->batch ? job->n - start : job->batch;
    avs_ctx_reset(ctx);
    avs_tensor *x = avs_ctx_tensor(ctx, 5, AVS_SHAPE(nb, b->frames, b->height, b->width, avs_action_channels(m)));
    if (!x) rc = avs_errcode();
    for (int i = 0; !rc && i < nb; i++) {
      float **slot = job->cache ? &job->cache[start + i] : NULL;
      rc = avs_action_input_cached(m, job->videos[start + i], 0.5, slot, x->data + i * per_clip);
    }
    if (rc) break;
    avs_tensor *y = avs_action_model_forward(ctx, m, x);
    if (!y) {
      rc = avs_errcode();
      break;
    }
    for (int i = 0; i < nb; i++) {
      const float *logits = y->data + (int64_t)i * b->classes;
      avs_action_score_add(s, logits, job->classes[start + i]);
      if (job->logits) memcpy(job->logits + (int64_t)(start + i) * b->classes, logits, sizeof(float) * b->classes);
    }
    if (job->progress) job->progress(job->user, start + nb);
  }
  avs_ctx_reset(ctx);
  avs_ctx_set_train(ctx, train);
  return rc;
}
