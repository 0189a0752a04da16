/* Co-Separation: configuration, tensor table, the whole separator and the
 * separation kind's descriptor (see cosep.h; the nets in cosep_resnet.c and
 * cosep_unet.c, the losses in cosep_loss.c). */
#include "fusion/cosep.h"

#include "av/ops.h"
#include "av/status.h"
#include "fusion/sep_nmf.h"
#include "fusion/separation.h"
#include "nn/unit.h"

#define GATE "audio.nmf.gate" /* prior_gate's linear map: visual vector -> a weight per NMF class */

static const avs_cosep_cfg cosep_default = {.ngf = 64, .downs = 7, .visual_width = 64, .conv1x1 = false,
                                            .visual_dim = 512, .crop = 224, .classes = 15, .classifier_width = 64,
                                            .freq = 256, .time = 256, .nmf = 0, .nmf_components = 20,
                                            .nmf_iters = AVS_SEP_NMF_ITERS, .prior_gate = false};

static const avs_hparam cosep_hparams[] = {
    AVS_HP(avs_cosep_cfg, ngf, AVS_HP_INT, "U-Net width: its levels have 1, 2, 4, 8, 8, ... x ngf channels (64)"),
    AVS_HP_RANGE("downs", avs_cosep_cfg, downs, 1, AVS_COSEP_MAX_DOWNS,
                 "U-Net levels, each halving frequency and time (7; the reference's other is 5)"),
    AVS_HP(avs_cosep_cfg, visual_width, AVS_HP_INT, "visual ResNet-18 width: conv1 and layer1 (64), 8x features"),
    AVS_HP(avs_cosep_cfg, conv1x1, AVS_HP_BOOL,
           "visual pooling: false adaptive max pool, true 1x1 conv + BN + ReLU + fc (false)"),
    AVS_HP(avs_cosep_cfg, visual_dim, AVS_HP_INT, "the conv1x1 pooling's fc output (512)"),
    AVS_HP(avs_cosep_cfg, crop, AVS_HP_INT, "object crop height and width (224)"),
    AVS_HP(avs_cosep_cfg, classes, AVS_HP_INT, "object classes of the consistency classifier (15)"),
    AVS_HP(avs_cosep_cfg, classifier_width, AVS_HP_INT, "classifier ResNet-18 width (64)"),
    AVS_HP(avs_cosep_cfg, freq, AVS_HP_INT, "log-frequency rows the 512 STFT bins are warped to (256)"),
    AVS_HP(avs_cosep_cfg, time, AVS_HP_INT, "STFT frames per clip (256: 65535 samples, hop 256)"),
    AVS_SEP_NMF_HPARAMS(avs_cosep_cfg),
    AVS_HP(avs_cosep_cfg, prior_gate, AVS_HP_BOOL,
           "with nmf: the visual vector weighs the NMF share logits into the mask logits, as xattn's synthesizer "
           "(not the paper's; false)"),
};

void avs_cosep_cfg_default(avs_cosep_cfg *cfg) { *cfg = cosep_default; }

const avs_hparam *avs_cosep_hparams(int *n) {
  *n = (int)(sizeof cosep_hparams / sizeof cosep_hparams[0]);
  return cosep_hparams;
}

int avs_cosep_visual_dim(const avs_cosep_cfg *c) { return c->conv1x1 ? c->visual_dim : 8 * c->visual_width; }

static int check(const avs_cosep_cfg *c) {
  if (c->downs < 1 || c->downs > AVS_COSEP_MAX_DOWNS)
    return avs_seterr(AVS_EINVAL, "cosep: downs %d is outside [1, %d]", c->downs, AVS_COSEP_MAX_DOWNS);
  if (c->ngf < 1 || c->visual_width < 1 || c->visual_dim < 1 || c->classifier_width < 1 || c->classes < 1)
    return avs_seterr(AVS_EINVAL, "cosep: ngf %d, visual_width %d, visual_dim %d, classifier_width %d and "
                      "classes %d must be positive", c->ngf, c->visual_width, c->visual_dim, c->classifier_width,
                      c->classes);
  if (c->crop < 1) return avs_seterr(AVS_EINVAL, "cosep: crop %d must be positive", c->crop);
  int unit = 1 << c->downs;
  if (c->freq < unit || c->time < unit || c->freq % unit || c->time % unit)
    return avs_seterr(AVS_EINVAL, "cosep: freq %d and time %d must be multiples of 2^downs = %d", c->freq, c->time,
                      unit);
  if (c->prior_gate && !c->nmf) return avs_seterr(AVS_EINVAL, "cosep: prior_gate needs the NMF prior (nmf > 0)");
  return avs_sep_nmf_check("cosep", c->nmf, c->nmf_components, c->nmf_iters);
}

