/* R3D-18, MC3-18 and R(2+1)D-18 (Tran et al., CVPR 2018, Table 1; torchvision
 * 0.14 video/resnet.py):
 *
 *   stem    R3D/MC3: conv 3x7x7, 64, stride 1x2x2, BN, ReLU          "stem.0", "stem.1"
 *           R(2+1)D: conv 1x7x7, 45, stride 1x2x2, BN, ReLU,
 *                    conv 3x1x1, 64, BN, ReLU            "stem.0", "stem.1", "stem.3", "stem.4"
 *   layer1  2 basic blocks,  64, stride 1
 *   layer2  2 basic blocks, 128, stride 2 (in time too, except MC3's no-temporal convs)
 *   layer3  2 basic blocks, 256, stride 2
 *   layer4  2 basic blocks, 512, stride 2
 *   global average pool, fc classes                                   "fc"
 *
 * A non-local block follows block layer<L>.<b> where bit 2 * (L - 1) + b of
 * `nonlocal` is set (nonlocal.h).
 */
#include "nn/basic_block.h"
#include "nn/nonlocal.h"
#include "nn/unit.h"
#include "video/models/video_resnet.h"

typedef enum { R3D, MC3, R2PLUS1D } vr_kind;

static const int vr_widths[4] = {64, 128, 256, 512};

static avs_block_conv vr_block_conv(vr_kind kind, int stage) {
  if (kind == R2PLUS1D) return AVS_BLOCK_CONV2PLUS1D;
  if (kind == MC3 && stage > 0) return AVS_BLOCK_CONV_NO_TEMPORAL;
  return AVS_BLOCK_CONV3D;
}

static avs_block_spec vr_stage(vr_kind kind, int stage) {
  return (avs_block_spec){stage ? vr_widths[stage - 1] : 64, vr_widths[stage], stage ? 2 : 1,
                          vr_block_conv(kind, stage), 0, 0};
}

static const avs_conv_spec stem_3d = {3, 3, 64, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, false, {0}};
static const avs_conv_spec stem_spatial = {3, 3, 45, {1, 7, 7}, {1, 2, 2}, {0, 3, 3}, false, {0}};
static const avs_conv_spec stem_temporal = {3, 45, 64, {3, 1, 1}, {1, 1, 1}, {1, 0, 0}, false, {0}};

static int vr_declare(avs_params *p, const avs_video_resnet_cfg *cfg, vr_kind kind) {
  static const char *layers[4] = {"layer1", "layer2", "layer3", "layer4"};
  int rc = avs_nonlocal_resnet_check(p->arch, cfg->nonlocal);
  if (!rc) rc = avs_unit_declare(p, "stem.0", "stem.1", kind == R2PLUS1D ? &stem_spatial : &stem_3d);
  if (!rc && kind == R2PLUS1D) rc = avs_unit_declare(p, "stem.3", "stem.4", &stem_temporal);
  for (int i = 0; !rc && i < 4; i++) {
    avs_block_spec s = vr_stage(kind, i);
    rc = avs_resnet_layer_declare_nl(p, layers[i], 2, &s, avs_nonlocal_resnet_layer(cfg->nonlocal, i));
  }
  return rc ? rc : avs_unit_declare_linear(p, "fc", 512, cfg->base.classes);
}

static avs_tensor *vr_forward(avs_ctx *ctx, const avs_params *p, const avs_video_resnet_cfg *cfg, vr_kind kind,
                              avs_tensor *x) {
  static const char *layers[4] = {"layer1", "layer2", "layer3", "layer4"};
  if (kind == R2PLUS1D) {
    x = avs_unit_forward(ctx, p, "stem.0", "stem.1", &stem_spatial, x, true);
    x = avs_unit_forward(ctx, p, "stem.3", "stem.4", &stem_temporal, x, true);
  } else {
    x = avs_unit_forward(ctx, p, "stem.0", "stem.1", &stem_3d, x, true);
  }
  for (int i = 0; i < 4; i++) {
    avs_block_spec s = vr_stage(kind, i);
    x = avs_resnet_layer_forward_nl(ctx, p, layers[i], 2, &s, avs_nonlocal_resnet_layer(cfg->nonlocal, i), x);
  }
  x = avs_adaptive_avg_pool3d(ctx, x, 1, 1, 1);
  x = x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], -1)) : NULL;
  return avs_unit_linear(ctx, p, "fc", x);
}

int avs_r3d_18_declare(avs_params *p, const avs_r3d_18_cfg *cfg) { return vr_declare(p, cfg, R3D); }
int avs_mc3_18_declare(avs_params *p, const avs_mc3_18_cfg *cfg) { return vr_declare(p, cfg, MC3); }
int avs_r2plus1d_18_declare(avs_params *p, const avs_r2plus1d_18_cfg *cfg) { return vr_declare(p, cfg, R2PLUS1D); }

avs_tensor *avs_r3d_18_forward(avs_ctx *ctx, const avs_params *p, const avs_r3d_18_cfg *cfg, avs_tensor *clip) {
  return vr_forward(ctx, p, cfg, R3D, clip);
}
avs_tensor *avs_mc3_18_forward(avs_ctx *ctx, const avs_params *p, const avs_mc3_18_cfg *cfg, avs_tensor *clip) {
  return vr_forward(ctx, p, cfg, MC3, clip);
}
avs_tensor *avs_r2plus1d_18_forward(avs_ctx *ctx, const avs_params *p, const avs_r2plus1d_18_cfg *cfg,
                                    avs_tensor *clip) {
  return vr_forward(ctx, p, cfg, R2PLUS1D, clip);
}

static const avs_video_resnet_cfg vr_default = {.base = {.classes = 400, .frames = 16, .height = 112, .width = 112}};
static const avs_hparam vr_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_video_resnet_cfg),
    AVS_HP(avs_video_resnet_cfg, nonlocal, AVS_HP_INT, AVS_NONLOCAL_RESNET_HELP),
};

AVS_ACTION_ARCH_GLUE(r3d_18, avs_r3d_18_cfg)
AVS_ACTION_ARCH_GLUE(mc3_18, avs_mc3_18_cfg)
AVS_ACTION_ARCH_GLUE(r2plus1d_18, avs_r2plus1d_18_cfg)

const avs_arch avs_arch_r3d_18 = {
    .name = "r3d_18", .title = "R3D-18, 3x3x3 ResNet-18 (Tran et al., CVPR 2018), torchvision layout", AVS_ACTION_TASK(r3d_18, "kinetics", 3),
    AVS_ARCH_FIELDS(r3d_18, avs_r3d_18_cfg, vr_default, vr_hparams)};
const avs_arch avs_arch_mc3_18 = {
    .name = "mc3_18", .title = "MC3-18, mixed 3-D/2-D ResNet-18 (Tran et al., CVPR 2018), torchvision layout", AVS_ACTION_TASK(mc3_18, "kinetics", 3),
    AVS_ARCH_FIELDS(mc3_18, avs_mc3_18_cfg, vr_default, vr_hparams)};
const avs_arch avs_arch_r2plus1d_18 = {
    .name = "r2plus1d_18", .title = "R(2+1)D-18, factorised ResNet-18 (Tran et al., CVPR 2018), torchvision layout",
    AVS_ACTION_TASK(r2plus1d_18, "kinetics", 3),
    AVS_ARCH_FIELDS(r2plus1d_18, avs_r2plus1d_18_cfg, vr_default, vr_hparams)};
