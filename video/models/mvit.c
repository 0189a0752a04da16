/* MViT v1 pooling attention (see mvit.h). */
#include "video/models/mvit.h"

#include <math.h>
#include <stdio.h>

#include "av/status.h"
#include "video/models/timesformer.h"
#include "nn/trace.h"
#include "nn/transformer.h"
#include "nn/unit.h"

#define MVIT_LN_EPS 1e-6f      /* block norms: partial(nn.LayerNorm, eps=1e-6) */
#define MVIT_POOL_LN_EPS 1e-5f /* norm_q/k/v: nn.LayerNorm */
#define MVIT_MAX_DEPTH 64

/* What the configuration makes of block i. */
typedef struct {
  int dim, dim_out, heads;
  bool pool_q;      /* q (and the skip path) strided 1x2x2 */
  int kv_stride[3]; /* k and v pooling stride */
} mvit_block;

static const int q_stride[3] = {1, 2, 2}, pool_kernel[3] = {3, 3, 3};

static bool stage_start(const avs_mvit_cfg *c, int i) {
  for (int s = 0; s < AVS_MVIT_MAX_STAGES; s++)
    if (c->stage[s] > 0 && c->stage[s] == i) return true;
  return false;
}

/* Widths, heads and strides of every block, as SlowFast derives them from
 * DIM_MUL, HEAD_MUL, POOL_Q_STRIDE and POOL_KV_STRIDE_ADAPTIVE. */
static int mvit_plan(const avs_mvit_cfg *c, mvit_block *b) {
  if (c->depth < 1 || c->depth > MVIT_MAX_DEPTH || c->dim < 1 || c->heads < 1 || c->mlp_ratio < 1 ||
      c->kv_stride < 1 || c->base.classes < 1 || c->pool_mode < 0 || c->pool_mode > AVS_MVIT_POOL_AVG)
    return avs_seterr(AVS_EINVAL, "mvit: depth 1..%d, dim, heads, mlp_ratio, kv_stride and classes positive, "
                      "pool_mode 0 (conv), 1 (max) or 2 (avg)", MVIT_MAX_DEPTH);
  for (int s = 0, last = 0; s < AVS_MVIT_MAX_STAGES; s++) {
    if (!c->stage[s]) continue;
    if (c->stage[s] <= last || c->stage[s] >= c->depth)
      return avs_seterr(AVS_EINVAL, "mvit: stage starts must ascend within 1..%d (got %d)", c->depth - 1,
                        c->stage[s]);
    last = c->stage[s];
  }
  if (c->base.frames % 2 || c->base.height % 4 || c->base.width % 4)
    return avs_seterr(AVS_EINVAL, "mvit: clips of %dx%dx%d do not fit the 2x4x4 patch stride", c->base.frames,
                      c->base.height, c->base.width);
  int dim = c->dim, heads = c->heads, kv[3] = {1, c->kv_stride, c->kv_stride};
  for (int i = 0; i < c->depth; i++) {
    b[i].pool_q = stage_start(c, i);
    if (b[i].pool_q) {
      dim *= 2, heads *= 2;
      for (int d = 0; d < 3; d++) kv[d] = kv[d] / q_stride[d] > 1 ? kv[d] / q_stride[d] : 1;
    }
    if (dim % heads) return avs_seterr(AVS_EINVAL, "mvit: block %d width %d is not a multiple of %d heads", i, dim, heads);
    b[i].dim = dim, b[i].heads = heads;
    for (int d = 0; d < 3; d++) b[i].kv_stride[d] = kv[d];
  }
  for (int i = 0; i < c->depth; i++) b[i].dim_out = i + 1 < c->depth ? b[i + 1].dim : b[i].dim;
  return AVS_OK;
}

/* ---- parameter table ---- */

static int declare_linear(avs_params *p, const char *name, int in, int out, bool bias) {
  char n[AVS_NAME_MAX];
  if (bias) return avs_unit_declare_linear(p, name, in, out);
  return avs_params_add(p, avs_unit_name(n, "%s.weight", name), 2, AVS_SHAPE(out, in)) ? AVS_OK : avs_errcode();
}

