/* Cross-modal attention separation (see xattn.h; docs/MODELS.md has the layer table). */
#include "fusion/xattn.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/sep_nmf.h"
#include "fusion/separation.h"
#include "nn/attention.h"
#include "nn/basic_block.h"
#include "nn/trace.h"
#include "nn/unit.h"

#define XA_VSTAGES 4       /* video.layer1..4 */
#define XA_VSTRIDE 16      /* stem /2, layer2..4 /2 each */
#define XA_LEAKY 0.2f

static const avs_xattn_cfg xattn_default = {
    .freq = 256, .time = 256, .ngf = 16, .down = 4, .frames = 3, .height = 128, .width = 128,
    .vwidth = 16, .vblocks = 1, .dim = 128, .heads = 4, .mlp = 256, .mask_channels = 16, .film = 0,
    .nmf = 0, .nmf_components = 20, .nmf_iters = AVS_SEP_NMF_ITERS};

static const avs_hparam xattn_hparams[] = {
    AVS_HP(avs_xattn_cfg, freq, AVS_HP_INT, "spectrogram frequency bins F (256)"),
    AVS_HP(avs_xattn_cfg, time, AVS_HP_INT, "spectrogram frames T (256)"),
    AVS_HP(avs_xattn_cfg, ngf, AVS_HP_INT, "U-Net base width (16)"),
    AVS_HP(avs_xattn_cfg, down, AVS_HP_INT, "U-Net strided convs, audio tokens (F, T) / 2^down (4)"),
    AVS_HP(avs_xattn_cfg, frames, AVS_HP_INT, "video frames (3)"),
    AVS_HP(avs_xattn_cfg, height, AVS_HP_INT, "frame height, a multiple of 16 (128)"),
    AVS_HP(avs_xattn_cfg, width, AVS_HP_INT, "frame width, a multiple of 16 (128)"),
    AVS_HP(avs_xattn_cfg, vwidth, AVS_HP_INT, "video CNN base width (16)"),
    AVS_HP(avs_xattn_cfg, vblocks, AVS_HP_INT, "basic blocks per video stage (1)"),
    AVS_HP(avs_xattn_cfg, dim, AVS_HP_INT, "token width (128)"),
    AVS_HP(avs_xattn_cfg, heads, AVS_HP_INT, "attention heads (4)"),
    AVS_HP(avs_xattn_cfg, mlp, AVS_HP_INT, "MLP hidden width (256)"),
    AVS_HP(avs_xattn_cfg, mask_channels, AVS_HP_INT, "decoder features K per bin (16)"),
    AVS_HP_RANGE("film", avs_xattn_cfg, film, 0, 1, "1: the clip's mean visual token scales and shifts each decoder level (0)"),
    AVS_SEP_NMF_HPARAMS(avs_xattn_cfg),
};

avs_xattn_cfg avs_xattn_default_cfg(void) { return xattn_default; }

const avs_hparam *avs_xattn_hparams(int *n) {
  *n = (int)(sizeof xattn_hparams / sizeof xattn_hparams[0]);
  return xattn_hparams;
}

int avs_xattn_grid_of(const avs_xattn_cfg *c, avs_xattn_grid *g) {
  if (c->down < 1 || c->down > AVS_XATTN_MAX_DOWN)
    return avs_seterr(AVS_EINVAL, "xattn: down %d is not in 1..%d", c->down, AVS_XATTN_MAX_DOWN);
  int step = 1 << c->down;
  if (c->freq < step || c->time < step || c->freq % step || c->time % step)
    return avs_seterr(AVS_EINVAL, "xattn: a %dx%d spectrogram does not halve %d times (down)", c->freq, c->time,
                      c->down);
  if (c->frames < 1 || c->height < XA_VSTRIDE || c->width < XA_VSTRIDE || c->height % XA_VSTRIDE ||
      c->width % XA_VSTRIDE)
    return avs_seterr(AVS_EINVAL, "xattn: clip %dx%dx%d: frames must be positive, height and width multiples of %d",
                      c->frames, c->height, c->width, XA_VSTRIDE);
  if (c->ngf < 1 || c->vwidth < 1 || c->vblocks < 1 || c->mlp < 1 || c->mask_channels < 1)
    return avs_seterr(AVS_EINVAL, "xattn: ngf %d, vwidth %d, vblocks %d, mlp %d, mask_channels %d must be positive",
                      c->ngf, c->vwidth, c->vblocks, c->mlp, c->mask_channels);
  int rc = avs_sep_nmf_check("xattn", c->nmf, c->nmf_components, c->nmf_iters);
  if (rc) return rc;
  if (c->film != 0 && c->film != 1) return avs_seterr(AVS_EINVAL, "xattn: film %d is not 0 or 1", c->film);
  if (c->dim < 1 || c->heads < 1 || c->dim % c->heads)
    return avs_seterr(AVS_EINVAL, "xattn: dim %d must be a positive multiple of heads %d", c->dim, c->heads);
  *g = (avs_xattn_grid){.freq = c->freq / step, .time = c->time / step, .frames = c->frames,
                        .height = c->height / XA_VSTRIDE, .width = c->width / XA_VSTRIDE};
  g->audio = g->freq * g->time, g->visual = g->frames * g->height * g->width;
  return AVS_OK;
}

