/* Transformer units shared by the video transformers (TimeSformer, MViT) and
 * the cross-modal attention of fusion/: layer norm and the two-layer MLP,
 * under PyTorch state_dict names. */
#ifndef AVS_NN_TRANSFORMER_H
#define AVS_NN_TRANSFORMER_H

#include "av/ctx.h"
#include "av/params.h"

/* LayerNorm over the last dim: <name>.weight (ones) and <name>.bias (zeros); a trace row of its own. */
int avs_unit_declare_layer_norm(avs_params *p, const char *name, int dim);
avs_tensor *avs_unit_layer_norm(avs_ctx *ctx, const avs_params *p, const char *name, float eps, avs_tensor *x);
/* <name>.fc1 (dim -> hidden) -> GELU -> <name>.fc2 (hidden -> out). */
int avs_unit_declare_mlp(avs_params *p, const char *name, int dim, int hidden, int out);
avs_tensor *avs_unit_mlp(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x);

#endif
