/* Two-stream network (Simonyan & Zisserman, NIPS 2014) on ResNet-18:
 *
 *   spatial:  RGB of frame L/2 (H, W, 3)        -> rgb  (resnet18, fc) -> s_rgb
 *   temporal: flows of frames 0..L-1 (H, W, 2L) -> flow (resnet18, fc) -> s_flow
 *   logits = (s_rgb + s_flow) / 2
 */
#include "av/status.h"
#include "video/models/early_fusion.h"
#include "nn/resnet18.h"
#include "video/models/two_stream.h"
#include "nn/unit.h"

int avs_two_stream_declare(avs_params *p, const avs_two_stream_cfg *cfg) {
  int rc = avs_resnet18_trunk_declare(p, "rgb.", 3, cfg->channels);
  if (!rc) rc = avs_unit_declare_linear(p, "rgb.fc", avs_resnet18_features(cfg->channels), cfg->base.classes);
  if (!rc) rc = avs_resnet18_trunk_declare(p, "flow.", 2 * cfg->base.frames, cfg->channels);
  return rc ? rc : avs_unit_declare_linear(p, "flow.fc", avs_resnet18_features(cfg->channels), cfg->base.classes);
}

avs_tensor *avs_two_stream_forward(avs_ctx *ctx, const avs_params *p, const avs_two_stream_cfg *cfg,
                                   avs_tensor *clip) {
  if (!clip) return NULL;
  int64_t n = clip->shape[0], l = clip->shape[1], h = clip->shape[2], w = clip->shape[3];
  if (l != cfg->base.frames) {
    avs_seterr(AVS_ESHAPE, "two_stream takes %d frames of flow (flow.conv1 has %d channels), got %lld",
               cfg->base.frames, 2 * cfg->base.frames, (long long)l);
    return NULL;
  }
  avs_tensor *rgb = avs_slice(ctx, avs_slice(ctx, clip, 1, l / 2, l / 2 + 1, 1), 4, 0, 3, 1);
  rgb = avs_reshape(ctx, rgb, 4, AVS_SHAPE(n, h, w, 3));
  avs_tensor *s_rgb = avs_unit_linear(ctx, p, "rgb.fc", avs_resnet18_trunk_forward(ctx, p, "rgb.", 3, cfg->channels, rgb));
  avs_tensor *flow = avs_models_stack_frames(ctx, avs_slice(ctx, clip, 4, 3, 5, 1));
  avs_tensor *s_flow =
      avs_unit_linear(ctx, p, "flow.fc", avs_resnet18_trunk_forward(ctx, p, "flow.", 2 * (int)l, cfg->channels, flow));
  return avs_scale(ctx, avs_add(ctx, s_rgb, s_flow), 0.5f);
}

static const avs_two_stream_cfg ts_default = {.base = {.classes = 101, .frames = 10, .height = 224, .width = 224},
                                               .channels = AVS_RESNET18_WIDTH};
static const avs_hparam ts_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_two_stream_cfg),
    AVS_HP(avs_two_stream_cfg, channels, AVS_HP_INT, "ResNet-18 width: conv1 and layer1 (64); layer2-4 2x, 4x, 8x"),
};
AVS_ACTION_ARCH_GLUE(two_stream, avs_two_stream_cfg)
const avs_arch avs_arch_two_stream = {
    .name = "two_stream", .title = "Two-stream: RGB and stacked TV-L1 flow ResNet-18s, scores averaged (Simonyan & Zisserman, NIPS 2014)", AVS_ACTION_TASK(two_stream, "imagenet", 5),
    AVS_ARCH_FIELDS(two_stream, avs_two_stream_cfg, ts_default, ts_hparams)};