/* ---- the layer table ---- */

/* Width of encoder level i (1..down): ngf, 2ngf, 4ngf, 8ngf, 8ngf, ... */
static int level_width(const avs_xattn_cfg *c, int i) { return c->ngf << (i - 1 < 3 ? i - 1 : 3); }

/* down.i: level i -> i+1; bias (and no BN) on the first only. */
static avs_conv_spec down_spec(const avs_xattn_cfg *c, int i) {
  int in = i ? level_width(c, i) : 1 + c->nmf; /* the input: log magnitude and the NMF shares */
  return (avs_conv_spec){2, in, level_width(c, i + 1), {4, 4}, {2, 2}, {1, 1}, i == 0, {0}};
}

/* up.j: level down-j -> down-j-1 (after a bilinear x2): to that level's width, or K
 * features (with bias, no BN) for the last. Its input is the attended tokens (dim) for
 * j = 0, otherwise the previous up conv's output concatenated with its encoder level. */
static avs_conv_spec up_spec(const avs_xattn_cfg *c, int j) {
  int from = c->down - j, to = from - 1;
  int in = j ? 2 * level_width(c, from) : c->dim;
  return (avs_conv_spec){2, in, to ? level_width(c, to) : c->mask_channels, {3, 3}, {1, 1}, {1, 1}, to == 0, {0}};
}

static const avs_conv_spec stem_spec_base = {3, 3, 0, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, false, {0}};

/* video.layer<i+1>'s first block: 3-D convs without stride for layer1, no-temporal /2 after. */
static avs_block_spec stage_spec(const avs_xattn_cfg *c, int i) {
  int out = c->vwidth << i, in = i ? out / 2 : c->vwidth;
  return (avs_block_spec){in, out, i ? 2 : 1, i ? AVS_BLOCK_CONV_NO_TEMPORAL : AVS_BLOCK_CONV3D, 0, 0};
}

static const char *const stage_names[XA_VSTAGES] = {"video.layer1", "video.layer2", "video.layer3", "video.layer4"};

int avs_xattn_declare(avs_params *p, const avs_xattn_cfg *c) {
  avs_xattn_grid g;
  int rc = avs_xattn_grid_of(c, &g);
  if (rc) return rc;
  char n[AVS_NAME_MAX], b[AVS_NAME_MAX];
  if ((rc = avs_unit_declare_bn(p, "audio.bn0", 1 + c->nmf))) return rc;
  if ((rc = avs_sep_nmf_declare(p, c->nmf, c->nmf_components))) return rc;
  for (int i = 0; i < c->down; i++) {
    avs_conv_spec s = down_spec(c, i);
    if ((rc = avs_unit_declare_conv(p, avs_unit_name(n, "audio.down.%d.conv", i), &s)) ||
        (i && (rc = avs_unit_declare_bn(p, avs_unit_name(b, "audio.down.%d.bn", i), s.out))))
      return rc;
  }
  if ((rc = avs_unit_declare_linear(p, "audio.proj", level_width(c, c->down), c->dim))) return rc;
  for (int j = 0; j < c->down; j++) {
    avs_conv_spec s = up_spec(c, j);
    bool bn = j < c->down - 1;
    if ((rc = avs_unit_declare_conv(p, avs_unit_name(n, "audio.up.%d.conv", j), &s)) ||
        (bn && (rc = avs_unit_declare_bn(p, avs_unit_name(b, "audio.up.%d.bn", j), s.out))) ||
        (bn && c->film && (rc = avs_unit_declare_linear(p, avs_unit_name(b, "film.%d", j), c->dim, 2 * s.out))))
      return rc;
  }
  avs_conv_spec stem = stem_spec_base;
  stem.out = c->vwidth;
  if ((rc = avs_unit_declare(p, "video.stem.0", "video.stem.1", &stem))) return rc;
  for (int i = 0; i < XA_VSTAGES; i++) {
    avs_block_spec s = stage_spec(c, i);
    if ((rc = avs_resnet_layer_declare(p, stage_names[i], c->vblocks, &s))) return rc;
  }
  if ((rc = avs_unit_declare_linear(p, "video.proj", c->vwidth << (XA_VSTAGES - 1), c->dim))) return rc;
  if (!avs_params_add(p, "xattn.audio_pos", 3, AVS_SHAPE(1, g.audio, c->dim)) ||
      !avs_params_add(p, "xattn.visual_pos", 3, AVS_SHAPE(1, g.visual, c->dim)))
    return avs_errcode();
  if ((rc = avs_unit_declare_cross_block(p, "xattn", c->dim, c->mlp))) return rc;
  return avs_unit_declare_linear(p, "synth", c->dim, c->mask_channels + c->nmf + 1);
}