/* pool_<x> (depthwise conv weight) and norm_<x> of the conv pooling mode. */
static int declare_pool(avs_params *p, const char *block, const char *x, int head_dim) {
  char n[AVS_NAME_MAX];
  if (!avs_params_add(p, avs_unit_name(n, "%s.attn.pool_%s.weight", block, x), 5,
                      AVS_SHAPE(head_dim, 1, pool_kernel[0], pool_kernel[1], pool_kernel[2])))
    return avs_errcode();
  return avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.attn.norm_%s", block, x), head_dim);
}

static int declare_block(avs_params *p, const avs_mvit_cfg *c, int i, const mvit_block *b) {
  char blk[AVS_NAME_MAX], n[AVS_NAME_MAX];
  avs_unit_name(blk, "blocks.%d", i);
  int rc, d = b->dim, hd = b->dim / b->heads;
  if ((rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm1", blk), d))) return rc;
  static const char *const qkv[3] = {"q", "k", "v"};
  for (int j = 0; j < 3; j++)
    if ((rc = declare_linear(p, avs_unit_name(n, "%s.attn.%s", blk, qkv[j]), d, d, c->qkv_bias))) return rc;
  if ((rc = avs_unit_declare_linear(p, avs_unit_name(n, "%s.attn.proj", blk), d, d))) return rc;
  if (c->pool_mode == AVS_MVIT_POOL_CONV)
    for (int j = b->pool_q ? 0 : 1; j < 3; j++)
      if ((rc = declare_pool(p, blk, qkv[j], hd))) return rc;
  if ((rc = avs_unit_declare_layer_norm(p, avs_unit_name(n, "%s.norm2", blk), d)) ||
      (rc = avs_unit_declare_mlp(p, avs_unit_name(n, "%s.mlp", blk), d, d * c->mlp_ratio, b->dim_out)))
    return rc;
  return b->dim_out != d ? avs_unit_declare_linear(p, avs_unit_name(n, "%s.proj", blk), d, b->dim_out) : AVS_OK;
}

int avs_mvit_declare(avs_params *p, const avs_mvit_cfg *c) {
  mvit_block b[MVIT_MAX_DEPTH];
  int rc;
  if ((rc = mvit_plan(c, b))) return rc;
  int d = c->dim, t = c->base.frames / 2, hw = (c->base.height / 4) * (c->base.width / 4);
  if (!avs_params_add(p, "cls_token", 3, AVS_SHAPE(1, 1, d)) ||
      !avs_params_add(p, "pos_embed_spatial", 3, AVS_SHAPE(1, hw, d)) ||
      !avs_params_add(p, "pos_embed_temporal", 3, AVS_SHAPE(1, t, d)) ||
      !avs_params_add(p, "pos_embed_class", 3, AVS_SHAPE(1, 1, d)))
    return avs_errcode();
  avs_conv_spec embed = {3, 3, d, {3, 7, 7}, {2, 4, 4}, {1, 3, 3}, true, {0}};
  if ((rc = avs_unit_declare_conv(p, "patch_embed.proj", &embed))) return rc;
  for (int i = 0; i < c->depth; i++)
    if ((rc = declare_block(p, c, i, &b[i]))) return rc;
  if ((rc = avs_unit_declare_layer_norm(p, "norm", b[c->depth - 1].dim_out))) return rc;
  return avs_unit_declare_linear(p, "head.projection", b[c->depth - 1].dim_out, c->base.classes);
}

/* ---- forward ---- */

/* SlowFast's attention_pool: x (B, heads, 1 + thw, hd) with the cls token
 * first; the grid pooled per head, thw updated, the cls token put back; then
 * norm_<which> (conv mode). A NULL which leaves x unpooled. */
static avs_tensor *attention_pool(avs_ctx *ctx, const avs_params *p, const avs_mvit_cfg *c, const char *blk,
                                  const char *which, const int *stride, int *thw, avs_tensor *x) {
  if (!x || !which) return x;
  int64_t B = x->shape[0], nh = x->shape[1], n = x->shape[2], hd = x->shape[3];
  avs_tensor *cls = avs_slice(ctx, x, 2, 0, 1, 1);
  avs_tensor *grid = avs_reshape(ctx, avs_slice(ctx, x, 2, 1, n, 1), 5, AVS_SHAPE(B * nh, thw[0], thw[1], thw[2], hd));
  avs_conv conv = {.groups = (int)hd};
  avs_pool pool = {.count_include_pad = true};
  for (int d = 0; d < 3; d++) {
    conv.stride[d] = pool.stride[d] = stride[d];
    conv.pad[d] = pool.pad[d] = pool_kernel[d] / 2;
    pool.kernel[d] = pool_kernel[d];
  }
  if (c->pool_mode == AVS_MVIT_POOL_CONV) {
    avs_tensor *w = avs_unit_param(p, "%s.attn.pool_%s.weight", blk, which);
    grid = w ? avs_conv3d(ctx, grid, w, NULL, conv) : NULL;
    if (grid) {
      char n[AVS_NAME_MAX];
      avs_layer_trace_add(ctx, avs_unit_name(n, "%s.attn.pool_%s", blk, which), "conv3d", grid, w->numel,
                          grid->numel / grid->shape[4] * w->numel);
    }
  } else {
    grid = c->pool_mode == AVS_MVIT_POOL_MAX ? avs_max_pool3d(ctx, grid, pool) : avs_avg_pool3d(ctx, grid, pool);
  }
  if (!grid) return NULL;
  for (int d = 0; d < 3; d++) thw[d] = (int)grid->shape[1 + d];
  grid = avs_reshape(ctx, grid, 4, AVS_SHAPE(B, nh, -1, hd));
  x = avs_concat(ctx, 2, (avs_tensor *[]){cls, grid}, 2);
  if (c->pool_mode != AVS_MVIT_POOL_CONV) return x;
  char n_norm[AVS_NAME_MAX];
  return avs_unit_layer_norm(ctx, p, avs_unit_name(n_norm, "%s.attn.norm_%s", blk, which), MVIT_POOL_LN_EPS, x);
}

/* (B, N, C) -> (B, heads, N, C / heads). */
static avs_tensor *split_heads(avs_ctx *ctx, avs_tensor *x, int heads) {
  if (!x) return NULL;
  x = avs_reshape(ctx, x, 4, AVS_SHAPE(x->shape[0], x->shape[1], heads, x->shape[2] / heads));
  return avs_permute(ctx, x, (const int[]){0, 2, 1, 3});
}

/* MultiScaleAttention on x (B, 1 + thw, dim); thw becomes q's pooled grid. */
static avs_tensor *ms_attention(avs_ctx *ctx, const avs_params *p, const avs_mvit_cfg *c, const char *blk,
                                const mvit_block *b, int *thw, avs_tensor *x) {
  if (!x) return NULL;
  char n[AVS_NAME_MAX];
  int64_t B = x->shape[0], C = b->dim;
  avs_tensor *q = split_heads(ctx, avs_unit_linear(ctx, p, avs_unit_name(n, "%s.attn.q", blk), x), b->heads);
  avs_tensor *k = split_heads(ctx, avs_unit_linear(ctx, p, avs_unit_name(n, "%s.attn.k", blk), x), b->heads);
  avs_tensor *v = split_heads(ctx, avs_unit_linear(ctx, p, avs_unit_name(n, "%s.attn.v", blk), x), b->heads);
  int thw_kv[3] = {thw[0], thw[1], thw[2]}, thw_v[3] = {thw[0], thw[1], thw[2]};
  q = attention_pool(ctx, p, c, blk, b->pool_q ? "q" : NULL, q_stride, thw, q);
  k = attention_pool(ctx, p, c, blk, "k", b->kv_stride, thw_kv, k);
  v = attention_pool(ctx, p, c, blk, "v", b->kv_stride, thw_v, v);
  if (!q || !k || !v) return NULL;
  int64_t hd = C / b->heads, nq = q->shape[2], nk = k->shape[2];
  q = avs_reshape(ctx, q, 3, AVS_SHAPE(B * b->heads, nq, hd));
  k = avs_reshape(ctx, k, 3, AVS_SHAPE(B * b->heads, nk, hd));
  v = avs_reshape(ctx, v, 3, AVS_SHAPE(B * b->heads, nk, hd));
  avs_tensor *attn = avs_softmax(ctx, avs_scale(ctx, avs_matmul(ctx, q, k, false, true), 1.0f / sqrtf((float)hd)));
  avs_tensor *y = avs_reshape(ctx, avs_matmul(ctx, attn, v, false, false), 4, AVS_SHAPE(B, b->heads, nq, hd));
  y = avs_reshape(ctx, avs_permute(ctx, y, (const int[]){0, 2, 1, 3}), 3, AVS_SHAPE(B, nq, C));
  return avs_unit_linear(ctx, p, avs_unit_name(n, "%s.attn.proj", blk), y);
}

/* The skip path: max pool 1x3x3 (kernel s + 1 where the stride s > 1) on the grid. */
static avs_tensor *skip_pool(avs_ctx *ctx, const int *thw, avs_tensor *x) {
  if (!x) return NULL;
  int64_t B = x->shape[0], n = x->shape[1], C = x->shape[2];
  avs_pool pool = {0};
  for (int d = 0; d < 3; d++) {
    pool.kernel[d] = q_stride[d] > 1 ? q_stride[d] + 1 : q_stride[d];
    pool.stride[d] = q_stride[d];
    pool.pad[d] = pool.kernel[d] / 2;
  }
  avs_tensor *grid = avs_reshape(ctx, avs_slice(ctx, x, 1, 1, n, 1), 5, AVS_SHAPE(B, thw[0], thw[1], thw[2], C));
  grid = avs_max_pool3d(ctx, grid, pool);
  grid = grid ? avs_reshape(ctx, grid, 3, AVS_SHAPE(B, -1, C)) : NULL;
  return avs_concat(ctx, 2, (avs_tensor *[]){avs_slice(ctx, x, 1, 0, 1, 1), grid}, 1);
}

static avs_tensor *ms_block(avs_ctx *ctx, const avs_params *p, const avs_mvit_cfg *c, int i, const mvit_block *b,
                            int *thw, avs_tensor *x) {
  char blk[AVS_NAME_MAX], n[AVS_NAME_MAX];
  avs_unit_name(blk, "blocks.%d", i);
  int thw_in[3] = {thw[0], thw[1], thw[2]};
  avs_tensor *h = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "%s.norm1", blk), MVIT_LN_EPS, x);
  h = ms_attention(ctx, p, c, blk, b, thw, h);
  x = avs_add(ctx, b->pool_q ? skip_pool(ctx, thw_in, x) : x, h);
  avs_tensor *xn = avs_unit_layer_norm(ctx, p, avs_unit_name(n, "%s.norm2", blk), MVIT_LN_EPS, x);
  avs_tensor *mlp = avs_unit_mlp(ctx, p, avs_unit_name(n, "%s.mlp", blk), xn);
  if (b->dim_out != b->dim) x = avs_unit_linear(ctx, p, avs_unit_name(n, "%s.proj", blk), xn);
  return avs_add(ctx, x, mlp);
}

