/* The toolkit's audio-visual speech separation model, in the spirit of Looking
 * to Listen (Ephrat et al., SIGGRAPH 2018) and VisualVoice (Gao & Grauman,
 * CVPR 2021); docs/MODELS.md, "Audio-visual speech separation", has the table.
 * Geometry, inputs and time alignment: fusion/speech.h.
 *
 *   input     mixture STFT (N,T,257,2) -> power-law compression c = S |S|^(power-1)
 *   audio     audio.layers.0  conv 1x7 (time x freq)            2 -> A, BN, ReLU
 *             audio.layers.1  conv 7x1                          A -> A, BN, ReLU
 *             audio.layers.2.. conv 5x5, time dilation 1,2,4,..  A -> A, BN, ReLU  (audio_layers of them;
 *                              with freq_dilation the same dilations in frequency too, as in Looking to Listen)
 *             audio.layers.last conv 1x1                        A -> audio_out, BN, ReLU
 *             flattened over frequency: (N, T, 257 audio_out), index f audio_out + c
 *   visual    per speaker, mouths (V, M, M, 1):
 *             visual.front   conv3d 5x7x7 /1,2,2 (1 -> visual_front), BN, ReLU, maxpool 1x3x3 /1,2,2
 *             visual.convs.j per frame conv 3x3 /2, BN, ReLU, widths 2, 4, .. x visual_front
 *             global spatial average -> visual.temporal.0/1: conv1d k3 dilation 1, 2 (-> visual_dim),
 *             BN, ReLU -> nearest in time to the T STFT frames (speech.h's v(t))
 *   identity  per speaker, face (Z, Z, 1): identity.convs.j conv 3x3 /2, BN, ReLU, widths
 *             face_width, 2x, 4x, ..; global average; identity.proj Linear -> id_dim, tiled over T
 *   fusion    per time step concat [audio, (visual_s, identity_s) for s = 0..S-1]
 *             fusion Linear -> fusion_dim, ReLU; lstm BiLSTM (lstm_hidden each way)
 *             fc1, fc2 Linear -> fc_dim, ReLU; mask Linear -> S x 257 x 2
 *   masks     mask_bound tanh(.) -> (N, S, T, 257, 2), index order (s, f, re/im)
 *
 * Convolutions have no bias (a BN follows each). State_dict names are those of
 * the PyTorch module in tests/fusion/gen_speech.py. */
#ifndef AVS_FUSION_AVSPEECH_H
#define AVS_FUSION_AVSPEECH_H

#include "av/ctx.h"
#include "av/params.h"
#include "nn/hparam.h"

typedef struct {
  int speakers;        /* S (2) */
  int fps;             /* video frame rate (16) */
  int mouth_size;      /* M: mouth crops M x M (48) */
  int face_size;       /* Z: face crop Z x Z (64) */
  int audio_channels;  /* A (48) */
  int audio_layers;    /* dilated 5x5 convs, time dilations 1, 2, 4, ... (4) */
  int freq_dilation;   /* 1: those convs dilate frequency as much as time; 0: time only (0) */
  int audio_out;       /* channels per bin before flattening (8) */
  int visual_front;    /* 3-D front end width (32) */
  int visual_convs;    /* per-frame stride-2 convs, each doubling the width (2: 128) */
  int visual_dim;      /* temporal conv width (128) */
  int face_width;      /* identity CNN's first width (16) */
  int face_convs;      /* identity CNN stride-2 convs, each doubling the width (4: 128) */
  int id_dim;          /* identity embedding (64) */
  int fusion_dim;      /* fused features per time step (256) */
  int lstm_hidden;     /* BiLSTM hidden size per direction (200) */
  int fc_dim;          /* fc1, fc2 width (600) */
  float power;         /* power-law compression exponent (0.3) */
  float mask_bound;    /* masks are mask_bound tanh(.) per part (2) */
} avs_avspeech_cfg;

avs_avspeech_cfg avs_avspeech_default_cfg(void);
const avs_hparam *avs_avspeech_hparams(int *n);

/* Checks the cfg (AVS_EINVAL naming the bad value) and declares every tensor. */
int avs_avspeech_declare(avs_params *p, const avs_avspeech_cfg *cfg);

/* The streams, for tests and analysis: compressed spec (N,T,257,2) -> (N,T,257 audio_out);
 * mouths (B,V,M,M,1) -> (B,V,visual_dim) at the video rate; faces (B,Z,Z,1) -> (B,id_dim). */
avs_tensor *avs_avspeech_audio(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *cfg, avs_tensor *cspec);
avs_tensor *avs_avspeech_visual(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *cfg, avs_tensor *mouths);
avs_tensor *avs_avspeech_identity(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *cfg, avs_tensor *faces);

/* The whole model (speech.h's layouts): spec (N,T,257,2) not compressed, mouths
 * (N S,V,M,M,1), faces (N S,Z,Z,1) -> masks (N,S,T,257,2). NULL with AVS_ESHAPE
 * naming the input that does not fit. */
avs_tensor *avs_avspeech_forward(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *cfg, avs_tensor *spec,
                                 avs_tensor *mouths, avs_tensor *faces);

#endif