/* ---- forward ---- */

static bool check_input(const char *what, const avs_tensor *x, int ndim, const int64_t *want) {
  char a[96], b[96];
  if (!x) return avs_seterr(AVS_EINVAL, "xattn: no %s", what), false;
  if (x->ndim == ndim && !memcmp(x->shape, want, sizeof(int64_t) * ndim)) return true;
  avs_seterr(AVS_ESHAPE, "xattn: %s %s, expected %s", what, avs_shape_str(x->ndim, x->shape, a, sizeof a),
             avs_shape_str(ndim, want, b, sizeof b));
  return false;
}

/* U-Net encoder levels 1..down into lv[1..down] (lv[0] = the normalised input). */
static void audio_encoder(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, avs_tensor *x, avs_tensor **lv) {
  char n[AVS_NAME_MAX], b[AVS_NAME_MAX];
  lv[0] = avs_unit_bn_layer(ctx, p, "audio.bn0", x);
  for (int i = 0; i < c->down; i++) {
    avs_conv_spec s = down_spec(c, i);
    avs_unit_name(n, "audio.down.%d.conv", i);
    avs_tensor *y = i ? avs_unit_conv_bn(ctx, p, n, avs_unit_name(b, "audio.down.%d.bn", i), &s, lv[i])
                      : avs_unit_conv(ctx, p, n, &s, lv[i]);
    lv[i + 1] = avs_leaky_relu(ctx, y, XA_LEAKY);
  }
}

/* Pooling weights (n, 1, lv) of one source covering the whole clip: every token 1 / lv. */
static avs_tensor *whole_clip_weights(avs_ctx *ctx, int64_t n, int64_t lv) {
  avs_tensor *w = avs_ctx_tensor(ctx, 3, AVS_SHAPE(n, 1, lv));
  for (int64_t i = 0; w && i < w->numel; i++) w->data[i] = 1.0f / (float)lv;
  return w;
}

/* FiLM (Perez et al., AAAI 2018): h (N, F, T, C) -> h (1 + gamma) + beta, where
 * (gamma, beta) = film.<j>(cond), cond (N, 1, dim) the clip's mean visual token. */
static avs_tensor *film(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *cond, avs_tensor *h) {
  avs_tensor *gb = avs_unit_linear(ctx, p, name, cond);
  if (!gb || !h) return NULL;
  int64_t N = h->shape[0], C = h->shape[3];
  gb = avs_reshape(ctx, gb, 4, AVS_SHAPE(N, 1, 1, 2 * C));
  /* per-sample (N, 1, 1, C) factors, which the element-wise ops broadcast over (F, T) */
  avs_tensor *scale = avs_affine(ctx, avs_slice(ctx, gb, 3, 0, C, 1), 1.0f, 1.0f);
  return avs_add(ctx, avs_mul(ctx, h, scale), avs_slice(ctx, gb, 3, C, 2 * C, 1));
}

