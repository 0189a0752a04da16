/* C3D: Tran, Bourdev, Fergus, Torresani, Paluri, "Learning Spatiotemporal
 * Features with 3D Convolutional Networks", ICCV 2015 (Sports-1M: 487 classes).
 * Tensor names follow the widely used PyTorch port (conv1 ... conv5b, fc6-fc8). */
#ifndef AVS_MODELS_C3D_H
#define AVS_MODELS_C3D_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 487 classes, 16 x 112 x 112 */
  int channels;         /* conv1 width, 64; conv2 2x, conv3 4x, conv4/conv5 8x */
  int fc_dim;           /* fc6 / fc7 width, 4096 */
  float dropout;        /* after fc6 and fc7 in training, 0.5 */
} avs_c3d_cfg;

int avs_c3d_declare(avs_params *p, const avs_c3d_cfg *cfg);
avs_tensor *avs_c3d_forward(avs_ctx *ctx, const avs_params *p, const avs_c3d_cfg *cfg, avs_tensor *clip);

#endif