avs_tensor *avs_mvit_forward(avs_ctx *ctx, const avs_params *p, const avs_mvit_cfg *c, avs_tensor *clip) {
  mvit_block b[MVIT_MAX_DEPTH];
  if (!clip || mvit_plan(c, b)) return NULL;
  if (clip->ndim != 5 || clip->shape[1] != c->base.frames || clip->shape[2] != c->base.height ||
      clip->shape[3] != c->base.width || clip->shape[4] != 3) {
    char s[96];
    avs_seterr(AVS_ESHAPE, "mvit: clip %s is not (N, %d, %d, %d, 3)", avs_shape_str(clip->ndim, clip->shape, s, sizeof s),
               c->base.frames, c->base.height, c->base.width);
    return NULL;
  }
  avs_tensor *cls = avs_unit_param(p, "cls_token"), *sp = avs_unit_param(p, "pos_embed_spatial");
  avs_tensor *tm = avs_unit_param(p, "pos_embed_temporal"), *pc = avs_unit_param(p, "pos_embed_class");
  if (!cls || !sp || !tm || !pc) return NULL;
  int64_t B = clip->shape[0], D = c->dim;
  int thw[3] = {c->base.frames / 2, c->base.height / 4, c->base.width / 4};
  int64_t hw = (int64_t)thw[1] * thw[2];
  avs_conv_spec embed = {3, 3, (int)D, {3, 7, 7}, {2, 4, 4}, {1, 3, 3}, true, {0}};
  avs_tensor *x = avs_unit_conv(ctx, p, "patch_embed.proj", &embed, clip);
  x = avs_reshape(ctx, x, 3, AVS_SHAPE(B, -1, D)); /* tokens (t h w) */
  /* pos[t*hw + s] = spatial[s] + temporal[t] */
  avs_tensor *pos = avs_vt_repeat_rows(ctx, avs_reshape(ctx, tm, 2, AVS_SHAPE(thw[0], D)), hw);
  pos = avs_add(ctx, pos, avs_reshape(ctx, sp, 2, AVS_SHAPE(hw, D)));
  x = avs_add(ctx, x, avs_reshape(ctx, pos, 2, AVS_SHAPE(thw[0] * hw, D)));
  avs_layer_trace_add(ctx, "pos_embed", "embed", x, cls->numel + sp->numel + tm->numel + pc->numel, 0);
  avs_tensor *c0 = avs_add(ctx, avs_reshape(ctx, cls, 2, AVS_SHAPE(1, D)), avs_reshape(ctx, pc, 2, AVS_SHAPE(1, D)));
  c0 = avs_reshape(ctx, avs_vt_repeat_rows(ctx, c0, B), 3, AVS_SHAPE(B, 1, D));
  x = avs_concat(ctx, 2, (avs_tensor *[]){c0, x}, 1);
  for (int i = 0; i < c->depth; i++) x = ms_block(ctx, p, c, i, &b[i], thw, x);
  x = avs_vt_token(ctx, avs_unit_layer_norm(ctx, p, "norm", MVIT_LN_EPS, x), 0);
  if (c->dropout > 0) x = avs_dropout(ctx, x, c->dropout);
  return avs_unit_linear(ctx, p, "head.projection", x);
}