/* Decoder from the attended tokens h (M, F', T', dim) to the K features (M, F, T, K); cond (M, 1, dim) for
 * FiLM, NULL without. The encoder levels lv are the mixtures' (N rows): source j joins those of mixture
 * mix_of[j] (NULL: j), and each level's convolution of them runs once per mixture (avs_unit_conv_bn_joined). */
static avs_tensor *audio_decoder(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, avs_tensor *h,
                                 avs_tensor *const *lv, const int *mix_of, avs_tensor *cond) {
  char n[AVS_NAME_MAX], b[AVS_NAME_MAX], f[AVS_NAME_MAX];
  avs_tensor *skip = NULL; /* the level joined to h, upsampled with it */
  for (int j = 0; j < c->down && h; j++) {
    int to = c->down - j - 1, F = c->freq >> to, T = c->time >> to;
    avs_conv_spec s = up_spec(c, j);
    h = avs_upsample_bilinear2d(ctx, h, F, T, false);
    if (skip) skip = avs_upsample_bilinear2d(ctx, skip, F, T, false);
    avs_unit_name(n, "audio.up.%d.conv", j);
    avs_tensor *y = avs_unit_conv_bn_joined(ctx, p, n, to ? avs_unit_name(b, "audio.up.%d.bn", j) : NULL, &s, h,
                                            skip, mix_of);
    if (!to) return y;
    h = avs_relu(ctx, cond ? film(ctx, p, avs_unit_name(f, "film.%d", j), cond, y) : y);
    skip = lv[to];
  }
  return NULL;
}

/* Visual tokens (N, Lv, dim). */
static avs_tensor *video_tokens(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, const avs_xattn_grid *g,
                                avs_tensor *x) {
  avs_conv_spec stem = stem_spec_base;
  stem.out = c->vwidth;
  x = avs_unit_forward(ctx, p, "video.stem.0", "video.stem.1", &stem, x, true);
  for (int i = 0; i < XA_VSTAGES; i++) {
    avs_block_spec s = stage_spec(c, i);
    x = avs_resnet_layer_forward(ctx, p, stage_names[i], c->vblocks, &s, x);
  }
  x = x ? avs_reshape(ctx, x, 3, AVS_SHAPE(x->shape[0], g->visual, x->shape[4])) : NULL;
  return avs_unit_linear(ctx, p, "video.proj", x);
}

/* avs_xattn_encode of N mixtures' logmag and M sources' frames, source j of mixture mix_of[j] (NULL: M = N,
 * each its own): the audio encoder runs once per mixture, and its levels go to each of the mixture's sources. */
static int encode_sources(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, avs_tensor *logmag,
                          const int *mix_of, avs_tensor *frames, avs_xattn_enc *out) {
  *out = (avs_xattn_enc){0};
  avs_xattn_grid g;
  int rc = avs_xattn_grid_of(c, &g);
  if (rc) return rc;
  int64_t N = logmag ? logmag->shape[0] : 0, M = mix_of && frames ? frames->shape[0] : N;
  if (!check_input("spectrogram", logmag, 4, AVS_SHAPE(N, c->freq, c->time, 1 + c->nmf)) ||
      !check_input("frames", frames, 5, AVS_SHAPE(M, c->frames, c->height, c->width, 3)))
    return avs_errcode();
  avs_tensor *lv[AVS_XATTN_MAX_DOWN + 1];
  audio_encoder(ctx, p, c, logmag, lv);
  avs_tensor *a = lv[c->down] ? avs_reshape(ctx, lv[c->down], 3, AVS_SHAPE(N, g.audio, lv[c->down]->shape[3])) : NULL;
  a = avs_unit_linear(ctx, p, "audio.proj", a);
  avs_tensor *prior = c->nmf ? avs_slice(ctx, logmag, 3, 1, 1 + c->nmf, 1) : NULL;
  if (mix_of) a = avs_rows(ctx, a, mix_of, (int)M);
  avs_tensor *v = video_tokens(ctx, p, c, &g, frames);
  avs_tensor *attn = NULL, *apos = avs_unit_param(p, "xattn.audio_pos"), *vpos = avs_unit_param(p, "xattn.visual_pos");
  if (apos && vpos) avs_layer_trace_add(ctx, "xattn.audio_pos+visual_pos", "embed", a, apos->numel + vpos->numel, 0);
  a = avs_unit_cross_block(ctx, p, "xattn", c->heads, a, apos, v, vpos, &attn);
  avs_tensor *h = a ? avs_reshape(ctx, a, 4, AVS_SHAPE(M, g.freq, g.time, c->dim)) : NULL;
  /* FiLM's input: the mean visual token (M, 1, dim) */
  avs_tensor *cond = c->film && v ? avs_matmul(ctx, whole_clip_weights(ctx, M, g.visual), v, false, false) : NULL;
  if (c->film && !cond) return avs_errcode() ? avs_errcode() : avs_seterr(AVS_EINVAL, "xattn: forward failed");
  avs_tensor *feat = audio_decoder(ctx, p, c, h, lv, mix_of, cond);
  if (!feat || !attn || (c->nmf && !prior))
    return avs_errcode() ? avs_errcode() : avs_seterr(AVS_EINVAL, "xattn: forward failed");
  *out = (avs_xattn_enc){.features = feat, .prior = prior, .mix_of = mix_of, .visual = v, .audio = a, .attn = attn};
  return AVS_OK;
}

