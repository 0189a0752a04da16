/* Batch norm folded into the convolution before it, for eval mode:
 *   s = gamma / sqrt(running_var + eps),  w' = w * s (per output channel),
 *   b' = beta + (b - running_mean) * s
 * so a conv + BN pair is one convolution with bias (no pass over the
 * activations for BN). The folded tensors live in a cache owned by a model
 * (nn/model.c creates one per model, and a model's forward puts it on the
 * context it runs on: avs_model_select_fold); entries are refolded when any
 * source tensor's version changes (loading, training steps). Without a cache
 * on the context, units run the
 * BN as a separate op. */
#ifndef AVS_NN_FOLD_H
#define AVS_NN_FOLD_H

#include "av/ctx.h"
#include "av/ops.h"

typedef struct avs_fold_cache avs_fold_cache;

avs_fold_cache *avs_fold_cache_new(void);
void avs_fold_cache_free(avs_fold_cache **c);

/* The folded weight and bias of conv (w, optional b) + bn from the context's
 * cache: 1 when fw and fb are set, 0 when the context has none, < 0 on error. */
int avs_fold_get(avs_ctx *ctx, const avs_tensor *w, const avs_tensor *b, const avs_bn *bn, avs_tensor **fw, avs_tensor **fb);

#endif
