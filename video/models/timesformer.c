/* TimeSformer, divided space-time attention (see timesformer.h). */
#include "video/models/timesformer.h"

#include <stdio.h>

#include "av/status.h"
#include "nn/trace.h"
#include "nn/transformer.h"
#include "nn/unit.h"

#define TSF_LN_EPS 1e-6f

/* ---- shared pieces ---- */

avs_tensor *avs_vt_token(avs_ctx *ctx, avs_tensor *x, int64_t index) {
  x = avs_slice(ctx, x, 1, index, index + 1, 1);
  return x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], x->shape[2])) : NULL;
}

avs_tensor *avs_vt_repeat_rows(avs_ctx *ctx, avs_tensor *x, int64_t reps) {
  if (!x) return NULL;
  /* zeros (reps, N, C) + x broadcast over the leading dim, then (N, reps, C). */
  avs_tensor *z = avs_ctx_zeros(ctx, 3, AVS_SHAPE(reps, x->shape[0], x->shape[1]));
  return z ? avs_permute(ctx, avs_add(ctx, z, x), (const int[]){1, 0, 2}) : NULL;
}

/* ---- the model ---- */

static int tsf_grid(const avs_timesformer_cfg *c, int *h, int *w) {
  if (c->patch < 1 || c->base.height % c->patch || c->base.width % c->patch)
    return avs_seterr(AVS_EINVAL, "timesformer: %dx%d frames do not split into %d-pixel patches", c->base.height,
                      c->base.width, c->patch);
  *h = c->base.height / c->patch, *w = c->base.width / c->patch;
  return AVS_OK;
}

/* qkv (with or without bias) and proj of one attention. */
static int declare_attn(avs_params *p, const char *name, int dim, bool qkv_bias) {
  char n[AVS_NAME_MAX];
  if (!avs_params_add(p, avs_unit_name(n, "%s.qkv.weight", name), 2, AVS_SHAPE(3 * dim, dim)) ||
      (qkv_bias && !avs_params_add(p, avs_unit_name(n, "%s.qkv.bias", name), 1, AVS_SHAPE(3 * dim))))
    return avs_errcode();
  return avs_unit_declare_linear(p, avs_unit_name(n, "%s.proj", name), dim, dim);
}

