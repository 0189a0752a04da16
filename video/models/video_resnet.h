/* Video ResNets of Tran, Wang, Torresani, Ray, LeCun, Paluri, "A Closer Look at
 * Spatiotemporal Convolutions for Action Recognition", CVPR 2018, as
 * torchvision 0.14 builds them (same state_dict names):
 *   r3d_18       3x3x3 convolutions throughout
 *   mc3_18       mixed: 3x3x3 in layer1, 1x3x3 (no temporal) in layers 2-4
 *   r2plus1d_18  each 3x3x3 factorised into 1x3x3 -> BN -> ReLU -> 3x1x1
 * Optionally with non-local blocks after chosen residual blocks, placed and
 * named as i3d_resnet18 places them (nonlocal.h: bit 2 * (L - 1) + b of
 * `nonlocal` after layer<L>.<b>, tensors "layer<L>.<b>.nonlocal.*"); with
 * nonlocal = 0 the tensor table is torchvision's state_dict exactly. */
#ifndef AVS_MODELS_VIDEO_RESNET_H
#define AVS_MODELS_VIDEO_RESNET_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes (Kinetics-400), 16 x 112 x 112 */
  int nonlocal;         /* bit mask of the residual blocks followed by a non-local block, 0 */
} avs_video_resnet_cfg;

typedef avs_video_resnet_cfg avs_r3d_18_cfg;
typedef avs_video_resnet_cfg avs_mc3_18_cfg;
typedef avs_video_resnet_cfg avs_r2plus1d_18_cfg;

int avs_r3d_18_declare(avs_params *p, const avs_r3d_18_cfg *cfg);
int avs_mc3_18_declare(avs_params *p, const avs_mc3_18_cfg *cfg);
int avs_r2plus1d_18_declare(avs_params *p, const avs_r2plus1d_18_cfg *cfg);
avs_tensor *avs_r3d_18_forward(avs_ctx *ctx, const avs_params *p, const avs_r3d_18_cfg *cfg, avs_tensor *clip);
avs_tensor *avs_mc3_18_forward(avs_ctx *ctx, const avs_params *p, const avs_mc3_18_cfg *cfg, avs_tensor *clip);
avs_tensor *avs_r2plus1d_18_forward(avs_ctx *ctx, const avs_params *p, const avs_r2plus1d_18_cfg *cfg,
                                    avs_tensor *clip);

#endif
