/* Two-stream network (Simonyan & Zisserman, "Two-Stream Convolutional
 * Networks for Action Recognition in Videos", NIPS 2014): a spatial net on one
 * RGB frame and a temporal net on L stacked optical-flow fields (2L channels),
 * class scores averaged. Both nets are ResNet-18 here, named "rgb.*" and
 * "flow.*" (torchvision resnet18 names, fc included; flow.conv1 is (64, 2L, 7, 7)).
 *
 * Input: a clip of L frames with 5 channels each, (N, L, H, W, 5): R, G, B
 * (normalised) then the TV-L1 flow (dx, dy) from that frame to the next. The
 * spatial net sees the middle frame's RGB (index L/2); the temporal net the
 * flows stacked frame-major (channel 2t + {0: dx, 1: dy}). */
#ifndef AVS_MODELS_TWO_STREAM_H
#define AVS_MODELS_TWO_STREAM_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 101 classes (UCF-101), L = frames = 10, 224 x 224 */
  int channels;         /* ResNet-18 width (64) */
} avs_two_stream_cfg;

int avs_two_stream_declare(avs_params *p, const avs_two_stream_cfg *cfg);
avs_tensor *avs_two_stream_forward(avs_ctx *ctx, const avs_params *p, const avs_two_stream_cfg *cfg,
                                   avs_tensor *clip);

#endif