int avs_timesformer_declare(avs_params *p, const avs_timesformer_cfg *c) {
  int gh = 0, gw = 0, rc, d = c->dim;
  if ((rc = tsf_grid(c, &gh, &gw))) return rc;
  if (d < 1 || c->heads < 1 || d % c->heads || c->depth < 0 || c->mlp_ratio < 1 || c->base.frames < 1 ||
      c->base.classes < 1)
    return avs_seterr(AVS_EINVAL, "timesformer: dim %d must be a positive multiple of heads %d; depth, frames, "
                      "classes and mlp_ratio positive", d, c->heads);
  char n[AVS_NAME_MAX];
  if (!avs_params_add(p, "model.cls_token", 3, AVS_SHAPE(1, 1, d)) ||
      !avs_params_add(p, "model.pos_embed", 3, AVS_SHAPE(1, gh * gw + 1, d)) ||
      !avs_params_add(p, "model.time_embed", 3, AVS_SHAPE(1, c->base.frames, d)))
    return avs_errcode();
  avs_conv_spec embed = {2, 3, d, {c->patch, c->patch}, {c->patch, c->patch}, {0}, true, {0}};
  if ((rc = avs_unit_declare_conv(p, "model.patch_embed.proj", &embed))) return rc;
  for (int i = 0; i < c->depth; i++) {
    char b[AVS_NAME_MAX];
    avs_unit_name(b, "model.blocks.%d", i);
    if ((rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm1", b), d)) ||
        (rc = declare_attn(p, avs_unit_name(n, "%s.attn", b), d, c->qkv_bias)) ||
        (rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.temporal_norm1", b), d)) ||
        (rc = declare_attn(p, avs_unit_name(n, "%s.temporal_attn", b), d, c->qkv_bias)) ||
        (rc = avs_unit_declare_linear(p, avs_unit_name(n, "%s.temporal_fc", b), d, d)) ||
        (rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm2", b), d)) ||
        (rc = avs_unit_declare_mlp(p, avs_unit_name(n, "%s.mlp", b), d, d * c->mlp_ratio, d)))
      return rc;
  }
  if ((rc = avs_unit_declare_layer_norm(p, "model.norm", d))) return rc;
  return avs_unit_declare_linear(p, "model.head", d, c->base.classes);
}

/* Multi-head self-attention of x (N, L, D) as the repository's Attention: one
 * qkv linear whose output splits into q, k, v (each heads x head_dim), softmax
 * of q k^T / sqrt(head_dim), proj. */
static avs_tensor *self_attention(avs_ctx *ctx, const avs_params *p, const avs_timesformer_cfg *c, const char *name,
                                  avs_tensor *x) {
  char n[AVS_NAME_MAX];
  avs_tensor *qkv = avs_unit_linear(ctx, p, avs_unit_name(n, "%s.qkv", name), x);
  if (!qkv) return NULL;
  int d = c->dim;
  avs_tensor *q = avs_slice(ctx, qkv, 2, 0, d, 1), *k = avs_slice(ctx, qkv, 2, d, 2 * d, 1);
  avs_tensor *v = avs_slice(ctx, qkv, 2, 2 * d, 3 * d, 1);
  return avs_unit_linear(ctx, p, avs_unit_name(n, "%s.proj", name), avs_attention(ctx, q, k, v, c->heads));
}

/* One divided space-time block on x (B, 1 + S*T, D), tokens [cls, (s t)]. */
static avs_tensor *block(avs_ctx *ctx, const avs_params *p, const avs_timesformer_cfg *c, int i, int64_t s,
                         avs_tensor *x) {
  if (!x) return NULL;
  int64_t B = x->shape[0], T = c->base.frames, D = c->dim;
  char n[AVS_NAME_MAX];
  /* Temporal attention over the T tokens of each patch position. */
  avs_tensor *xt_in = avs_slice(ctx, x, 1, 1, 1 + s * T, 1);
  avs_tensor *h = avs_reshape(ctx, xt_in, 3, AVS_SHAPE(B * s, T, D));
  h = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "model.blocks.%d.temporal_norm1", i), TSF_LN_EPS, h);
  h = self_attention(ctx, p, c, avs_unit_name(n, "model.blocks.%d.temporal_attn", i), h);
  h = avs_reshape(ctx, h, 3, AVS_SHAPE(B, s * T, D));
  h = avs_unit_linear(ctx, p, avs_unit_name(n, "model.blocks.%d.temporal_fc", i), h);
  avs_tensor *xt = avs_add(ctx, xt_in, h);
  /* Spatial attention in each frame, over the clip's cls token and the frame's patches. */
  avs_tensor *cls = avs_vt_token(ctx, x, 0); /* (B, D) */
  avs_tensor *cls_t = avs_reshape(ctx, avs_vt_repeat_rows(ctx, cls, T), 3, AVS_SHAPE(B * T, 1, D));
  avs_tensor *xs = avs_permute(ctx, avs_reshape(ctx, xt, 4, AVS_SHAPE(B, s, T, D)), (const int[]){0, 2, 1, 3});
  xs = avs_reshape(ctx, xs, 3, AVS_SHAPE(B * T, s, D));
  xs = avs_concat(ctx, 2, (avs_tensor *[]){cls_t, xs}, 1);
  xs = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "model.blocks.%d.norm1", i), TSF_LN_EPS, xs);
  avs_tensor *rs = self_attention(ctx, p, c, avs_unit_name(n, "model.blocks.%d.attn", i), xs);
  /* The frames' cls results averaged: (B*T, D) viewed as (B, T, 1, D), pooled over T. */
  avs_tensor *rcls = avs_reshape(ctx, avs_vt_token(ctx, rs, 0), 4, AVS_SHAPE(B, T, 1, D));
  rcls = avs_reshape(ctx, avs_adaptive_avg_pool2d(ctx, rcls, 1, 1), 3, AVS_SHAPE(B, 1, D));
  avs_tensor *rp = avs_reshape(ctx, avs_slice(ctx, rs, 1, 1, 1 + s, 1), 4, AVS_SHAPE(B, T, s, D));
  rp = avs_reshape(ctx, avs_permute(ctx, rp, (const int[]){0, 2, 1, 3}), 3, AVS_SHAPE(B, s * T, D));
  avs_tensor *cls0 = avs_slice(ctx, x, 1, 0, 1, 1);
  x = avs_add(ctx, avs_concat(ctx, 2, (avs_tensor *[]){cls0, xt}, 1), avs_concat(ctx, 2, (avs_tensor *[]){rcls, rp}, 1));
  /* MLP. */
  h = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "model.blocks.%d.norm2", i), TSF_LN_EPS, x);
  return avs_add(ctx, x, avs_unit_mlp(ctx, p, avs_unit_name(n, "model.blocks.%d.mlp", i), h));
}

