/* Late fusion (Karpathy et al., CVPR 2014) on ResNet-18:
 *
 *   every frame t: backbone (resnet18 trunk) -> f_t (512)
 *   [f_1 ... f_T] (T*512, frame-major) -> fc.0 hidden -> ReLU -> dropout -> fc.3 classes
 */
#include "av/status.h"
#include "video/models/late_fusion.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

int avs_late_fusion_declare(avs_params *p, const avs_late_fusion_cfg *cfg) {
  if (cfg->hidden < 1 || cfg->dropout < 0 || cfg->dropout >= 1)
    return avs_seterr(AVS_EINVAL, "late_fusion: hidden must be positive and dropout in [0, 1)");
  int rc = avs_resnet18_trunk_declare(p, "backbone.", 3, AVS_RESNET18_WIDTH);
  if (!rc) rc = avs_unit_declare_linear(p, "fc.0", cfg->base.frames * AVS_RESNET18_FEATURES, cfg->hidden);
  return rc ? rc : avs_unit_declare_linear(p, "fc.3", cfg->hidden, cfg->base.classes);
}

avs_tensor *avs_late_fusion_forward(avs_ctx *ctx, const avs_params *p, const avs_late_fusion_cfg *cfg,
                                    avs_tensor *clip) {
  if (clip && clip->shape[1] != cfg->base.frames) {
    avs_seterr(AVS_ESHAPE, "late_fusion takes %d frames (fc.0 is sized for them), got %lld", cfg->base.frames,
               (long long)clip->shape[1]);
    return NULL;
  }
  avs_tensor *f = avs_resnet18_frame_features(ctx, p, "backbone.", AVS_RESNET18_WIDTH, clip);
  f = f ? avs_reshape(ctx, f, 2, AVS_SHAPE(f->shape[0], -1)) : NULL;
  f = avs_dropout(ctx, avs_relu(ctx, avs_unit_linear(ctx, p, "fc.0", f)), cfg->dropout);
  return avs_unit_linear(ctx, p, "fc.3", f);
}

static const avs_late_fusion_cfg lf_default = {
    .base = {.classes = 400, .frames = 8, .height = 224, .width = 224}, .hidden = 512, .dropout = 0.5f};
static const avs_hparam lf_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_late_fusion_cfg),
    AVS_HP(avs_late_fusion_cfg, hidden, AVS_HP_INT, "MLP hidden width (512)"),
    AVS_HP(avs_late_fusion_cfg, dropout, AVS_HP_FLOAT, "dropout before the last layer in training (0.5)"),
};
AVS_ACTION_ARCH_GLUE(late_fusion, avs_late_fusion_cfg)
const avs_arch avs_arch_late_fusion = {
    .name = "late_fusion", .title = "Late fusion: per-frame ResNet-18 features concatenated, MLP (Karpathy et al., CVPR 2014)", AVS_ACTION_TASK(late_fusion, "imagenet", 3),
    AVS_ARCH_FIELDS(late_fusion, avs_late_fusion_cfg, lf_default, lf_hparams)};
