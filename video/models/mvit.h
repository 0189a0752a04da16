/* MViT, Multiscale Vision Transformers (Fan, Xiong, Mangalam, Li, Yan, Malik,
 * Feichtenhofer, ICCV 2021), version 1 as facebookresearch/SlowFast builds it
 * (slowfast/models/video_model_builder.py MViT, attention.py
 * MultiScaleBlock / MultiScaleAttention):
 *
 *   patch embedding: conv3d 3x7x7, stride 2x4x4, padding 1x3x3 -> tokens (t h w)
 *   cls token; positional embeddings separate in space, time and for the cls
 *   blocks: x = pool_skip(x) + attn(LN(x)); x = [proj(LN(x)) or x] + MLP(LN(x))
 *     pooling attention: q, k, v linear; per head, the token grid (cls kept
 *     aside) pooled by a depthwise conv (then LayerNorm over the head's
 *     channels), a max pool or an average pool with kernel 3x3x3, padding 1;
 *     q is pooled with stride 1x2x2 at the first block of each stage, k and v
 *     always, with strides that start at 1 x kv_stride x kv_stride and shrink
 *     with each q stride (POOL_KV_STRIDE_ADAPTIVE); the skip path max-pools
 *     with kernel 1x3x3 where q is strided
 *   a stage start doubles the heads there and the width from the block before
 *     it (whose MLP and proj widen the tokens)
 *   LayerNorm, the cls token -> dropout -> head.projection
 *
 * Block norms are LayerNorm(eps 1e-6); the pooling norms LayerNorm(eps 1e-5).
 * Names as SlowFast: cls_token, pos_embed_spatial (1, hw, D),
 * pos_embed_temporal (1, t, D), pos_embed_class (1, 1, D),
 * patch_embed.proj.{weight,bias}, blocks.<i>.{norm1, attn.q, attn.k, attn.v,
 * attn.proj, attn.pool_{q,k,v} (conv weight), attn.norm_{q,k,v}, norm2,
 * mlp.fc1, mlp.fc2, proj}, norm, head.projection. Stochastic depth is not
 * implemented (training as with drop_path_rate 0). Returns logits: SlowFast's
 * head applies softmax in evaluation. */
#ifndef AVS_MVIT_H
#define AVS_MVIT_H

#include "video/models/registry.h"

enum { AVS_MVIT_POOL_CONV = 0, AVS_MVIT_POOL_MAX = 1, AVS_MVIT_POOL_AVG = 2 };
#define AVS_MVIT_MAX_STAGES 3

typedef struct {
  avs_action_base base; /* 400 classes, 16 x 224 x 224 */
  int dim;              /* embedding width of the first stage, 96 */
  int heads;            /* heads of the first stage, 1 */
  int depth;            /* blocks, 16 */
  int mlp_ratio;        /* MLP hidden width / block width, 4 */
  bool qkv_bias;        /* true */
  int pool_mode;        /* AVS_MVIT_POOL_CONV (MViT-B), _MAX or _AVG */
  int kv_stride;        /* spatial k/v pooling stride of the first stage, 8 (MViT-B 16x4) */
  int stage[AVS_MVIT_MAX_STAGES]; /* first blocks of stages 2..4, ascending, 0 = none: 1, 3, 14 */
  float dropout;        /* before the head in training, 0.5 */
} avs_mvit_cfg;

int avs_mvit_declare(avs_params *p, const avs_mvit_cfg *cfg);
/* clip (N, T, H, W, 3) with T, H, W as cfg->base -> logits (N, classes). */
avs_tensor *avs_mvit_forward(avs_ctx *ctx, const avs_params *p, const avs_mvit_cfg *cfg, avs_tensor *clip);

#endif
