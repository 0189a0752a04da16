/* Single-frame baseline (Karpathy et al., CVPR 2014) on ResNet-18:
 *
 *   every frame t: resnet18 (conv1 ... layer4, average pool) -> 512 -> fc -> logits_t
 *   clip logits = mean over t of logits_t
 */
#include "nn/resnet18.h"
#include "video/models/single_frame.h"
#include "nn/unit.h"

int avs_single_frame_declare(avs_params *p, const avs_single_frame_cfg *cfg) {
  int rc = avs_resnet18_trunk_declare(p, "", 3, cfg->channels);
  return rc ? rc : avs_unit_declare_linear(p, "fc", avs_resnet18_features(cfg->channels), cfg->base.classes);
}

avs_tensor *avs_single_frame_forward(avs_ctx *ctx, const avs_params *p, const avs_single_frame_cfg *cfg,
                                     avs_tensor *clip) {
  avs_tensor *per_frame = avs_unit_linear(ctx, p, "fc", avs_resnet18_frame_features(ctx, p, "", cfg->channels, clip));
  return avs_models_mean_over_time(ctx, per_frame);
}

static const avs_single_frame_cfg sf_default = {.base = {.classes = 400, .frames = 8, .height = 224, .width = 224},
                                                .channels = AVS_RESNET18_WIDTH};
static const avs_hparam sf_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_single_frame_cfg),
    AVS_HP(avs_single_frame_cfg, channels, AVS_HP_INT, "ResNet-18 width: conv1 and layer1 (64); layer2-4 2x, 4x, 8x"),
};
AVS_ACTION_ARCH_GLUE(single_frame, avs_single_frame_cfg)
const avs_arch avs_arch_single_frame = {
    .name = "single_frame", .title = "Single-frame ResNet-18, per-frame logits averaged (Karpathy et al., CVPR 2014)", AVS_ACTION_TASK(single_frame, "imagenet", 3),
    AVS_ARCH_FIELDS(single_frame, avs_single_frame_cfg, sf_default, sf_hparams)};