int avs_xattn_encode(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, avs_tensor *logmag,
                     avs_tensor *frames, avs_xattn_enc *out) {
  return encode_sources(ctx, p, c, logmag, NULL, frames, out);
}

/* avs_xattn_masks, and the synthesizer's per-source kernels (N, S, K+nmf+1) into *kern when kern is not NULL. */
static avs_tensor *masks_and_kernels(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c,
                                     const avs_xattn_enc *enc, avs_tensor *w, avs_tensor **kern_out) {
  avs_xattn_grid g;
  if (!enc->features || !enc->visual || avs_xattn_grid_of(c, &g)) return NULL;
  int64_t N = enc->features->shape[0], K = c->mask_channels, C = c->nmf, FT = (int64_t)c->freq * c->time;
  if (!check_input("source weights", w, 3, AVS_SHAPE(N, w && w->ndim == 3 ? w->shape[1] : 0, g.visual))) return NULL;
  int64_t S = w->shape[1];
  /* v_s = sum over tokens of weight x token -> per-source channel weights and bias (N, S, K+C+1) */
  avs_tensor *kern = avs_unit_linear(ctx, p, "synth", avs_matmul(ctx, w, enc->visual, false, false));
  /* logit_s = [features, shares, 1] . kern_s at every (f, t), each part on its own: the shares are the
   * mixture's, one product for all the sources of a single mixture */
  avs_tensor *feat = avs_reshape(ctx, enc->features, 3, AVS_SHAPE(N, FT, K));
  avs_tensor *y = avs_matmul(ctx, avs_slice(ctx, kern, 2, 0, K, 1), feat, false, true);
  if (C && enc->prior && enc->prior->shape[0] == 1) {
    avs_tensor *kp = avs_reshape(ctx, avs_slice(ctx, kern, 2, K, K + C, 1), 3, AVS_SHAPE(1, N * S, C));
    avs_tensor *shares = avs_matmul(ctx, kp, avs_reshape(ctx, enc->prior, 3, AVS_SHAPE(1, FT, C)), false, true);
    y = avs_add(ctx, y, avs_reshape(ctx, shares, 3, AVS_SHAPE(N, S, FT)));
  } else if (C) {
    avs_tensor *prior = enc->mix_of ? avs_rows(ctx, enc->prior, enc->mix_of, N) : enc->prior;
    prior = avs_reshape(ctx, prior, 3, AVS_SHAPE(N, FT, C));
    y = avs_add(ctx, y, avs_matmul(ctx, avs_slice(ctx, kern, 2, K, K + C, 1), prior, false, true));
  }
  /* the bias, one per (sample, source) row */
  avs_tensor *bias = avs_reshape(ctx, avs_slice(ctx, kern, 2, K + C, K + C + 1, 1), 2, AVS_SHAPE(N * S, 1));
  y = avs_add(ctx, avs_reshape(ctx, y, 2, AVS_SHAPE(N * S, FT)), bias);
  if (y) avs_layer_trace_add(ctx, "synth.masks", "matmul", y, 0, y->numel * (K + C + 1));
  if (kern_out) *kern_out = kern;
  return y ? avs_reshape(ctx, y, 4, AVS_SHAPE(N, S, c->freq, c->time)) : NULL;
}

avs_tensor *avs_xattn_masks(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, const avs_xattn_enc *enc,
                            avs_tensor *w) {
  return masks_and_kernels(ctx, p, c, enc, w, NULL);
}

