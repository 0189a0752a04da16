/* CNN + LSTM (LRCN, Donahue et al., CVPR 2015) on ResNet-18:
 *
 *   every frame t: backbone -> f_t (512)
 *   LSTM layers (hidden) over f_1 ... f_T -> h_t
 *   per_frame: clip logits = mean_t fc(dropout(h_t));  else fc(dropout(h_T))
 */
#include "av/status.h"
#include "video/models/cnn_lstm.h"
#include "nn/resnet18.h"
#include "nn/trace.h"
#include "nn/unit.h"

int avs_cnn_lstm_declare(avs_params *p, const avs_cnn_lstm_cfg *cfg) {
  if (cfg->hidden < 1 || cfg->layers < 1 || cfg->layers > 8 || cfg->dropout < 0 || cfg->dropout >= 1)
    return avs_seterr(AVS_EINVAL, "cnn_lstm: hidden must be positive, layers 1..8, dropout in [0, 1)");
  int rc = avs_resnet18_trunk_declare(p, "backbone.", 3, AVS_RESNET18_WIDTH);
  char name[AVS_NAME_MAX];
  int64_t g = 4 * (int64_t)cfg->hidden;
  for (int l = 0; !rc && l < cfg->layers; l++) {
    int64_t in = l ? cfg->hidden : AVS_RESNET18_FEATURES;
    if (!avs_params_add(p, avs_unit_name(name, "lstm.weight_ih_l%d", l), 2, AVS_SHAPE(g, in)) ||
        !avs_params_add(p, avs_unit_name(name, "lstm.weight_hh_l%d", l), 2, AVS_SHAPE(g, cfg->hidden)) ||
        !avs_params_add(p, avs_unit_name(name, "lstm.bias_ih_l%d", l), 1, AVS_SHAPE(g)) ||
        !avs_params_add(p, avs_unit_name(name, "lstm.bias_hh_l%d", l), 1, AVS_SHAPE(g)))
      rc = avs_errcode();
  }
  return rc ? rc : avs_unit_declare_linear(p, "fc", cfg->hidden, cfg->base.classes);
}

/* Clip -> LSTM outputs (N, T, hidden), after dropout. */
static avs_tensor *lstm_outputs(avs_ctx *ctx, const avs_params *p, const avs_cnn_lstm_cfg *cfg, avs_tensor *clip) {
  avs_tensor *h = avs_resnet18_frame_features(ctx, p, "backbone.", AVS_RESNET18_WIDTH, clip);
  for (int l = 0; l < cfg->layers && h; l++) {
    avs_lstm_w w = {.w_ih = avs_unit_param(p, "lstm.weight_ih_l%d", l), .w_hh = avs_unit_param(p, "lstm.weight_hh_l%d", l),
                    .b_ih = avs_unit_param(p, "lstm.bias_ih_l%d", l), .b_hh = avs_unit_param(p, "lstm.bias_hh_l%d", l)};
    if (!w.w_ih || !w.w_hh || !w.b_ih || !w.b_hh) return NULL;
    h = avs_lstm(ctx, h, &w);
    /* trace row: 4 gates of (in + hidden) inputs per step */
    if (h) {
      char name[AVS_NAME_MAX];
      avs_layer_trace_add(ctx, avs_unit_name(name, "lstm.l%d", l), "lstm", h,
                          w.w_ih->numel + w.w_hh->numel + w.b_ih->numel + w.b_hh->numel,
                          h->shape[0] * h->shape[1] * (w.w_ih->numel + w.w_hh->numel));
    }
  }
  return avs_dropout(ctx, h, cfg->dropout);
}

avs_tensor *avs_cnn_lstm_frame_logits(avs_ctx *ctx, const avs_params *p, const avs_cnn_lstm_cfg *cfg,
                                      avs_tensor *clip) {
  return avs_unit_linear(ctx, p, "fc", lstm_outputs(ctx, p, cfg, clip));
}

avs_tensor *avs_cnn_lstm_forward(avs_ctx *ctx, const avs_params *p, const avs_cnn_lstm_cfg *cfg, avs_tensor *clip) {
  if (cfg->per_frame) return avs_models_mean_over_time(ctx, avs_cnn_lstm_frame_logits(ctx, p, cfg, clip));
  avs_tensor *h = lstm_outputs(ctx, p, cfg, clip);
  if (!h) return NULL;
  int64_t t = h->shape[1];
  h = avs_reshape(ctx, avs_slice(ctx, h, 1, t - 1, t, 1), 2, AVS_SHAPE(h->shape[0], cfg->hidden));
  return avs_unit_linear(ctx, p, "fc", h);
}

static const avs_cnn_lstm_cfg cl_default = {.base = {.classes = 400, .frames = 16, .height = 224, .width = 224},
                                            .hidden = 512, .layers = 1, .per_frame = true, .dropout = 0.5f};
static const avs_hparam cl_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_cnn_lstm_cfg),
    AVS_HP(avs_cnn_lstm_cfg, hidden, AVS_HP_INT, "LSTM hidden width (512)"),
    AVS_HP(avs_cnn_lstm_cfg, layers, AVS_HP_INT, "stacked LSTM layers (1)"),
    AVS_HP(avs_cnn_lstm_cfg, per_frame, AVS_HP_BOOL, "average per-frame logits (true) or use the last step"),
    AVS_HP(avs_cnn_lstm_cfg, dropout, AVS_HP_FLOAT, "dropout before fc in training (0.5)"),
};
AVS_ACTION_ARCH_GLUE(cnn_lstm, avs_cnn_lstm_cfg)
const avs_arch avs_arch_cnn_lstm = {
    .name = "cnn_lstm", .title = "CNN+LSTM: per-frame ResNet-18 features, LSTM, linear (LRCN, Donahue et al., CVPR 2015)", AVS_ACTION_TASK(cnn_lstm, "imagenet", 3),
    AVS_ARCH_FIELDS(cnn_lstm, avs_cnn_lstm_cfg, cl_default, cl_hparams)};
