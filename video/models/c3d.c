/* C3D (Tran et al., ICCV 2015), the paper's layer table:
 *
 *   input 3 x 16 x 112 x 112
 *   conv1  64  3x3x3  pool1 1x2x2
 *   conv2 128  3x3x3  pool2 2x2x2
 *   conv3a/b 256      pool3 2x2x2
 *   conv4a/b 512      pool4 2x2x2
 *   conv5a/b 512      pool5 2x2x2, padding (0,1,1) -> 512 x 1 x 4 x 4 = 8192
 *   fc6 4096, fc7 4096 (ReLU, dropout 0.5 in training), fc8 classes
 *
 * All convolutions are 3x3x3, stride 1, padding 1, with bias and ReLU. fc6's
 * input size follows from frames/height/width, so smaller clips (and a
 * narrower `channels`/`fc_dim`) make the same network at test scale. */
#include <stdbool.h>

#include "av/status.h"
#include "video/models/c3d.h"
#include "nn/unit.h"

typedef struct {
  const char *name;
  int width;        /* times cfg->channels */
  const char *pool; /* pooling after this conv, or NULL */
} c3d_layer;

static const c3d_layer c3d_table[] = {
    {"conv1", 1, "pool1"}, {"conv2", 2, "pool2"}, {"conv3a", 4, NULL}, {"conv3b", 4, "pool3"},
    {"conv4a", 8, NULL},   {"conv4b", 8, "pool4"}, {"conv5a", 8, NULL}, {"conv5b", 8, "pool5"},
};
#define C3D_CONVS ((int)(sizeof c3d_table / sizeof c3d_table[0]))

static avs_pool c3d_pool(int i) {
  if (i == 0) return (avs_pool){.kernel = {1, 2, 2}, .stride = {1, 2, 2}};                    /* pool1 */
  if (i == C3D_CONVS - 1) return (avs_pool){.kernel = {2, 2, 2}, .stride = {2, 2, 2}, .pad = {0, 1, 1}}; /* pool5 */
  return (avs_pool){.kernel = {2, 2, 2}, .stride = {2, 2, 2}};
}

static avs_conv_spec c3d_conv(const avs_c3d_cfg *cfg, int i) {
  int in = i ? cfg->channels * c3d_table[i - 1].width : 3;
  return (avs_conv_spec){3, in, cfg->channels * c3d_table[i].width, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, true, {0}};
}

/* fc6's input features: the pool5 output volume for the configured clip size. */
static int c3d_fc6_in(const avs_c3d_cfg *cfg, int64_t *out) {
  int64_t size[3] = {cfg->base.frames, cfg->base.height, cfg->base.width};
  for (int i = 0; i < C3D_CONVS; i++) {
    if (!c3d_table[i].pool) continue;
    avs_pool p = c3d_pool(i);
    bool fits = true;
    for (int d = 0; d < 3; d++) {
      fits = fits && size[d] + 2 * p.pad[d] >= p.kernel[d];
      size[d] = (size[d] + 2 * p.pad[d] - p.kernel[d]) / p.stride[d] + 1;
    }
    if (!fits)
      return avs_seterr(AVS_EINVAL, "c3d: a %dx%dx%d clip is too small for %s (at least 16 frames, 32x32)",
                        cfg->base.frames, cfg->base.height, cfg->base.width, c3d_table[i].pool);
  }
  *out = (int64_t)cfg->channels * 8 * size[0] * size[1] * size[2];
  return AVS_OK;
}

int avs_c3d_declare(avs_params *p, const avs_c3d_cfg *cfg) {
  int64_t fc6_in = 0;
  int rc;
  if (cfg->channels < 1 || cfg->fc_dim < 1 || cfg->dropout < 0 || cfg->dropout >= 1)
    return avs_seterr(AVS_EINVAL, "c3d: channels and fc_dim must be positive and dropout in [0, 1)");
  if ((rc = c3d_fc6_in(cfg, &fc6_in))) return rc;
  for (int i = 0; i < C3D_CONVS; i++) {
    avs_conv_spec s = c3d_conv(cfg, i);
    if ((rc = avs_unit_declare_conv(p, c3d_table[i].name, &s))) return rc;
  }
  if ((rc = avs_unit_declare_linear(p, "fc6", (int)fc6_in, cfg->fc_dim))) return rc;
  if ((rc = avs_unit_declare_linear(p, "fc7", cfg->fc_dim, cfg->fc_dim))) return rc;
  return avs_unit_declare_linear(p, "fc8", cfg->fc_dim, cfg->base.classes);
}

avs_tensor *avs_c3d_forward(avs_ctx *ctx, const avs_params *p, const avs_c3d_cfg *cfg, avs_tensor *clip) {
  const avs_action_base *b = &cfg->base;
  if (!clip) return NULL;
  if (clip->shape[1] != b->frames || clip->shape[2] != b->height || clip->shape[3] != b->width) {
    avs_seterr(AVS_ESHAPE, "c3d takes %dx%dx%d clips (fc6 is sized for them), got %lldx%lldx%lld", b->frames,
               b->height, b->width, (long long)clip->shape[1], (long long)clip->shape[2], (long long)clip->shape[3]);
    return NULL;
  }
  avs_tensor *h = clip;
  for (int i = 0; i < C3D_CONVS; i++) {
    avs_conv_spec s = c3d_conv(cfg, i);
    h = avs_unit_conv_relu(ctx, p, c3d_table[i].name, &s, h);
    if (c3d_table[i].pool) h = avs_unit_max_pool(ctx, c3d_table[i].pool, 3, h, c3d_pool(i));
  }
  /* Flatten in PyTorch's (C, T, H, W) order so fc6 weights apply unchanged. */
  h = avs_permute(ctx, h, (const int[]){0, 4, 1, 2, 3});
  h = avs_reshape(ctx, h, 2, AVS_SHAPE(clip->shape[0], -1));
  h = avs_dropout(ctx, avs_relu(ctx, avs_unit_linear(ctx, p, "fc6", h)), cfg->dropout);
  h = avs_dropout(ctx, avs_relu(ctx, avs_unit_linear(ctx, p, "fc7", h)), cfg->dropout);
  return avs_unit_linear(ctx, p, "fc8", h);
}

static const avs_c3d_cfg c3d_default = {
    .base = {.classes = 487, .frames = 16, .height = 112, .width = 112}, .channels = 64, .fc_dim = 4096,
    .dropout = 0.5f};
static const avs_hparam c3d_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_c3d_cfg),
    AVS_HP(avs_c3d_cfg, channels, AVS_HP_INT, "conv1 channels (64); later stages 2x, 4x, 8x"),
    AVS_HP(avs_c3d_cfg, fc_dim, AVS_HP_INT, "fc6/fc7 width (4096)"),
    AVS_HP(avs_c3d_cfg, dropout, AVS_HP_FLOAT, "dropout after fc6 and fc7 in training (0.5)"),
};
AVS_ACTION_ARCH_GLUE(c3d, avs_c3d_cfg)
const avs_arch avs_arch_c3d = {
    .name = "c3d", .title = "C3D (Tran et al., ICCV 2015), Sports-1M head",
    AVS_ACTION_TASK(c3d, "c3d", 3),
    AVS_ARCH_FIELDS(c3d, avs_c3d_cfg, c3d_default, c3d_hparams)};