avs_tensor *avs_xattn_forward(avs_ctx *ctx, const avs_params *p, const avs_xattn_cfg *c, avs_tensor *logmag,
                              avs_tensor *frames, avs_tensor *source_weights) {
  avs_xattn_enc enc;
  return avs_xattn_encode(ctx, p, c, logmag, frames, &enc) ? NULL : avs_xattn_masks(ctx, p, c, &enc, source_weights);
}

/* ---- heatmaps and regions ---- */

avs_tensor *avs_xattn_heatmap(avs_ctx *ctx, const avs_xattn_cfg *c, const avs_xattn_enc *enc,
                              const avs_tensor *m) {
  avs_xattn_grid g;
  if (!enc->attn || avs_xattn_grid_of(c, &g)) return NULL;
  const avs_tensor *P = enc->attn;
  int64_t N = P->shape[0], H = P->shape[1], La = g.audio, Lv = g.visual;
  if (P->ndim != 4 || P->shape[2] != La || P->shape[3] != Lv) {
    avs_seterr(AVS_ESHAPE, "xattn: attention weights are not (N, heads, %d, %d)", g.audio, g.visual);
    return NULL;
  }
  if (m && !check_input("mask logits", m, 4, AVS_SHAPE(N, m->ndim == 4 ? m->shape[1] : 0, c->freq, c->time)))
    return NULL;
  int64_t S = m ? m->shape[1] : 1, cf = c->freq / g.freq, ct = c->time / g.time;
  avs_tensor *out = avs_ctx_zeros(ctx, 5, AVS_SHAPE(N, S, g.frames, g.height, g.width));
  float *wa = avs_ctx_alloc(ctx, sizeof(float) * La), *mean = avs_ctx_alloc(ctx, sizeof(float) * La * Lv);
  if (!out || !wa || !mean) return NULL;
  for (int64_t n = 0; n < N; n++) {
    memset(mean, 0, sizeof(float) * La * Lv); /* mean over heads (La, Lv) */
    for (int64_t h = 0; h < H; h++) {
      const float *ph = P->data + (n * H + h) * La * Lv;
      for (int64_t i = 0; i < La * Lv; i++) mean[i] += ph[i] / (float)H;
    }
    for (int64_t s = 0; s < S; s++) {
      double total = 0;
      for (int64_t a = 0; a < La; a++) { /* audio token a = (fa, ta): the mean sigmoid over its cell */
        double sum = 0;
        if (m) {
          const float *ms = m->data + (n * S + s) * c->freq * c->time;
          int64_t fa = a / g.time, ta = a % g.time;
          for (int64_t f = fa * cf; f < (fa + 1) * cf; f++)
            for (int64_t t = ta * ct; t < (ta + 1) * ct; t++) sum += 1.0 / (1.0 + exp(-(double)ms[f * c->time + t]));
        }
        wa[a] = m ? (float)(sum / (double)(cf * ct)) : 1.0f;
        total += wa[a];
      }
      float *o = out->data + (n * S + s) * Lv;
      for (int64_t a = 0; a < La; a++) {
        float k = (float)(wa[a] / total);
        for (int64_t v = 0; v < Lv; v++) o[v] += k * mean[a * Lv + v];
      }
    }
  }
  return out;
}

/* Length of [a, b] inside cell [c0, c0 + 1). */
static double overlap(double a, double b, double c0) { return fmax(0.0, fmin(b, c0 + 1) - fmax(a, c0)); }

/* The cell index holding coordinate x (grid units), clamped to the grid. */
static int cell_of(double x, int cells) { return x >= cells ? cells - 1 : (int)floor(x); }