/* ---- registry ---- */

static const avs_mvit_cfg mvit_default = {
    .base = {.classes = 400, .frames = 16, .height = 224, .width = 224},
    .dim = 96, .heads = 1, .depth = 16, .mlp_ratio = 4, .qkv_bias = true, .pool_mode = AVS_MVIT_POOL_CONV,
    .kv_stride = 8, .stage = {1, 3, 14}, .dropout = 0.5f};
static const avs_hparam mvit_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_mvit_cfg),
    AVS_HP(avs_mvit_cfg, dim, AVS_HP_INT, "width of the first stage (96)"),
    AVS_HP(avs_mvit_cfg, heads, AVS_HP_INT, "heads of the first stage (1)"),
    AVS_HP(avs_mvit_cfg, depth, AVS_HP_INT, "blocks (16)"),
    AVS_HP(avs_mvit_cfg, mlp_ratio, AVS_HP_INT, "MLP hidden width over the block width (4)"),
    AVS_HP(avs_mvit_cfg, qkv_bias, AVS_HP_BOOL, "bias on q, k, v (true)"),
    AVS_HP(avs_mvit_cfg, pool_mode, AVS_HP_INT, "q/k/v pooling: 0 depthwise conv, 1 max, 2 average (0)"),
    AVS_HP(avs_mvit_cfg, kv_stride, AVS_HP_INT, "spatial k/v pooling stride of the first stage (8)"),
    AVS_HP_KEY("stage2", avs_mvit_cfg, stage[0], AVS_HP_INT, "first block of stage 2, 0 = none (1)"),
    AVS_HP_KEY("stage3", avs_mvit_cfg, stage[1], AVS_HP_INT, "first block of stage 3, 0 = none (3)"),
    AVS_HP_KEY("stage4", avs_mvit_cfg, stage[2], AVS_HP_INT, "first block of stage 4, 0 = none (14)"),
    AVS_HP(avs_mvit_cfg, dropout, AVS_HP_FLOAT, "dropout before the head in training (0.5)"),
};
AVS_ACTION_ARCH_GLUE(mvit, avs_mvit_cfg)
const avs_arch avs_arch_mvit = {
    .name = "mvit", .title = "MViT-B, multiscale pooling attention (Fan et al., ICCV 2021)", AVS_ACTION_TASK(mvit, "imagenet", 3),
    AVS_ARCH_FIELDS(mvit, avs_mvit_cfg, mvit_default, mvit_hparams)};
