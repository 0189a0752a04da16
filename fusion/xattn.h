/* The toolkit's own audio-visual separation model: cross-modal attention from
 * spectrogram tokens to space-time video tokens, one mask per visual source
 * (docs/MODELS.md, "Cross-modal attention separation"):
 *
 *   audio   logmag (N,F,T,1+C) -> audio.bn0 -> U-Net encoder: `down` x [conv 4x4 /2, BN
 *           (not the first), LeakyReLU 0.2], widths ngf, 2ngf, 4ngf, 8ngf, 8ngf, ...
 *           -> tokens F'xT' = (F, T) / 2^down -> audio.proj (Linear -> dim)
 *   video   frames (N,T,H,W,3) -> video.stem (conv 3x7x7 /1,2,2, BN, ReLU, vwidth)
 *           -> video.layer1 (3-D basic blocks, vwidth) -> video.layer2..4 (no-temporal
 *           basic blocks /1,2,2, 2, 4, 8 x vwidth) -> tokens T x H/16 x W/16
 *           -> video.proj (Linear -> dim)
 *   fusion  xattn: audio tokens (+ xattn.audio_pos) attend to visual tokens
 *           (+ xattn.visual_pos on the keys) by multi-head attention; residual,
 *           LayerNorm, GELU MLP, residual, LayerNorm (nn/attention.h's cross block)
 *   decoder `down` x [bilinear x2, conv 3x3, BN, ReLU, concat the encoder level] back to
 *           F x T; the last conv 3x3 (with bias) gives K = mask_channels features;
 *           with film = 1, each BN output (before the ReLU) is scaled and shifted,
 *           h (1 + gamma) + beta, by (gamma, beta) = film.<j>(mean of the visual tokens)
 *   prior   with nmf = C > 0, input channels 1..C are the logits of the C NMF class
 *           shares of each bin (fusion/sep_nmf.h; dictionaries in audio.nmf.dictionary,
 *           (C, 512, nmf_components), learned by avtrain, not trained), and they join
 *           the K features: the synthesizer weighs K + C channels
 *   masks   per source s: its pooling weights over the visual tokens (a box or a point,
 *           avs_xattn_region_weights) pool the visual tokens into v_s (dim); synth
 *           (Linear dim -> K+C+1) turns v_s into K+C channel weights and a bias;
 *           logit_s(f,t) = sum_k w_sk feature_k(f,t) + b_s (Sound of Pixels' synthesizer)
 *   heatmap the attention weights averaged over heads and pooled over the audio tokens
 *           (uniformly, or weighted by a source's mask), normalised to sum 1 over the
 *           T x H' x W' visual tokens
 *
 * State_dict names are those of the PyTorch module in tests/fusion/gen_xattn.py
 * (audio.down.0.conv.weight, video.layer1.0.conv1.0.weight, xattn.attn.in_proj_weight,
 * synth.weight, ...). Layouts are channels-last; token orders are (f, t) for audio and
 * (t, h, w) for video. */
#ifndef AVS_FUSION_XATTN_H
#define AVS_FUSION_XATTN_H

#include "av/ctx.h"
#include "av/params.h"
#include "nn/hparam.h"

#define AVS_XATTN_MAX_DOWN 7

typedef struct {
  int freq, time;            /* input spectrogram F x T (256 x 256) */
  int ngf;                   /* U-Net base width (16) */
  int down;                  /* strided convs of the encoder, 1..7 (4) */
  int frames, height, width; /* input clip T x H x W, H and W multiples of 16 (3 x 128 x 128) */
  int vwidth;                /* video CNN base width (16) */
  int vblocks;               /* basic blocks per video stage (1) */
  int dim, heads, mlp;       /* token width, attention heads, MLP hidden width (128, 4, 256) */
  int mask_channels;         /* K: decoder features per time-frequency bin (16) */
  int film;                  /* 1: FiLM at every decoder level from the clip's mean visual token (0) */
  int nmf;                   /* C > 0: the input also holds C NMF class shares (fusion/sep_nmf.h) (0) */
  int nmf_components;        /* components per class dictionary (20) */
  int nmf_iters;             /* updates of the NMF activations per window (50) */
} avs_xattn_cfg;

