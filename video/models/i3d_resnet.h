/* I3D ResNet-18: torchvision's 2-D ResNet-18 inflated to 3-D (Carreira &
 * Zisserman's inflation applied to He et al.'s ResNet, the "I3D" baseline of
 * Wang et al., "Non-local Neural Networks", CVPR 2018), with optional
 * non-local blocks after chosen residual blocks:
 *
 *   conv1 stem_kt x 7 x 7, 64 x width/64, stride 1x2x2, BN, ReLU
 *   max pool 1x3x3 stride 1x2x2 (padding 0x1x1)
 *   layer1..layer4: 2 basic blocks each (kt x 3 x 3 convs; spatial stride 2
 *     from layer2 on, with a 1x1x1 downsample conv + BN), widths w, 2w, 4w, 8w
 *   [non-local block after block i when bit i of `nonlocal` is set,
 *    i = 2 * (layer - 1) + index: layer1.0 = bit 0 ... layer4.1 = bit 7]
 *   global average pool, fc
 *
 * Time is never strided. Tensor names are torchvision's resnet18 names
 * (conv1.weight, bn1.*, layer1.0.conv1.weight, layer2.0.downsample.0.weight,
 * fc.weight, ...), so a 2-D checkpoint inflates onto this table
 * (avs_inflate_2d_to_3d, tools/inflate.py); non-local blocks are named
 * layer<L>.<b>.nonlocal.* (nonlocal.h) and start as the identity.
 *
 * Temporal padding: zeros (as nn.Conv3d) or, with replicate_time_pad, copies
 * of the first and last frames; then a clip of T identical frames gives
 * exactly the 2-D network's output on that frame, at every layer. */
#ifndef AVS_I3D_RESNET_H
#define AVS_I3D_RESNET_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base;    /* 400 classes, 16 x 224 x 224 */
  int width;               /* layer1 width, 64 (torchvision's) */
  int kt;                  /* temporal kernel of the 3x3 block convs, 3 */
  int stem_kt;             /* temporal kernel of conv1, 7 (the cube rule: k x k -> k x k x k) */
  bool replicate_time_pad; /* temporal padding repeats the edge frames instead of zeros */
  int nonlocal;            /* bit mask of the blocks followed by a non-local block, 0 */
  bool norm_eval;          /* batch norms keep their running statistics in training */
  float dropout;           /* before fc in training, 0 */
} avs_i3d_resnet_cfg;

int avs_i3d_resnet18_declare(avs_params *p, const avs_i3d_resnet_cfg *cfg);
/* clip (N, T, H, W, 3) -> logits (N, classes). */
avs_tensor *avs_i3d_resnet18_forward(avs_ctx *ctx, const avs_params *p, const avs_i3d_resnet_cfg *cfg,
                                     avs_tensor *clip);

#endif
