/* Late fusion (Karpathy et al., CVPR 2014): a shared image network on each of
 * the T frames, the T feature vectors concatenated and classified by an MLP.
 * Names: "backbone.*" (torchvision resnet18 without fc), "fc.0", "fc.3"
 * (nn.Sequential(Linear(T*512, hidden), ReLU, Dropout, Linear(hidden, classes))). */
#ifndef AVS_MODELS_LATE_FUSION_H
#define AVS_MODELS_LATE_FUSION_H

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes, 8 x 224 x 224 (T is fixed: fc.0 takes T*512) */
  int hidden;           /* MLP width, 512 */
  float dropout;        /* before fc.3 in training, 0.5 */
} avs_late_fusion_cfg;

int avs_late_fusion_declare(avs_params *p, const avs_late_fusion_cfg *cfg);
avs_tensor *avs_late_fusion_forward(avs_ctx *ctx, const avs_params *p, const avs_late_fusion_cfg *cfg,
                                    avs_tensor *clip);

#endif
