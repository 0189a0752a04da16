/* Sound of Pixels (Zhao et al., "The Sound of Pixels", ECCV 2018), as its
 * reference code hangzhaomit/Sound-of-Pixels (models/audio_net.py Unet,
 * models/vision_net.py ResnetDilated, models/synthesizer_net.py InnerProd):
 *
 *   audio:  11025 Hz, 65535 samples -> STFT 1022 / hop 256 (Hann): 512 bins x 256
 *           frames -> log-frequency warp to 256 bins -> log  (avs_sop_logmag)
 *   sound net:  bn0, U-Net of num_downs levels -> K = channels feature maps (N, F, T, K)
 *   frame net:  dilated ResNet-18 per frame -> 3x3 conv "fc" to K -> max over T, H, W
 *               -> sigmoid (N, K); or max over T only: one vector per pixel (N, H', W', K)
 *   synthesizer: mask logit z = sum_k v_k scale_k s_k + bias; mask = sigmoid(z)
 *
 * Tensor names are those of its three checkpoints, merged into one model file
 * by tools/pth2st.py --arch sop: sound_best.pth "bn0.*", "unet_block.model.*";
 * frame_best.pth "features.*" (nn.Sequential of resnet18's conv1, bn1, relu,
 * maxpool, layer1-4), "fc.*"; synthesizer_best.pth "scale", "bias".
 *
 * Layouts channels-last: spectrograms (N, F, T, C), frames (N, T, H, W, 3)
 * normalised with ImageNet's mean and deviation, as the reference's loader. */
#ifndef AVS_FUSION_SOP_H
#define AVS_FUSION_SOP_H

#include "av/ctx.h"
#include "av/params.h"
#include "nn/hparam.h"

typedef struct {
  int ngf;                   /* U-Net width: 64 (levels ngf, 2, 4, 8, 8, ... x ngf) */
  int num_downs;             /* U-Net levels, each halving F and T: 7 (reference: 5-7) */
  int channels;              /* K, the reference's fc_dim: 32 */
  int frame_width;           /* ResNet-18 width: 64 */
  int frames, height, width; /* visual input T, H, W: 3, 224, 224 */
  int freq, time;            /* spectrogram: 256 warped bins, 256 STFT frames */
} avs_sop_cfg;

#define AVS_SOP_RATE 11025   /* Hz */
#define AVS_SOP_SAMPLES 65535 /* per clip: 256 frames at hop 256 */
#define AVS_SOP_BINS 512     /* linear bins of the 1022-point STFT the warp reads */

/* The default (the reference's MUSIC model: unet7, resnet18dilated, linear). */
void avs_sop_cfg_default(avs_sop_cfg *cfg);
/* The hyperparameter table (keys as the cfg fields); *n its length. */
const avs_hparam *avs_sop_hparams(int *n);

/* Checks the cfg (AVS_EINVAL naming the bad value) and declares every tensor:
 * sound net, frame net, synthesizer, in the checkpoints' state_dict order. */
int avs_sop_declare(avs_params *p, const avs_sop_cfg *cfg);
int avs_sop_sound_declare(avs_params *p, const avs_sop_cfg *cfg);
int avs_sop_frame_declare(avs_params *p, const avs_sop_cfg *cfg);
int avs_sop_synth_declare(avs_params *p, const avs_sop_cfg *cfg);

/* Linear magnitude (bins 512, frames) -> the sound net's input (freq, frames):
 * log(warp(mag + 1e-10)), the warp as F.grid_sample on warpgrid(warp=True)
 * with PyTorch 0.4's sampling (align_corners, audio/logfreq.h), on which the
 * reference was trained. */
int avs_sop_logmag(const avs_sop_cfg *cfg, const float *mag, int64_t frames, float *logmag);

/* logmag (N, F, T, 1), F and T multiples of 2^num_downs -> features (N, F, T, K). */
avs_tensor *avs_sop_sound_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *logmag);
/* frames (N, T, H, W, 3) -> sigmoid of the map max-pooled over T, H', W' (N, K). */
avs_tensor *avs_sop_frame_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *frames);
/* frames (N, T, H, W, 3) -> sigmoid of the map max-pooled over T (N, H', W', K),
 * H' = ceil(H / 16): the pooled vector is its maximum over H', W'. */
avs_tensor *avs_sop_frame_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *frames);
/* feats (N, F, T, K), vis (N, K) -> mask logits (N, F, T). */
avs_tensor *avs_sop_synth_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *feats,
                                  avs_tensor *vis);
/* feats (N, F, T, K), vis (N, H', W', K) -> mask logits (N, H', W', F, T). */
avs_tensor *avs_sop_synth_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *feats,
                                 avs_tensor *vis);

/* The whole model: logmag (N, F, T, 1) and the video's frames (N, T, H, W, 3)
 * -> masks (N, F, T) in (0, 1); per pixel (N, H', W', F, T). */
avs_tensor *avs_sop_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *logmag,
                            avs_tensor *frames);
avs_tensor *avs_sop_forward_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *logmag,
                                   avs_tensor *frames);

#endif
