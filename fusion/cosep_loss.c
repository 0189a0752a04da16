/* Co-Separation's losses (train.py get_coseparation_loss, models/criterion.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/cosep.h"
#include "fusion/separation.h"

void avs_cosep_ratio_mask(const float *src, const float *mix, int64_t n, float *gt) {
  for (int64_t i = 0; i < n; i++) gt[i] = fminf(fmaxf(src[i] / mix[i], 0.0f), 5.0f);
}

void avs_cosep_loss_weight(const float *mix, int64_t n, float *weight) {
  for (int64_t i = 0; i < n; i++) weight[i] = fminf(fmaxf(log1pf(mix[i]), 1e-3f), 10.0f);
}

/* Every video's mask is as large as the others, so the mean over videos of
 * per-video means is one mean over the stacked (V, F, T) sums; the weight is
 * positive (at least 1e-3), so w |s - g| = |w s - w g| and w (s - g)^2 =
 * (sqrt(w) s - sqrt(w) g)^2 put it inside the unweighted losses. */
avs_tensor *avs_cosep_coseparation_loss(avs_ctx *ctx, avs_tensor *masks, const int *video_of, avs_tensor *gt,
                                        avs_tensor *weight, avs_cosep_dist dist) {
  if (!masks || !gt) return NULL;
  int64_t objects = masks->shape[0], videos = gt->shape[0];
  if (masks->ndim != 3 || gt->ndim != 3 || gt->shape[1] != masks->shape[1] || gt->shape[2] != masks->shape[2] ||
      (weight && weight->numel != gt->numel)) {
    avs_seterr(AVS_ESHAPE, "cosep loss takes masks (O, F, T), ground truth and weight (V, F, T) of the same F, T");
    return NULL;
  }
  avs_tensor **sums = calloc((size_t)videos, sizeof *sums), *pred = NULL, *target = gt;
  if (!sums) {
    avs_seterr(AVS_ENOMEM, "out of memory");
    return NULL;
  }
  for (int64_t i = 0; i < objects; i++) {
    if (video_of[i] < 0 || video_of[i] >= videos) {
      avs_seterr(AVS_EINVAL, "cosep loss: object %lld belongs to video %d of %lld", (long long)i, video_of[i],
                 (long long)videos);
      goto fail;
    }
    avs_tensor *row = avs_slice(ctx, masks, 0, i, i + 1, 1);
    sums[video_of[i]] = sums[video_of[i]] ? avs_add(ctx, sums[video_of[i]], row) : row;
  }
  for (int64_t v = 0; v < videos; v++)
    if (!sums[v]) {
      avs_seterr(AVS_EINVAL, "cosep loss: video %lld has no object", (long long)v);
      goto fail;
    }
  pred = avs_concat(ctx, (int)videos, sums, 0);
fail:
  free(sums);
  if (!pred) return NULL;
  if (weight) {
    avs_tensor *w = weight;
    if (dist == AVS_COSEP_L2) {
      w = avs_ctx_tensor(ctx, weight->ndim, weight->shape);
      if (!w) return NULL;
      for (int64_t i = 0; i < w->numel; i++) w->data[i] = sqrtf(weight->data[i]);
    }
    pred = avs_mul(ctx, pred, w), target = avs_mul(ctx, gt, w);
  }
  return dist == AVS_COSEP_L2 ? avs_mse_loss(ctx, pred, target) : avs_l1_loss(ctx, pred, target);
}

avs_tensor *avs_cosep_consistency_loss(avs_ctx *ctx, avs_tensor *logits, const int *labels) {
  return avs_cross_entropy(ctx, logits, labels);
}

avs_tensor *avs_cosep_train_loss(avs_ctx *ctx, const avs_model *m, const avs_sep_batch *b,
                                 const avs_cosep_train_opts *o) {
  if (strcmp(m->arch->name, "cosep") || !b->video_of) {
    avs_seterr(AVS_EINVAL, "the co-separation loss takes a cosep model and a batch with per-video targets");
    return NULL;
  }
  const avs_cosep_cfg *cfg = m->cfg;
  for (int j = 0; j < b->n_src; j++)
    if (b->labels[j] < 0 || b->labels[j] >= cfg->classes) {
      avs_seterr(AVS_EINVAL, "object category %d is outside the classifier's %d classes", b->labels[j], cfg->classes);
      return NULL;
    }
  avs_tensor *masks = avs_sigmoid(ctx, avs_sep_model_forward(ctx, m, b->input, b->crops, b->mix_of));
  avs_tensor *loss = avs_cosep_coseparation_loss(ctx, masks, b->video_of, b->video_target,
                                                 o->unweighted ? NULL : b->video_weight, o->dist);
  if (!loss || o->class_weight == 0) return loss;
  /* The classifier sees each object's own mixture: the batch keeps one per mixture. */
  int64_t plane = b->mixmag->shape[1] * b->mixmag->shape[2];
  avs_tensor *mix = avs_ctx_tensor(ctx, 3, AVS_SHAPE(b->n_src, b->mixmag->shape[1], b->mixmag->shape[2]));
  if (!mix) return NULL;
  for (int j = 0; j < b->n_src; j++)
    memcpy(mix->data + plane * j, b->mixmag->data + plane * b->mix_of[j], sizeof(float) * (size_t)plane);
  avs_tensor *consistency = avs_cosep_consistency_loss(ctx, avs_cosep_classify(ctx, &m->params, cfg, mix, masks),
                                                       b->labels);
  return consistency ? avs_add(ctx, loss, avs_scale(ctx, consistency, o->class_weight)) : NULL;
}
