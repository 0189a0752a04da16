/* Single-frame baseline (Karpathy et al., "Large-scale Video Classification
 * with Convolutional Neural Networks", CVPR 2014): an image network applied to
 * every frame, per-frame logits averaged over the clip. The network is
 * torchvision's resnet18 with its own state_dict names (conv1 ... fc), so an
 * ImageNet-style resnet18 file loads as is. */
#ifndef AVS_MODELS_SINGLE_FRAME_H
#define AVS_MODELS_SINGLE_FRAME_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes, 8 x 224 x 224 (any T and size run) */
  int channels;         /* ResNet-18 width (64) */
} avs_single_frame_cfg;

int avs_single_frame_declare(avs_params *p, const avs_single_frame_cfg *cfg);
avs_tensor *avs_single_frame_forward(avs_ctx *ctx, const avs_params *p, const avs_single_frame_cfg *cfg,
                                     avs_tensor *clip);

#endif
