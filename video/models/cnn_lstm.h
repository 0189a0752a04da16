/* CNN + LSTM (Donahue et al., "Long-term Recurrent Convolutional Networks",
 * CVPR 2015; Ng et al., "Beyond Short Snippets", CVPR 2015): per-frame
 * ResNet-18 features fed to an LSTM, a linear classifier on its outputs.
 * Names: "backbone.*" (torchvision resnet18 without fc), "lstm.weight_ih_l0",
 * "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0" (... _l1 for more
 * layers; nn.LSTM(512, hidden, layers, batch_first=True)), "fc". */
#ifndef AVS_MODELS_CNN_LSTM_H
#define AVS_MODELS_CNN_LSTM_H

#include <stdbool.h>

#include "video/models/registry.h"

typedef struct {
  avs_action_base base; /* 400 classes, 16 x 224 x 224 (any T runs) */
  int hidden;           /* LSTM width, 512 */
  int layers;           /* stacked LSTM layers, 1 */
  bool per_frame;       /* true: fc on every step, logits averaged (LRCN); false: fc on the last step */
  float dropout;        /* before fc in training, 0.5 */
} avs_cnn_lstm_cfg;

int avs_cnn_lstm_declare(avs_params *p, const avs_cnn_lstm_cfg *cfg);
avs_tensor *avs_cnn_lstm_forward(avs_ctx *ctx, const avs_params *p, const avs_cnn_lstm_cfg *cfg, avs_tensor *clip);
/* Per-frame logits (N, T, classes): fc on every LSTM step. */
avs_tensor *avs_cnn_lstm_frame_logits(avs_ctx *ctx, const avs_params *p, const avs_cnn_lstm_cfg *cfg,
                                      avs_tensor *clip);

#endif
