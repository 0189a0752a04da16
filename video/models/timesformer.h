/* TimeSformer with divided space-time attention (Bertasius, Wang, Torresani,
 * "Is Space-Time Attention All You Need for Video Understanding?", ICML 2021),
 * as facebookresearch/TimeSformer builds it (vit.py, attention_type
 * 'divided_space_time'):
 *
 *   patch embedding: a p x p conv, stride p, on every frame -> (h w) tokens
 *   + pos_embed over [cls, patches] (shared by all frames), + time_embed over
 *     frames; tokens ordered (h w t) after one cls token per clip
 *   each block:  temporal attention  xt = x + temporal_fc(attn_t(LN(x)))  over
 *                                     the T tokens at each patch position
 *                spatial attention   over [cls, h w] in each frame; the cls
 *                                     results of the T frames are averaged
 *                MLP                 x + fc2(GELU(fc1(LN(x))))
 *   LayerNorm (eps 1e-6), the cls token -> head (linear)
 *
 * Names as the repository's TimeSformer wrapper: model.cls_token,
 * model.pos_embed (1, hw+1, D), model.time_embed (1, T, D),
 * model.patch_embed.proj.{weight,bias}, model.blocks.<i>.{norm1, attn.qkv,
 * attn.proj, temporal_norm1, temporal_attn.qkv, temporal_attn.proj,
 * temporal_fc, norm2, mlp.fc1, mlp.fc2}.{weight,bias}, model.norm,
 * model.head. Stochastic depth (drop_path) is not implemented: training runs
 * as with drop_path_rate 0; evaluation is unaffected. The clip size must
 * match the embeddings (the repository interpolates them otherwise). */
#ifndef AVS_TIMESFORMER_H
#define AVS_TIMESFORMER_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes, 8 x 224 x 224 */
  int patch;            /* 16 */
  int dim;              /* embedding width, 768 */
  int depth;            /* blocks, 12 */
  int heads;            /* 12; dim must be a multiple */
  int mlp_ratio;        /* MLP hidden width / dim, 4 */
  bool qkv_bias;        /* true */
} avs_timesformer_cfg;

int avs_timesformer_declare(avs_params *p, const avs_timesformer_cfg *cfg);
/* clip (N, T, H, W, 3) with T, H, W as cfg->base -> logits (N, classes). */
avs_tensor *avs_timesformer_forward(avs_ctx *ctx, const avs_params *p, const avs_timesformer_cfg *cfg,
                                    avs_tensor *clip);

/* ---- pieces shared by the video transformers ---- */
/* x (N, L, C) -> (N, C): token `index`. */
avs_tensor *avs_vt_token(avs_ctx *ctx, avs_tensor *x, int64_t index);
/* x (N, C) -> (N, reps, C), every row repeated. */
avs_tensor *avs_vt_repeat_rows(avs_ctx *ctx, avs_tensor *x, int64_t reps);

#endif