avs_tensor *avs_timesformer_forward(avs_ctx *ctx, const avs_params *p, const avs_timesformer_cfg *c,
                                    avs_tensor *clip) {
  int gh = 0, gw = 0;
  if (!clip || tsf_grid(c, &gh, &gw)) return NULL;
  if (clip->ndim != 5 || clip->shape[1] != c->base.frames || clip->shape[2] != c->base.height ||
      clip->shape[3] != c->base.width || clip->shape[4] != 3) {
    char s[96];
    avs_seterr(AVS_ESHAPE, "timesformer: clip %s is not (N, %d, %d, %d, 3)",
               avs_shape_str(clip->ndim, clip->shape, s, sizeof s), c->base.frames, c->base.height, c->base.width);
    return NULL;
  }
  avs_tensor *cls = avs_unit_param(p, "model.cls_token"), *pos = avs_unit_param(p, "model.pos_embed");
  avs_tensor *time = avs_unit_param(p, "model.time_embed");
  if (!cls || !pos || !time) return NULL;
  int64_t B = clip->shape[0], T = c->base.frames, D = c->dim, s = (int64_t)gh * gw;
  /* Patch embedding of every frame, + the spatial positions. */
  avs_tensor *x = avs_reshape(ctx, clip, 4, AVS_SHAPE(B * T, c->base.height, c->base.width, 3));
  avs_conv_spec embed = {2, 3, (int)D, {c->patch, c->patch}, {c->patch, c->patch}, {0}, true, {0}};
  x = avs_reshape(ctx, avs_unit_conv(ctx, p, "model.patch_embed.proj", &embed, x), 3, AVS_SHAPE(B * T, s, D));
  x = avs_add(ctx, x, avs_reshape(ctx, avs_slice(ctx, pos, 1, 1, 1 + s, 1), 2, AVS_SHAPE(s, D)));
  /* + the frames' positions, tokens reordered (b t) s -> b (s t). */
  x = avs_permute(ctx, avs_reshape(ctx, x, 4, AVS_SHAPE(B, T, s, D)), (const int[]){0, 2, 1, 3});
  x = avs_add(ctx, x, avs_reshape(ctx, time, 2, AVS_SHAPE(T, D)));
  x = avs_reshape(ctx, x, 3, AVS_SHAPE(B, s * T, D));
  avs_layer_trace_add(ctx, "model.pos_embed", "embed", x, cls->numel + pos->numel + time->numel, 0);
  /* One cls token per clip (cls_token + pos_embed[0]; the repository keeps frame 0's). */
  avs_tensor *c0 = avs_add(ctx, avs_reshape(ctx, cls, 2, AVS_SHAPE(1, D)),
                           avs_reshape(ctx, avs_slice(ctx, pos, 1, 0, 1, 1), 2, AVS_SHAPE(1, D)));
  c0 = avs_reshape(ctx, avs_vt_repeat_rows(ctx, c0, B), 3, AVS_SHAPE(B, 1, D));
  x = avs_concat(ctx, 2, (avs_tensor *[]){c0, x}, 1);
  for (int i = 0; i < c->depth; i++) x = block(ctx, p, c, i, s, x);
  x = avs_unit_layer_norm(ctx, p, "model.norm", TSF_LN_EPS, x);
  return avs_unit_linear(ctx, p, "model.head", avs_vt_token(ctx, x, 0));
}

/* ---- registry ---- */

static const avs_timesformer_cfg tsf_default = {
    .base = {.classes = 400, .frames = 8, .height = 224, .width = 224},
    .patch = 16, .dim = 768, .depth = 12, .heads = 12, .mlp_ratio = 4, .qkv_bias = true};
static const avs_hparam tsf_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_timesformer_cfg),
    AVS_HP(avs_timesformer_cfg, patch, AVS_HP_INT, "patch size in pixels (16)"),
    AVS_HP(avs_timesformer_cfg, dim, AVS_HP_INT, "embedding width (768)"),
    AVS_HP(avs_timesformer_cfg, depth, AVS_HP_INT, "blocks (12)"),
    AVS_HP(avs_timesformer_cfg, heads, AVS_HP_INT, "attention heads (12)"),
    AVS_HP(avs_timesformer_cfg, mlp_ratio, AVS_HP_INT, "MLP hidden width over dim (4)"),
    AVS_HP(avs_timesformer_cfg, qkv_bias, AVS_HP_BOOL, "bias on the qkv projections (true)"),
};
AVS_ACTION_ARCH_GLUE(timesformer, avs_timesformer_cfg)
const avs_arch avs_arch_timesformer = {
    .name = "timesformer", .title = "TimeSformer, divided space-time attention (Bertasius et al., ICML 2021)",
    AVS_ACTION_TASK(timesformer, "imagenet", 3),
    AVS_ARCH_FIELDS(timesformer, avs_timesformer_cfg, tsf_default, tsf_hparams)};