/* The default configuration and the hyperparameter table (key = field name). */
avs_xattn_cfg avs_xattn_default_cfg(void);
const avs_hparam *avs_xattn_hparams(int *n);

/* Token grids of a configuration; AVS_EINVAL naming the bad value when it is not one. */
typedef struct {
  int freq, time;            /* audio tokens F' x T' */
  int frames, height, width; /* visual tokens T x H' x W' */
  int audio, visual;         /* La = F' T', Lv = T H' W' */
} avs_xattn_grid;
int avs_xattn_grid_of(const avs_xattn_cfg *cfg, avs_xattn_grid *g);

/* Checks the cfg and declares every tensor under its state_dict name. */
int avs_xattn_declare(avs_params *p, const avs_xattn_cfg *cfg);

/* What the sources share: one pass over audio and video. */
typedef struct {
  avs_tensor *features; /* (N, F, T, K) decoder output: with the prior, the masks' basis */
  avs_tensor *prior;    /* (mixtures, F, T, nmf) the NMF share logits (NULL without nmf) */
  const int *mix_of;    /* source j's row of prior (borrowed from the caller; NULL: row j) */
  avs_tensor *visual;   /* (N, Lv, dim) visual tokens (video.proj, before positions) */
  avs_tensor *audio;    /* (N, La, dim) audio tokens after the cross-attention block */
  avs_tensor *attn;     /* (N, heads, La, Lv) attention weights (differentiable) */
} avs_xattn_enc;

/* logmag (N,F,T,1+nmf): log magnitude spectrogram (log-frequency warped as the caller
 * chooses; audio.bn0 normalises its scale), then the NMF share logits when nmf > 0; frames (N,T,H,W,3): RGB normalised with
 * ImageNet's mean and std. Sizes must equal the cfg's. Returns 0 or an error code
 * (AVS_ESHAPE naming the input). Tensors are in ctx's arena and taped when ctx tapes. */
int avs_xattn_encode(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *cfg, avs_tensor *logmag,
                     avs_tensor *frames, avs_xattn_enc *out);

/* Mask logits (N,S,F,T), one per source; source_weights (N,S,Lv) pool the visual
 * tokens (rows as avs_xattn_region_weights makes them; any weights work). Apply a
 * sigmoid for masks. NULL on error. */
avs_tensor *avs_xattn_masks(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *cfg, const avs_xattn_enc *enc,
                            avs_tensor *source_weights);

/* encode + masks. */
avs_tensor *avs_xattn_forward(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *cfg, avs_tensor *logmag,
                              avs_tensor *frames, avs_tensor *source_weights);

/* Sound-source heatmaps (N,S,T,H',W'), each summing to 1: the attention weights
 * averaged over heads, then over the audio tokens weighted by each source's mask
 * (sigmoid of mask_logits (N,S,F,T), averaged over each token's F/F' x T/T' cell);
 * mask_logits NULL: one overall heatmap (S = 1), the audio tokens weighted equally.
 * Computed from the values (not taped: for display and evaluation). */
avs_tensor *avs_xattn_heatmap(avs_ctx *ctx, const avs_xattn_cfg *cfg, const avs_xattn_enc *enc,
                              const avs_tensor *mask_logits);

/* One source's pooling weights (Lv floats into out, summing to 1) from a box
 * (x0, y0, x1, y1) in frame coordinates scaled to [0, 1], the same in every frame:
 * each token weighs the area of its cell inside the box. A box of no area (a point,
 * x0 == x1 and y0 == y1) selects the cell holding its centre in every frame.
 * AVS_EINVAL for coordinates outside [0, 1] or x1 < x0, y1 < y0. */
int avs_xattn_region_weights(const avs_xattn_cfg *cfg, const float box[4], float *out);

#endif