int avs_xattn_region_weights(const avs_xattn_cfg *c, const float box[4], float *out) {
  avs_xattn_grid g;
  int rc = avs_xattn_grid_of(c, &g);
  if (rc) return rc;
  for (int i = 0; i < 4; i++)
    if (!(box[i] >= 0.0f && box[i] <= 1.0f))
      return avs_seterr(AVS_EINVAL, "xattn: box (%g, %g, %g, %g) is not inside [0, 1]", box[0], box[1], box[2], box[3]);
  if (box[2] < box[0] || box[3] < box[1])
    return avs_seterr(AVS_EINVAL, "xattn: box (%g, %g, %g, %g) has x1 < x0 or y1 < y0", box[0], box[1], box[2], box[3]);
  double x0 = box[0] * g.width, x1 = box[2] * g.width, y0 = box[1] * g.height, y1 = box[3] * g.height;
  int64_t cells = (int64_t)g.height * g.width;
  float *frame = out; /* the first frame's weights, then copied to every frame */
  double total = 0;
  for (int y = 0; y < g.height; y++)
    for (int x = 0; x < g.width; x++) total += frame[y * g.width + x] = (float)(overlap(x0, x1, x) * overlap(y0, y1, y));
  if (total <= 0) { /* no area: the cell of the centre */
    memset(frame, 0, sizeof(float) * cells);
    frame[cell_of(0.5 * (y0 + y1), g.height) * g.width + cell_of(0.5 * (x0 + x1), g.width)] = 1.0f;
    total = 1.0;
  }
  for (int64_t i = 0; i < cells; i++) frame[i] = (float)(frame[i] / (total * g.frames));
  for (int t = 1; t < g.frames; t++) memcpy(out + t * cells, frame, sizeof(float) * cells);
  return AVS_OK;
}

/* ---- the separation kind's descriptor (fusion/separation.h) ----
 * As a separation model each source is a clip of its own (its box crops): the
 * copy of its mixture's spectrogram attends to that clip's tokens, all of which
 * pool into the source's vector, and the decoder runs once per source. The
 * geometry and audio input are Sound of Pixels' (fusion/sop.h). */

static void xattn_geometry(const void *cfg, avs_sep_geometry *g) {
  const avs_xattn_cfg *c = cfg;
  avs_sep_sop_geometry(c->freq, c->time, c->frames, c->height, c->width, g);
  g->channels = 1 + c->nmf;
}

static int xattn_audio_input(const void *cfg, const float *mag, float *logmag) {
  const avs_xattn_cfg *c = cfg;
  return avs_sep_sop_logmag(c->freq, mag, c->time, logmag);
}

/* With nmf: the class shares (fusion/sep_nmf.h) are input channels 1..nmf. */
static int xattn_audio_prior(const avs_params *p, const void *cfg, const float *mag, int64_t frames, float *prior,
                             float *linear) {
  const avs_xattn_cfg *c = cfg;
  avs_sep_geometry g;
  xattn_geometry(cfg, &g);
  return avs_sep_nmf_prior(p, &g, "xattn", c->nmf, c->nmf_components, c->nmf_iters, mag, frames, prior, linear);
}

/* The logits are [features, shares, 1] . kernel: the kernels' share columns are the prior's weights. */
static avs_tensor *xattn_sep_forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *logmag,
                                     const int *mix_of, avs_tensor *crops, avs_tensor **prior_weights) {
  const avs_xattn_cfg *c = cfg;
  avs_xattn_grid g;
  avs_xattn_enc enc;
  if (avs_xattn_grid_of(c, &g) || encode_sources(ctx, p, c, logmag, mix_of, crops, &enc)) return NULL;
  int64_t m = crops->shape[0];
  avs_tensor *kern = NULL;
  avs_tensor *logits = masks_and_kernels(ctx, p, c, &enc, whole_clip_weights(ctx, m, g.visual), &kern);
  if (prior_weights && c->nmf && kern) {
    kern = avs_reshape(ctx, kern, 2, AVS_SHAPE(m, kern->shape[2]));
    if (!(*prior_weights = avs_slice(ctx, kern, 1, c->mask_channels, c->mask_channels + c->nmf, 1))) return NULL;
  }
  return logits ? avs_reshape(ctx, logits, 3, AVS_SHAPE(m, c->freq, c->time)) : NULL;
}

static const avs_sep_task xattn_task = {.geometry = xattn_geometry, .audio_input = xattn_audio_input,
                                        .audio_prior = xattn_audio_prior,
                                        .forward = xattn_sep_forward};

AVS_ARCH_DECLARE_GLUE(xattn, avs_xattn_cfg)
const avs_arch avs_arch_xattn = {
    .name = "xattn",
    .title = "cross-modal attention separation: U-Net audio tokens attend to 3-D CNN video tokens (the toolkit's own)",
    .kind = AVS_KIND_SEPARATION, .task = &xattn_task,
    AVS_ARCH_FIELDS(xattn, avs_xattn_cfg, xattn_default, xattn_hparams)};
