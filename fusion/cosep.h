/* Co-Separation (Gao & Grauman, "Co-Separating Sounds of Visual Objects",
 * ICCV 2019), as its reference code rhgao/co-separation (models/networks.py
 * Resnet18 / AudioVisual7layerUNet, models/audioVisual_model.py, train.py):
 *
 *   audio:   Sound of Pixels' front end (11025 Hz, STFT 1022 / hop 256, log-frequency
 *            warp to 256 rows, log magnitude: fusion/separation.h)
 *   visual:  ResNet-18 on the detected object's crop (224 x 224) -> adaptive max pool
 *            -> 512; or (conv1x1) layer4 -> 1x1 conv 512 -> 128, BN, ReLU -> flatten
 *            (C, H, W order) -> Linear -> 512
 *   prior:   not the paper's, off by default (nmf 0): with nmf = C > 0 the U-Net's input
 *            also holds the C NMF class share logits of every bin as channels 1..C, as
 *            xattn's (fusion/sep_nmf.h; dictionaries in audio.nmf.dictionary, learned by avtrain);
 *            with prior_gate also C weights softmax(audio.nmf.gate (linear) of the visual vector),
 *            the mask logits plus sum_c weight_c x share logit c (xattn's synthesizer alike):
 *            the object picks its class's NMF mask directly, not only through the bottleneck
 *   U-Net:   downs x [conv 4x4 /2 (bias), BN, LeakyReLU 0.2], ngf x 1, 2, 4, 8, 8, ...;
 *            the visual vector tiled over the bottleneck and concatenated before it;
 *            downs x [conv-transpose 4x4 /2 (bias), BN, ReLU], each on cat(up, skip);
 *            the last one to 1 channel, then a sigmoid: one ratio mask per object
 *   classifier: ResNet-18 with a 1-channel conv1 on log(mix x mask + 1e-10) -> max pool
 *            -> fc -> classes (the object-consistency loss; cosep_loss.c)
 *
 * Tensor names are the reference's three state_dicts (visual_best.pth,
 * unet_best.pth, classifier_best.pth) under the prefixes net_visual.,
 * net_unet., net_classifier. (AudioVisualModel's attributes), merged by
 * tools/pth2st.py --arch cosep, which drops each ResNet's "conv1.weight": the
 * reference registers its conv1 twice (as conv1 and feature_extraction.0).
 *
 * Layouts channels-last: spectrograms (N, F, T, 1), crops (N, H, W, 3)
 * normalised with ImageNet's mean and deviation. */
#ifndef AVS_FUSION_COSEP_H
#define AVS_FUSION_COSEP_H

#include <stdbool.h>

#include "av/ctx.h"
#include "av/params.h"
#include "fusion/sep_data.h"
#include "nn/hparam.h"

#define AVS_COSEP_MAX_DOWNS 8 /* 256 bins at 2^8: a 1 x 1 bottleneck */

typedef struct {
  int ngf;              /* U-Net width: 64 */
  int downs;            /* U-Net levels, each halving F and T: 7 (reference: 5 or 7) */
  int visual_width;     /* the visual ResNet-18's width: 64 (512 features) */
  bool conv1x1;         /* visual pooling: false max pool, true 1x1 conv + fc (README's) */
  int visual_dim;       /* conv1x1's fc output: 512 (max pool: 8 visual_width) */
  int crop;             /* object crop height = width: 224 */
  int classes;          /* object classes: 15 (16 with the background class) */
  int classifier_width; /* the classifier ResNet-18's width: 64 */
  int freq, time;       /* spectrogram: 256 warped rows, 256 STFT frames */
  /* Not the paper's (nmf 0 is): the U-Net's input also holds nmf NMF class shares (fusion/sep_nmf.h) */
  int nmf, nmf_components, nmf_iters;
  bool prior_gate; /* not the paper's (false is): the visual vector also weighs the shares into the logits */
} avs_cosep_cfg;

void avs_cosep_cfg_default(avs_cosep_cfg *cfg);
const avs_hparam *avs_cosep_hparams(int *n);
/* The visual vector's length: visual_dim with conv1x1, else 8 visual_width. */
int avs_cosep_visual_dim(const avs_cosep_cfg *cfg);

