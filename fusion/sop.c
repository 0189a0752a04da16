/* Sound of Pixels: configuration, tensor table, input and the whole model
 * (see sop.h; the three nets in sop_sound.c, sop_frame.c, sop_synth.c). */
#include <math.h>
#include <stdlib.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/separation.h"
#include "fusion/sop.h"

#define SOP_MAX_DOWNS 12 /* 4096 bins or frames at least: far past any spectrogram it is given */

static const avs_sop_cfg sop_default = {.ngf = 64, .num_downs = 7, .channels = 32, .frame_width = 64,
                                        .frames = 3, .height = 224, .width = 224, .freq = 256, .time = 256};

static const avs_hparam sop_hparams[] = {
    AVS_HP(avs_sop_cfg, ngf, AVS_HP_INT, "U-Net width: its levels have 1, 2, 4, 8, 8, ... x ngf channels (64)"),
    AVS_HP(avs_sop_cfg, num_downs, AVS_HP_INT, "U-Net levels, each halving frequency and time (7; at least 5)"),
    AVS_HP(avs_sop_cfg, channels, AVS_HP_INT, "K: sound feature maps = visual features = synthesizer scales (32)"),
    AVS_HP(avs_sop_cfg, frame_width, AVS_HP_INT, "ResNet-18 width: conv1 and layer1 (64); layer2-4 2x, 4x, 8x"),
    AVS_HP(avs_sop_cfg, frames, AVS_HP_INT, "video frames per clip (T, 3)"),
    AVS_HP(avs_sop_cfg, height, AVS_HP_INT, "frame height (224)"),
    AVS_HP(avs_sop_cfg, width, AVS_HP_INT, "frame width (224)"),
    AVS_HP(avs_sop_cfg, freq, AVS_HP_INT, "log-frequency bins the 512 STFT bins are warped to (256)"),
    AVS_HP(avs_sop_cfg, time, AVS_HP_INT, "STFT frames per clip (256: 65535 samples, hop 256)"),
};

void avs_sop_cfg_default(avs_sop_cfg *cfg) { *cfg = sop_default; }

const avs_hparam *avs_sop_hparams(int *n) {
  *n = (int)(sizeof sop_hparams / sizeof sop_hparams[0]);
  return sop_hparams;
}

static int check(const avs_sop_cfg *c) {
  if (c->num_downs < 5 || c->num_downs > SOP_MAX_DOWNS)
    return avs_seterr(AVS_EINVAL, "sop: num_downs %d is outside [5, %d] (the reference's U-Net has 5 levels at least)",
                      c->num_downs, SOP_MAX_DOWNS);
  if (c->ngf < 1 || c->channels < 1 || c->frame_width < 1)
    return avs_seterr(AVS_EINVAL, "sop: ngf %d, channels %d and frame_width %d must be positive", c->ngf,
                      c->channels, c->frame_width);
  if (c->frames < 1 || c->height < 1 || c->width < 1)
    return avs_seterr(AVS_EINVAL, "sop: bad frame size %d x %d x %d", c->frames, c->height, c->width);
  int unit = 1 << c->num_downs;
  if (c->freq < unit || c->time < unit || c->freq % unit || c->time % unit)
    return avs_seterr(AVS_EINVAL, "sop: freq %d and time %d must be multiples of 2^num_downs = %d", c->freq,
                      c->time, unit);
  return AVS_OK;
}

int avs_sop_declare(avs_params *p, const avs_sop_cfg *cfg) {
  int rc = check(cfg);
  if (!rc) rc = avs_sop_sound_declare(p, cfg);
  if (!rc) rc = avs_sop_frame_declare(p, cfg);
  return rc ? rc : avs_sop_synth_declare(p, cfg);
}

int avs_sop_logmag(const avs_sop_cfg *cfg, const float *mag, int64_t frames, float *logmag) {
  return avs_sep_sop_logmag(cfg->freq, mag, frames, logmag);
}

avs_tensor *avs_sop_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *logmag,
                            avs_tensor *frames) {
  avs_tensor *feats = avs_sop_sound_forward(ctx, p, cfg, logmag);
  return avs_sigmoid(ctx, avs_sop_synth_forward(ctx, p, cfg, feats, avs_sop_frame_forward(ctx, p, cfg, frames)));
}

avs_tensor *avs_sop_forward_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *logmag,
                                   avs_tensor *frames) {
  avs_tensor *feats = avs_sop_sound_forward(ctx, p, cfg, logmag);
  return avs_sigmoid(ctx, avs_sop_synth_pixels(ctx, p, cfg, feats, avs_sop_frame_pixels(ctx, p, cfg, frames)));
}

/* ---- the separation kind's descriptor (fusion/separation.h) ---- */

static void sop_geometry(const void *cfg, avs_sep_geometry *g) {
  const avs_sop_cfg *c = cfg;
  avs_sep_sop_geometry(c->freq, c->time, c->frames, c->height, c->width, g);
}

static int sop_audio_input(const void *cfg, const float *mag, float *logmag) {
  const avs_sop_cfg *c = cfg;
  return avs_sop_logmag(c, mag, c->time, logmag);
}

static avs_tensor *sop_audio(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *logmag) {
  return avs_sop_sound_forward(ctx, p, cfg, logmag);
}

static avs_tensor *sop_visual(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *crops) {
  return avs_sop_frame_forward(ctx, p, cfg, crops);
}

static avs_tensor *sop_masks(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *feats, avs_tensor *vis) {
  return avs_sop_synth_forward(ctx, p, cfg, feats, vis);
}

static const avs_sep_task sop_task = {.geometry = sop_geometry, .audio_input = sop_audio_input, .audio = sop_audio,
                                      .visual = sop_visual, .masks = sop_masks};

AVS_ARCH_DECLARE_GLUE(sop, avs_sop_cfg)
const avs_arch avs_arch_sop = {
    .name = "sop", .title = "Sound of Pixels: U-Net sound net, dilated ResNet-18 frame net, synthesizer (Zhao et al., ECCV 2018)",
    .kind = AVS_KIND_SEPARATION, .task = &sop_task,
    AVS_ARCH_FIELDS(sop, avs_sop_cfg, sop_default, sop_hparams)};
