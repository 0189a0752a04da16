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
 * A stage can trade its stride for dilation as the dilated ResNets of
 * segmentation and Sound of Pixels do (`_nostride_dilate(dilate=d)` applied to
 * a layer): its stride-2 convs get stride 1 (the 3x3 one dilation and padding
 * d/2, the 1x1 downsample nothing else), its other 3x3 convs dilation and
 * padding d. Sound of Pixels dilates layer4 by 2: output stride 16, not 32.
 *
 * Used per frame by the single-frame, fusion, CNN+LSTM and two-stream models
 * (average-pooled features) and by Sound of Pixels (the spatial map). */
#ifndef AVS_NN_RESNET18_H
#define AVS_NN_RESNET18_H

#include <stdbool.h>

#include "av/ctx.h"
#include "av/params.h"

#define AVS_RESNET18_WIDTH 64     /* torchvision's */
#define AVS_RESNET18_FEATURES 512 /* at that width */
static inline int avs_resnet18_features(int width) { return 8 * width; }

typedef struct {
  int in_channels; /* 3 for RGB */
  int width;       /* AVS_RESNET18_WIDTH */
  int dilate[4];   /* layer1..4: 0 or 1 as torchvision, d > 1 as _nostride_dilate(d) */
  bool no_stride[4]; /* layer1..4: stride 1 without dilation (LVS's layer4: output stride 16) */
  /* names as nn.Sequential(*list(resnet18.children())[:-2]): conv1 "0", bn1 "1",
   * layer1..4 "4".."7" (Sound of Pixels' "features.*"); else torchvision's */
  bool sequential;
} avs_resnet18_spec;

int avs_resnet18_declare(avs_params *p, const char *prefix, const avs_resnet18_spec *s);
/* images (N, H, W, in_channels) -> the last stage's map before pooling
 * (N, H', W', 8 width); H' = H / 32 (rounded up per stage), H / 16 with layer4 dilated. */
avs_tensor *avs_resnet18_map(avs_ctx *ctx, const avs_params *p, const char *prefix, const avs_resnet18_spec *s,
                             avs_tensor *images);

/* torchvision's trunk (no dilation, its names). */
int avs_resnet18_trunk_declare(avs_params *p, const char *prefix, int in_channels, int width);
/* images (N, H, W, in_channels) -> features (N, 8 width): the map average-pooled. */
avs_tensor *avs_resnet18_trunk_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int in_channels,
                                       int width, avs_tensor *images);
/* Every frame of clip (N, T, H, W, C) through the trunk -> (N, T, 8 width). */
avs_tensor *avs_resnet18_frame_features(avs_ctx *ctx, const avs_params *p, const char *prefix, int width,
                                        avs_tensor *clip);
/* x (N, T, C) -> mean over T (N, C). */
avs_tensor *avs_models_mean_over_time(avs_ctx *ctx, avs_tensor *x);

#endif
