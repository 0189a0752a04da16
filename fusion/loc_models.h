/* The localizers (the localization kind, fusion/localization.h). All share
 * one configuration and the two ResNet-18 branches; each has its own head,
 * objective and test-time map:
 *
 * lvs — LVS, "Localizing Visual Sounds the Hard Way" (Chen et al., CVPR 2021):
 *   imgnet.*  ResNet-18 (3 channels), layer4 with stride 1: output stride 16
 *   audnet.*  ResNet-18 with a 1-channel conv1, layer4 stride 1 too, max-pooled over (bins, time)
 *   img map and audio vector L2-normalised over channels; A = cosine map (N, h, w)
 *   A0[n, m] the same for image n with audio m (N, N, h, w)
 *   Pos = sigmoid((A - eps) / tau), Neg = 1 - sigmoid((A - eps2) / tau)   (tri-map)
 *   Pos_all = sigmoid((A0 - eps) / tau)
 *   sim1 = sum(Pos A) / sum(Pos); sim[n, m] = sum(Pos_all A0) / sum(Pos_all) x (1 - 100 [n = m]);
 *   sim2 = sum(Neg A) / sum(Neg); logits = [sim1, sim[n, :], sim2] / temperature;
 *   loss = cross-entropy with target 0, mean over the batch.  Map: A.
 *
 * ezvsl — EZ-VSL, "Localizing Visual Sounds the Easy Way" (Mo & Morgado, ECCV 2022):
 *   imgnet.*  ResNet-18 (3 channels, output stride 32), img_proj: 1x1 conv 8w -> dim (bias)
 *   audnet.*  ResNet-18 with a 1-channel conv1 (stride 32), max-pooled; aud_proj: linear 8 audio_width -> dim (bias)
 *   both L2-normalised; S[n, m, h, w] = <img_n(h, w), aud_m> / tau
 *   logits[n, m] = max over (h, w) of S[n, m]; loss = CE(logits, diag) + CE(logits^T, diag) (summed)
 *   Map: object-guided localisation, normalize(alpha AV + (1 - alpha) OBJ) with
 *   AV = normalize(S[i, i]) and OBJ = normalize(mean over channels of |imgnet's map|)
 *   (normalize: min-max per image). The paper takes OBJ from a separate frozen
 *   ImageNet ResNet-18; no pretrained weights can be had here, so OBJ comes
 *   from the model's own image trunk.
 *
 * senocak — "Learning to Localize Sound Source in Visual Scenes" (Senocak et al.,
 * CVPR 2018), its PyTorch re-implementation ardasnck/learning_to_localize_sound_source:
 *   imgnet.*  ResNet-18, layer4 stride 1 (V: N, h w, C) in place of the frozen ImageNet
 *             VGG-16 conv5_3 (stride 16 too; no pretrained weights can be had here)
 *   audnet.*  as ezvsl's (a: N, Ca), in place of the precomputed SoundNet features
 *   sound_fc1 Ca -> Ca, ReLU, sound_fc2 Ca -> C, L2: the audio embedding h
 *   score(l) = ReLU(<V_l / |V_l|, h>); att = softmax over l;  z = sum_l att_l V_l
 *   att_fc1 C -> C after ReLU, ReLU, att_fc2 C -> Ca: z' in the audio feature space
 *   unsupervised: d+ = |z' - a|, d- = |z' - a of the next clip| (a as a fixed target),
 *     MSE of softmax([d+, d-]) against [0, 1]
 *   supervised (pairs with boxes): -sum_l gt_l log att_l, gt the boxes' grid normalised to 1
 *   loss = unsupervised + sup_weight supervised.  Map: att.
 *   Not in the paper (silent_weight, 0 by default): + silent_weight times the mean over the
 *     pairs with silent instruments in view of -log(1 - sum_l sil_l att_l), sil the silent
 *     boxes' coverage of each cell: the map learns to leave an instrument that makes no sound.
 *
 * Names: imgnet.* and audnet.* are torchvision resnet18's own (conv1, bn1,
 * layer1.0.conv1, ...; the audio conv1 takes 1 channel). */
#ifndef AVS_FUSION_LOC_MODELS_H
#define AVS_FUSION_LOC_MODELS_H

#include "av/ctx.h"
#include "av/params.h"
#include "nn/hparam.h"

typedef struct {
  int width;        /* image ResNet-18 width (64: 512 features) */
  int audio_width;  /* audio ResNet-18 width (64) */
  int dim;          /* ezvsl: projection size (512); lvs: unused (8 width = 8 audio_width) */
  int size;         /* image side (224) */
  int rate;         /* audio rate, Hz (11025) */
  int samples;      /* audio window (33075: 3 s) */
  float tau;        /* lvs: tri-map sharpness 0.03; ezvsl: temperature 0.03 */
  float eps_pos, eps_neg; /* lvs: tri-map thresholds 0.65, 0.4 */
  float temperature;/* lvs: logits' temperature 0.07 */
  float alpha;      /* ezvsl: share of the audio-visual map in the object-guided map, 0.4 */
  float sup_weight; /* senocak: weight of the supervised attention term (1; 0: unsupervised only) */
  float silent_weight; /* senocak: weight of the silent-object term (0: off, the paper's objective) */
} avs_loc_cfg;

#define AVS_LOC_NFFT 512 /* scipy.signal.spectrogram nperseg */
#define AVS_LOC_HOP 238  /* nperseg - noverlap (274) */

#endif
