/* Early fusion (Karpathy et al., CVPR 2014): the T frames stacked into the
 * channels of the first convolution (3T channels, frame-major: channel t*3+c),
 * then an image network. Names as torchvision's resnet18 (conv1 is
 * (64, 3T, 7, 7)). */
#ifndef AVS_MODELS_EARLY_FUSION_H
#define AVS_MODELS_EARLY_FUSION_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes, 8 x 224 x 224 (T is fixed: conv1 takes 3T channels) */
} avs_early_fusion_cfg;

int avs_early_fusion_declare(avs_params *p, const avs_early_fusion_cfg *cfg);
avs_tensor *avs_early_fusion_forward(avs_ctx *ctx, const avs_params *p, const avs_early_fusion_cfg *cfg,
                                     avs_tensor *clip);
/* clip (N, T, H, W, C) -> (N, H, W, T*C), channel t*C + c. */
avs_tensor *avs_models_stack_frames(avs_ctx *ctx, avs_tensor *clip);

#endif
