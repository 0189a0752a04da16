/* I3D: Inception-v1 inflated to 3-D (Carreira & Zisserman, "Quo Vadis, Action
 * Recognition?", 2017), as the PyTorch port piergiaj/pytorch-i3d builds it:
 *
 *   Conv3d_1a_7x7 (64, stride 2) - MaxPool3d_2a_3x3 (1x3x3, stride 1,2,2)
 *   Conv3d_2b_1x1 (64) - Conv3d_2c_3x3 (192) - MaxPool3d_3a_3x3 (1x3x3, 1,2,2)
 *   Mixed_3b, Mixed_3c - MaxPool3d_4a_3x3 (3x3x3, stride 2)
 *   Mixed_4b .. Mixed_4f - MaxPool3d_5a_2x2 (2x2x2, stride 2) - Mixed_5b, Mixed_5c
 *   average pool 2x7x7 (stride 1) - dropout - logits (1x1x1 conv with bias)
 *
 * Every conv and pool pads TensorFlow's "SAME" way (total k - s, or k - in % s
 * when s does not divide the input, the smaller half in front) with zeros,
 * max pools included, as the port does. Each conv unit is conv (no bias) +
 * batch norm (eps 1e-3, momentum 0.01) + ReLU. An Inception module "Mixed_X"
 * concatenates four branches: b0 (1x1x1), b1a (1x1x1) -> b1b (3x3x3),
 * b2a (1x1x1) -> b2b (3x3x3), 3x3x3 max pool (stride 1) -> b3b (1x1x1).
 *
 * State_dict names are the port's: Conv3d_1a_7x7.conv3d.weight,
 * Conv3d_1a_7x7.bn.{weight,bias,running_mean,running_var}, Mixed_4b.b1a.conv3d.weight,
 * ..., logits.conv3d.weight, logits.conv3d.bias.
 *
 * Output: the port returns per-time logits (N, classes, T'); avs_i3d_forward
 * returns their mean over time (and over space when the final grid is larger
 * than 7x7), (N, classes). The average pool's 2x7x7 window is clipped to the
 * final feature grid, so clips smaller than 16x224x224 work (down to 1x1x1). */
#ifndef AVS_I3D_H
#define AVS_I3D_H

#include "av/ops.h"
#include "video/models/registry.h"
#include "nn/unit.h"

typedef struct {
  avs_action_base base; /* 400 classes (Kinetics-400), 64 x 224 x 224 */
  int in_channels;       /* 3 for the RGB stream ("i3d"), 2 for the optical-flow stream
                            ("i3d_flow": TV-L1 dx, dy) */
  float dropout;         /* drop probability before the logits in training, 0.5 */
  bool norm_eval;  /* batch norm uses the running statistics in training too, as when
                      fine-tuning on small batches (mmaction2's norm_eval): its affine
                      parameters still learn, the statistics stay fixed */
} avs_i3d_cfg;

/* Declares every tensor with its state_dict name and shape; batch-norm scales
 * and running variances start at 1, everything else at 0. Registered as
 * "i3d" (RGB) and "i3d_flow" (2 channels). */
int avs_i3d_declare(avs_params *p, const avs_i3d_cfg *cfg);

/* clip (N,T,H,W,in_channels) -> logits (N,classes); NULL on error (avs_errmsg). */
avs_tensor *avs_i3d_forward(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, avs_tensor *clip);

/* A conv "<conv>.weight" (no bias; padding as s says) then the batch norm
 * "<bn>.*" with eps and momentum (0: PyTorch's defaults) run by
 * avs_unit_batch_norm, then ReLU when relu; in eval mode with a fold cache
 * selected (fold.h), one convolution with the batch norm folded in (and the
 * ReLU on its output pass). */
avs_tensor *avs_i3d_conv_bn(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn, float eps,
                            float momentum, const avs_conv_spec *s, avs_tensor *x, bool norm_eval, bool relu);

/* The features before dropout and logits: (N,T',H',W',1024) after the
 * clipped 2x7x7 average pool. */
avs_tensor *avs_i3d_features(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, avs_tensor *clip);

#endif
