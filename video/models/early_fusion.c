/* Early fusion (Karpathy et al., CVPR 2014) on ResNet-18:
 *
 *   clip (T, H, W, 3) -> stacked (H, W, 3T) -> conv1 7x7 3T -> 64 ... layer4, pool -> fc
 */
#include "av/status.h"
#include "video/models/early_fusion.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

avs_tensor *avs_models_stack_frames(avs_ctx *ctx, avs_tensor *clip) {
  if (!clip) return NULL;
  int64_t n = clip->shape[0], t = clip->shape[1], h = clip->shape[2], w = clip->shape[3], c = clip->shape[4];
  avs_tensor *x = avs_permute(ctx, clip, (const int[]){0, 2, 3, 1, 4}); /* (N, H, W, T, C) */
  return avs_reshape(ctx, x, 4, AVS_SHAPE(n, h, w, t * c));
}

int avs_early_fusion_declare(avs_params *p, const avs_early_fusion_cfg *cfg) {
  int rc = avs_resnet18_trunk_declare(p, "", 3 * cfg->base.frames, AVS_RESNET18_WIDTH);
  return rc ? rc : avs_unit_declare_linear(p, "fc", AVS_RESNET18_FEATURES, cfg->base.classes);
}

avs_tensor *avs_early_fusion_forward(avs_ctx *ctx, const avs_params *p, const avs_early_fusion_cfg *cfg,
                                     avs_tensor *clip) {
  if (clip && clip->shape[1] != cfg->base.frames) {
    avs_seterr(AVS_ESHAPE, "early_fusion takes %d frames (conv1 has %d input channels), got %lld",
               cfg->base.frames, 3 * cfg->base.frames, (long long)clip->shape[1]);
    return NULL;
  }
  avs_tensor *f = avs_resnet18_trunk_forward(ctx, p, "", 3 * cfg->base.frames, AVS_RESNET18_WIDTH, avs_models_stack_frames(ctx, clip));
  return avs_unit_linear(ctx, p, "fc", f);
}

static const avs_early_fusion_cfg ef_default = {.base = {.classes = 400, .frames = 8, .height = 224, .width = 224}};
static const avs_hparam ef_hparams[] = {AVS_ACTION_BASE_HPARAMS(avs_early_fusion_cfg)};
AVS_ACTION_ARCH_GLUE(early_fusion, avs_early_fusion_cfg)
const avs_arch avs_arch_early_fusion = {
    .name = "early_fusion", .title = "Early fusion: T frames stacked into ResNet-18's conv1 (Karpathy et al., CVPR 2014)", AVS_ACTION_TASK(early_fusion, "imagenet", 3),
    AVS_ARCH_FIELDS(early_fusion, avs_early_fusion_cfg, ef_default, ef_hparams)};