int avs_cosep_declare(avs_params *p, const avs_cosep_cfg *cfg) {
  int rc = check(cfg);
  if (!rc) rc = avs_cosep_visual_declare(p, cfg);
  if (!rc) rc = avs_cosep_unet_declare(p, cfg);
  if (!rc) rc = avs_cosep_classifier_declare(p, cfg);
  if (!rc) rc = avs_sep_nmf_declare(p, cfg->nmf, cfg->nmf_components);
  return rc || !cfg->prior_gate ? rc : avs_unit_declare_linear(p, GATE, avs_cosep_visual_dim(cfg), cfg->nmf);
}

avs_tensor *avs_cosep_logits(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *c, avs_tensor *logmag,
                             const int *mix_of, avs_tensor *vis, avs_tensor **gate) {
  if (gate) *gate = NULL;
  avs_tensor *y = avs_cosep_unet(ctx, p, c, logmag, mix_of, vis);
  if (!y || !c->prior_gate) return y;
  /* logit += shares (N, F T, C) . weights (N, C): one product per object. The weights are a
   * softmax over the classes: a class's NMF mask at most, whatever the visual vector's scale
   * (a linear map's weights, stepped by Adam, saturate the sigmoid within an epoch). */
  int64_t n = y->shape[0], ft = y->shape[1] * y->shape[2];
  avs_tensor *w = avs_softmax(ctx, avs_unit_linear(ctx, p, GATE, vis));
  avs_tensor *own = mix_of ? avs_rows(ctx, logmag, mix_of, n) : logmag; /* each object's mixture */
  avs_tensor *shares = avs_reshape(ctx, avs_slice(ctx, own, 3, 1, 1 + c->nmf, 1), 3, AVS_SHAPE(n, ft, c->nmf));
  avs_tensor *picked = avs_matmul(ctx, avs_reshape(ctx, w, 3, AVS_SHAPE(n, 1, c->nmf)), shares, false, true);
  if (gate) *gate = w;
  return avs_add(ctx, y, avs_reshape(ctx, picked, 3, y->shape));
}

avs_tensor *avs_cosep_masks(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *cfg, avs_tensor *logmag,
                            const int *mix_of, avs_tensor *crops) {
  return avs_sigmoid(ctx, avs_cosep_logits(ctx, p, cfg, logmag, mix_of, avs_cosep_visual(ctx, p, cfg, crops), NULL));
}

/* ---- the separation kind's descriptor (fusion/separation.h) ---- */

static void cosep_geometry(const void *cfg, avs_sep_geometry *g) {
  const avs_cosep_cfg *c = cfg;
  avs_sep_sop_geometry(c->freq, c->time, 1, c->crop, c->crop, g);
  g->channels = 1 + c->nmf;
}

static int cosep_audio_input(const void *cfg, const float *mag, float *logmag) {
  const avs_cosep_cfg *c = cfg;
  return avs_sep_sop_logmag(c->freq, mag, c->time, logmag);
}

static int cosep_audio_prior(const avs_params *p, const void *cfg, const float *mag, int64_t frames, float *prior,
                             float *linear) {
  const avs_cosep_cfg *c = cfg;
  avs_sep_geometry g;
  cosep_geometry(cfg, &g);
  return avs_sep_nmf_prior(p, &g, "cosep", c->nmf, c->nmf_components, c->nmf_iters, mag, frames, prior, linear);
}

/* The visual vector enters the U-Net's bottleneck: the encoder once per mixture, the decoder once
 * per object, crops (M, 1, crop, crop, 3). With prior_gate the logits are the U-Net's plus the
 * shares weighed by the gate: those weights are the prior's (avs_sep_linear_logits). */
static avs_tensor *cosep_forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *logmag,
                                 const int *mix_of, avs_tensor *crops, avs_tensor **prior_weights) {
  const avs_cosep_cfg *c = cfg;
  if (!crops) return NULL;
  if (crops->ndim != 5 || crops->shape[1] != 1) {
    char got[64];
    avs_seterr(AVS_ESHAPE, "cosep takes one crop per object (M, 1, H, W, 3), got %s",
               avs_shape_str(crops->ndim, crops->shape, got, sizeof got));
    return NULL;
  }
  avs_tensor *x = avs_reshape(ctx, crops, 4, AVS_SHAPE(crops->shape[0], crops->shape[2], crops->shape[3], 3));
  return avs_cosep_logits(ctx, p, c, logmag, mix_of, avs_cosep_visual(ctx, p, c, x), prior_weights);
}

static const avs_sep_task cosep_task = {.geometry = cosep_geometry, .audio_input = cosep_audio_input,
                                        .audio_prior = cosep_audio_prior, .forward = cosep_forward};

AVS_ARCH_DECLARE_GLUE(cosep, avs_cosep_cfg)
const avs_arch avs_arch_cosep = {
    .name = "cosep",
    .title = "Co-Separation: object-crop ResNet-18, audio-visual U-Net, object classifier (Gao & Grauman, ICCV 2019)",
    .kind = AVS_KIND_SEPARATION, .task = &cosep_task,
    AVS_ARCH_FIELDS(cosep, avs_cosep_cfg, cosep_default, cosep_hparams)};
