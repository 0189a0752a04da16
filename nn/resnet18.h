/* The 2-D ResNet-18 trunk (He et al., CVPR 2016) as torchvision 0.14's
 * resnet18 without its fc, under a name prefix ("" gives torchvision's own
 * names "conv1", "bn1", "layer1.0.conv1", ...; "backbone." nests them):
 *
 *   conv1 7x7, 64, stride 2, BN, ReLU; max pool 3x3 stride 2
 *   layer1..layer4: 2 basic blocks each, 64 / 128 / 256 / 512, stride 1 / 2 / 2 / 2
 *   global average pool -> 512 features
 *
 * `width` scales it (torchvision's is 64): conv1 and layer1 have width
 * channels, layer2..4 2x, 4x, 8x, so 8 x width features.
 *
 * Used per frame by the single-frame, fusion, CNN+LSTM and two-stream models. */
#ifndef AVS_NN_RESNET18_H
#define AVS_NN_RESNET18_H

#include "av/ctx.h"
#include "av/params.h"

#define AVS_RESNET18_WIDTH 64     /* torchvision's */
#define AVS_RESNET18_FEATURES 512 /* at that width */
static inline int avs_resnet18_features(int width) { return 8 * width; }

int avs_resnet18_trunk_declare(avs_params *p, const char *prefix, int in_channels, int width);
/* images (N, H, W, in_channels) -> features (N, 8 width). */
avs_tensor *avs_resnet18_trunk_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int in_channels,
                                       int width, avs_tensor *images);
/* Every frame of clip (N, T, H, W, C) through the trunk -> (N, T, 8 width). */
avs_tensor *avs_resnet18_frame_features(avs_ctx *ctx, const avs_params *p, const char *prefix, int width,
                                        avs_tensor *clip);
/* x (N, T, C) -> mean over T (N, C). */
avs_tensor *avs_models_mean_over_time(avs_ctx *ctx, avs_tensor *x);

#endif