/* Checks the cfg (AVS_EINVAL naming the bad value) and declares every tensor:
 * visual net, U-Net, classifier, in the checkpoints' state_dict order. */
int avs_cosep_declare(avs_params *p, const avs_cosep_cfg *cfg);
int avs_cosep_visual_declare(avs_params *p, const avs_cosep_cfg *cfg);
int avs_cosep_unet_declare(avs_params *p, const avs_cosep_cfg *cfg);
int avs_cosep_classifier_declare(avs_params *p, const avs_cosep_cfg *cfg);

/* crops (N, crop, crop, 3) -> visual vectors (N, visual_dim). */
avs_tensor *avs_cosep_visual(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *crops);
/* logmag (N, F, T, 1 + nmf) of N mixtures, F and T multiples of 2^downs, and vis (M, visual_dim)
 * of M objects, object i on mixture mix_of[i] (mix_of NULL: N = M, object i on row i) -> mask
 * logits (M, F, T): the last conv-transpose's output, before its sigmoid. The encoder runs once
 * per mixture (cosep_unet.c). */
avs_tensor *avs_cosep_unet(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *logmag,
                           const int *mix_of, avs_tensor *vis);
/* The U-Net's logits and, with prior_gate, the weighed share logits of logmag's channels 1..nmf
 * (of the object's mixture); each object's weights (M, nmf) into *gate when gate is not NULL (NULL
 * without prior_gate). */
avs_tensor *avs_cosep_logits(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *logmag,
                             const int *mix_of, avs_tensor *vis, avs_tensor **gate);
/* The whole separator: logmag of the mixtures, each object's mixture (mix_of as avs_cosep_unet's)
 * and crop -> masks (M, F, T) in (0, 1). */
avs_tensor *avs_cosep_masks(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *logmag,
                            const int *mix_of, avs_tensor *crops);
/* The object classifier on the separated spectrogram: mix (N, F, T), each
 * object's warped mixture magnitude (+ 1e-10 as the reference adds before
 * warping), masks (N, F, T) -> class logits (N, classes) of
 * log(mix * mask + 1e-10). */
avs_tensor *avs_cosep_classify(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *mix,
                               avs_tensor *masks);

/* ---- losses (cosep_loss.c) ---- */

typedef enum { AVS_COSEP_L1, AVS_COSEP_L2 } avs_cosep_dist;

/* Targets, element-wise over n values of linear or warped magnitudes: the
 * ratio mask clamp(src / mix, 0, 5), and the loss weight
 * clamp(log1p(mix), 1e-3, 10) (the reference's --weighted_loss). */
void avs_cosep_ratio_mask(const float *src, const float *mix, int64_t n, float *gt);
void avs_cosep_loss_weight(const float *mix, int64_t n, float *weight);

/* The co-separation loss: masks (O, F, T) of O objects, object i from video
 * video_of[i] in [0, V); gt (V, F, T) each video's ratio mask, weight (V, F, T)
 * or NULL. The masks of a video's objects are summed and compared with its
 * mask: mean over videos of mean(weight x |sum - gt|) (L1; L2 squares it). */
avs_tensor *avs_cosep_coseparation_loss(avs_ctx *ctx, avs_tensor *masks, const int *video_of, avs_tensor *gt,
                                        avs_tensor *weight, avs_cosep_dist dist);
/* The object-consistency loss: cross-entropy of the classifier's logits (O, C)
 * against each object's detected class. */
avs_tensor *avs_cosep_consistency_loss(avs_ctx *ctx, avs_tensor *logits, const int *labels);

/* avtrain cosep's loss on a batch made with .videos (fusion/sep_data.h): every
 * object's mask from its own crop on its mixture, the co-separation loss of
 * each video's sum against its ratio target, plus class_weight times the
 * consistency loss of the classifier on each object's separated spectrogram
 * against its category (which must be in [0, classes)). */
typedef struct {
  avs_cosep_dist dist;  /* L1 (the reference's default) or L2 */
  bool unweighted;      /* drop the log1p(mixture) weight (the reference without --weighted_loss) */
  float class_weight;   /* 0.05 in the reference's README command */
} avs_cosep_train_opts;
avs_tensor *avs_cosep_train_loss(avs_ctx *ctx, const avs_model *m, const avs_sep_batch *b,
                                 const avs_cosep_train_opts *o);

#endif
