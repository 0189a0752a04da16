/* Audio-visual speech separation (see avspeech.h; docs/MODELS.md has the layer table). */
#include "fusion/avspeech.h"

#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/speech.h"
#include "nn/trace.h"
#include "nn/unit.h"

#define SP_MAX_SPEAKERS 8
#define SP_MAX_AUDIO_LAYERS 10 /* time dilation 512: far past any clip */
#define SP_MAX_CONVS 8         /* stride-2 convs of the visual and identity CNNs */
#define SP_TEMPORAL 2          /* visual.temporal: dilations 1, 2 */

static const avs_avspeech_cfg avspeech_default = {
    .speakers = 2, .fps = 16, .mouth_size = 48, .face_size = 64, .audio_channels = 48, .audio_layers = 4,
    .freq_dilation = 0, .audio_out = 8, .visual_front = 32, .visual_convs = 2, .visual_dim = 128, .face_width = 16,
    .face_convs = 4, .id_dim = 64, .fusion_dim = 256, .lstm_hidden = 200, .fc_dim = 600, .power = 0.3f,
    .mask_bound = 2.0f};

static const avs_hparam avspeech_hparams[] = {
    AVS_HP_RANGE("speakers", avs_avspeech_cfg, speakers, 1, SP_MAX_SPEAKERS, "speakers per mixture, one mask each (2)"),
    AVS_HP_RANGE("fps", avs_avspeech_cfg, fps, 1, 1000, "video frames per second of the mouth tracks (16)"),
    AVS_HP(avs_avspeech_cfg, mouth_size, AVS_HP_INT, "mouth crops M x M, grayscale (48)"),
    AVS_HP(avs_avspeech_cfg, face_size, AVS_HP_INT, "face crop Z x Z, grayscale (64)"),
    AVS_HP(avs_avspeech_cfg, audio_channels, AVS_HP_INT, "audio stream width (48)"),
    AVS_HP_RANGE("audio_layers", avs_avspeech_cfg, audio_layers, 0, SP_MAX_AUDIO_LAYERS,
                 "dilated 5x5 audio convs, time dilations 1, 2, 4, ... (4)"),
    AVS_HP_RANGE("freq_dilation", avs_avspeech_cfg, freq_dilation, 0, 1,
                 "1: the dilated audio convs dilate frequency as much as time (Looking to Listen); 0: time only (0)"),
    AVS_HP(avs_avspeech_cfg, audio_out, AVS_HP_INT, "audio channels per bin, flattened over the 257 bins (8)"),
    AVS_HP(avs_avspeech_cfg, visual_front, AVS_HP_INT, "3-D front end width (32)"),
    AVS_HP_RANGE("visual_convs", avs_avspeech_cfg, visual_convs, 0, SP_MAX_CONVS,
                 "per-frame stride-2 convs after the front end, each doubling the width (2)"),
    AVS_HP(avs_avspeech_cfg, visual_dim, AVS_HP_INT, "visual features per frame, temporal convs (128)"),
    AVS_HP(avs_avspeech_cfg, face_width, AVS_HP_INT, "identity CNN's first width (16)"),
    AVS_HP_RANGE("face_convs", avs_avspeech_cfg, face_convs, 1, SP_MAX_CONVS,
                 "identity CNN stride-2 convs, each doubling the width (4)"),
    AVS_HP(avs_avspeech_cfg, id_dim, AVS_HP_INT, "face identity embedding (64)"),
    AVS_HP(avs_avspeech_cfg, fusion_dim, AVS_HP_INT, "fused features per time step (256)"),
    AVS_HP(avs_avspeech_cfg, lstm_hidden, AVS_HP_INT, "BiLSTM hidden size per direction (200)"),
    AVS_HP(avs_avspeech_cfg, fc_dim, AVS_HP_INT, "width of fc1 and fc2 (600)"),
    AVS_HP(avs_avspeech_cfg, power, AVS_HP_FLOAT, "power-law compression of the input STFT, in (0, 1] (0.3)"),
    AVS_HP(avs_avspeech_cfg, mask_bound, AVS_HP_FLOAT, "each mask part is mask_bound tanh(.) (2)"),
};

avs_avspeech_cfg avs_avspeech_default_cfg(void) { return avspeech_default; }

const avs_hparam *avs_avspeech_hparams(int *n) {
  *n = (int)(sizeof avspeech_hparams / sizeof avspeech_hparams[0]);
  return avspeech_hparams;
}

static int check(const avs_avspeech_cfg *c) {
  if (c->speakers < 1 || c->speakers > SP_MAX_SPEAKERS || c->fps < 1)
    return avs_seterr(AVS_EINVAL, "avspeech: speakers %d (1..%d) and fps %d must be positive", c->speakers,
                      SP_MAX_SPEAKERS, c->fps);
  if (c->audio_layers < 0 || c->audio_layers > SP_MAX_AUDIO_LAYERS || c->visual_convs < 0 ||
      c->visual_convs > SP_MAX_CONVS || c->face_convs < 1 || c->face_convs > SP_MAX_CONVS)
    return avs_seterr(AVS_EINVAL, "avspeech: audio_layers %d (0..%d), visual_convs %d (0..%d), face_convs %d (1..%d)",
                      c->audio_layers, SP_MAX_AUDIO_LAYERS, c->visual_convs, SP_MAX_CONVS, c->face_convs, SP_MAX_CONVS);
  if (c->mouth_size < 1 || c->face_size < 1 || c->audio_channels < 1 || c->audio_out < 1 || c->visual_front < 1 ||
      c->visual_dim < 1 || c->face_width < 1 || c->id_dim < 1 || c->fusion_dim < 1 || c->lstm_hidden < 1 ||
      c->fc_dim < 1)
    return avs_seterr(AVS_EINVAL, "avspeech: every size must be positive (mouth_size %d, face_size %d, widths ...)",
                      c->mouth_size, c->face_size);
  if ((int64_t)c->visual_front << c->visual_convs > AVS_HP_INT_MAX ||
      (int64_t)c->face_width << (c->face_convs - 1) > AVS_HP_INT_MAX)
    return avs_seterr(AVS_EINVAL, "avspeech: visual_front %d x 2^%d or face_width %d x 2^%d is too wide",
                      c->visual_front, c->visual_convs, c->face_width, c->face_convs - 1);
  if (!(c->power > 0.0f && c->power <= 1.0f) || !(c->mask_bound > 0.0f && c->mask_bound <= 1e6f))
    return avs_seterr(AVS_EINVAL, "avspeech: power %g must lie in (0, 1] and mask_bound %g be positive", c->power,
                      c->mask_bound);
  return AVS_OK;
}

/* ---- the layer table ---- */

/* audio.layers.i: 1x7, 7x1, the dilated 5x5s, then the 1x1 to audio_out. */
static int audio_count(const avs_avspeech_cfg *c) { return c->audio_layers + 3; }

static avs_conv_spec audio_spec(const avs_avspeech_cfg *c, int i) {
  int a = c->audio_channels;
  if (i == 0) return (avs_conv_spec){2, 2, a, {1, 7}, {1, 1}, {0, 3}, false, {0}};
  if (i == 1) return (avs_conv_spec){2, a, a, {7, 1}, {1, 1}, {3, 0}, false, {0}};
  if (i == audio_count(c) - 1) return (avs_conv_spec){2, a, c->audio_out, {1, 1}, {1, 1}, {0, 0}, false, {0}};
  int d = 1 << (i - 2), f = c->freq_dilation ? d : 1;
  return (avs_conv_spec){2, a, a, {5, 5}, {1, 1}, {2 * d, 2 * f}, false, {d, f}};
}

static avs_conv_spec front_spec(const avs_avspeech_cfg *c) {
  return (avs_conv_spec){3, 1, c->visual_front, {5, 7, 7}, {1, 2, 2}, {2, 3, 3}, false, {0}};
}

static const avs_pool front_pool = {.kernel = {1, 3, 3}, .stride = {1, 2, 2}, .pad = {0, 1, 1}};

/* visual.convs.j: 3x3 /2, visual_front 2^j -> 2^(j+1). */
static avs_conv_spec vconv_spec(const avs_avspeech_cfg *c, int j) {
  return (avs_conv_spec){2, c->visual_front << j, c->visual_front << (j + 1), {3, 3}, {2, 2}, {1, 1}, false, {0}};
}

/* visual.temporal.k: conv1d kernel 3, dilation 2^k, same length. */
static avs_conv_spec temporal_spec(const avs_avspeech_cfg *c, int k) {
  int d = 1 << k, in = k ? c->visual_dim : c->visual_front << c->visual_convs;
  return (avs_conv_spec){1, in, c->visual_dim, {3}, {1}, {d}, false, {d}};
}

/* identity.convs.j: 3x3 /2, 1 -> face_width -> 2 face_width -> ... */
static avs_conv_spec iconv_spec(const avs_avspeech_cfg *c, int j) {
  return (avs_conv_spec){2, j ? c->face_width << (j - 1) : 1, c->face_width << j, {3, 3}, {2, 2}, {1, 1}, false, {0}};
}

static int fused_width(const avs_avspeech_cfg *c) {
  return AVS_SPEECH_BINS * c->audio_out + c->speakers * (c->visual_dim + c->id_dim);
}

/* "<prefix>.<i>.conv" and "<prefix>.<i>.bn" ("<prefix>.conv", ".bn" for i < 0) into n and b. */
static void unit_names(char *n, char *b, const char *prefix, int i) {
  char at[AVS_NAME_MAX];
  if (i < 0) avs_unit_name(at, "%s", prefix);
  else avs_unit_name(at, "%s.%d", prefix, i);
  avs_unit_name(n, "%s.conv", at), avs_unit_name(b, "%s.bn", at);
}

static int declare_unit(avs_params *p, const char *prefix, int i, const avs_conv_spec *s) {
  char n[AVS_NAME_MAX], b[AVS_NAME_MAX];
  unit_names(n, b, prefix, i);
  return avs_unit_declare(p, n, b, s);
}

static int declare_lstm(avs_params *p, int in, int h) {
  static const char *const dirs[2] = {"", "_reverse"};
  char n[AVS_NAME_MAX];
  for (int d = 0; d < 2; d++)
    if (!avs_params_add(p, avs_unit_name(n, "lstm.weight_ih_l0%s", dirs[d]), 2, AVS_SHAPE(4 * h, in)) ||
        !avs_params_add(p, avs_unit_name(n, "lstm.weight_hh_l0%s", dirs[d]), 2, AVS_SHAPE(4 * h, h)) ||
        !avs_params_add(p, avs_unit_name(n, "lstm.bias_ih_l0%s", dirs[d]), 1, AVS_SHAPE(4 * h)) ||
        !avs_params_add(p, avs_unit_name(n, "lstm.bias_hh_l0%s", dirs[d]), 1, AVS_SHAPE(4 * h)))
      return avs_errcode();
  return AVS_OK;
}

int avs_avspeech_declare(avs_params *p, const avs_avspeech_cfg *c) {
  int rc = check(c);
  for (int i = 0; !rc && i < audio_count(c); i++) {
    avs_conv_spec s = audio_spec(c, i);
    rc = declare_unit(p, "audio.layers", i, &s);
  }
  avs_conv_spec s = front_spec(c);
  if (!rc) rc = declare_unit(p, "visual.front", -1, &s);
  for (int j = 0; !rc && j < c->visual_convs; j++) {
    s = vconv_spec(c, j);
    rc = declare_unit(p, "visual.convs", j, &s);
  }
  for (int k = 0; !rc && k < SP_TEMPORAL; k++) {
    s = temporal_spec(c, k);
    rc = declare_unit(p, "visual.temporal", k, &s);
  }
  for (int j = 0; !rc && j < c->face_convs; j++) {
    s = iconv_spec(c, j);
    rc = declare_unit(p, "identity.convs", j, &s);
  }
  if (!rc) rc = avs_unit_declare_linear(p, "identity.proj", c->face_width << (c->face_convs - 1), c->id_dim);
  if (!rc) rc = avs_unit_declare_linear(p, "fusion", fused_width(c), c->fusion_dim);
  if (!rc) rc = declare_lstm(p, c->fusion_dim, c->lstm_hidden);
  if (!rc) rc = avs_unit_declare_linear(p, "fc1", 2 * c->lstm_hidden, c->fc_dim);
  if (!rc) rc = avs_unit_declare_linear(p, "fc2", c->fc_dim, c->fc_dim);
  if (!rc) rc = avs_unit_declare_linear(p, "mask", c->fc_dim, c->speakers * AVS_SPEECH_BINS * 2);
  return rc;
}

/* ---- forward ---- */

/* conv, BN, ReLU of the unit declare_unit declared. */
static avs_tensor *unit(avs_ctx *ctx, const avs_params *p, const char *prefix, int i, const avs_conv_spec *s,
                        avs_tensor *x) {
  char n[AVS_NAME_MAX], b[AVS_NAME_MAX];
  unit_names(n, b, prefix, i);
  return avs_unit_forward(ctx, p, n, b, s, x, true);
}

static bool fits(const char *what, const avs_tensor *x, int ndim, const int64_t *want) {
  char a[96], b[96];
  if (!x) return avs_seterr(AVS_EINVAL, "avspeech: no %s", what), false;
  if (x->ndim == ndim && !memcmp(x->shape, want, sizeof(int64_t) * ndim)) return true;
  avs_seterr(AVS_ESHAPE, "avspeech: %s %s, expected %s", what, avs_shape_str(x->ndim, x->shape, a, sizeof a),
             avs_shape_str(ndim, want, b, sizeof b));
  return false;
}

avs_tensor *avs_avspeech_audio(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *c, avs_tensor *x) {
  for (int i = 0; i < audio_count(c) && x; i++) {
    avs_conv_spec s = audio_spec(c, i);
    x = unit(ctx, p, "audio.layers", i, &s, x);
  }
  return x ? avs_reshape(ctx, x, 3, AVS_SHAPE(x->shape[0], x->shape[1], AVS_SPEECH_BINS * c->audio_out)) : NULL;
}

avs_tensor *avs_avspeech_visual(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *c, avs_tensor *x) {
  if (!x) return NULL;
  int64_t b = x->shape[0], v = x->shape[1];
  avs_conv_spec s = front_spec(c);
  x = avs_unit_max_pool(ctx, "visual.pool", 3, unit(ctx, p, "visual.front", -1, &s, x), front_pool);
  x = x ? avs_reshape(ctx, x, 4, AVS_SHAPE(b * v, x->shape[2], x->shape[3], x->shape[4])) : NULL;
  for (int j = 0; j < c->visual_convs && x; j++) {
    s = vconv_spec(c, j);
    x = unit(ctx, p, "visual.convs", j, &s, x);
  }
  x = x ? avs_adaptive_avg_pool2d(ctx, x, 1, 1) : NULL;
  x = x ? avs_reshape(ctx, x, 3, AVS_SHAPE(b, v, x->shape[3])) : NULL;
  for (int k = 0; k < SP_TEMPORAL && x; k++) {
    s = temporal_spec(c, k);
    x = unit(ctx, p, "visual.temporal", k, &s, x);
  }
  return x;
}

avs_tensor *avs_avspeech_identity(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *c, avs_tensor *x) {
  for (int j = 0; j < c->face_convs && x; j++) {
    avs_conv_spec s = iconv_spec(c, j);
    x = unit(ctx, p, "identity.convs", j, &s, x);
  }
  x = x ? avs_adaptive_avg_pool2d(ctx, x, 1, 1) : NULL;
  x = x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], x->shape[3])) : NULL;
  return avs_unit_linear(ctx, p, "identity.proj", x);
}

/* Per speaker (B rows) the visual features at the T STFT frames and the identity
 * tiled over them: (B, V, Dv) and (B, Di) -> (B, T, Dv + Di). Both by a product with a
 * constant matrix (one-hot rows of speech.h's v(t), a column of ones): exact copies,
 * differentiable. */
static avs_tensor *speaker_rows(avs_ctx *ctx, const avs_avspeech_cfg *c, avs_tensor *vis, avs_tensor *id, int64_t t) {
  if (!vis || !id) return NULL;
  int64_t b = vis->shape[0], v = vis->shape[1];
  avs_tensor *pick = avs_ctx_zeros(ctx, 3, AVS_SHAPE(b, t, v)), *ones = avs_ctx_tensor(ctx, 3, AVS_SHAPE(b, t, 1));
  if (!pick || !ones) return NULL;
  for (int64_t r = 0; r < b; r++)
    for (int64_t i = 0; i < t; i++) pick->data[(r * t + i) * v + avs_speech_video_frame(i, c->fps, v)] = 1.0f;
  for (int64_t i = 0; i < ones->numel; i++) ones->data[i] = 1.0f;
  avs_tensor *vt = avs_matmul(ctx, pick, vis, false, false);
  avs_tensor *it = avs_matmul(ctx, ones, avs_reshape(ctx, id, 3, AVS_SHAPE(b, 1, id->shape[1])), false, false);
  return avs_concat(ctx, 2, (avs_tensor *[]){vt, it}, 2);
}

static avs_tensor *bilstm(avs_ctx *ctx, const avs_params *p, avs_tensor *x) {
  avs_lstm_w w = {.w_ih = avs_unit_param(p, "lstm.weight_ih_l0"), .w_hh = avs_unit_param(p, "lstm.weight_hh_l0"),
                  .b_ih = avs_unit_param(p, "lstm.bias_ih_l0"), .b_hh = avs_unit_param(p, "lstm.bias_hh_l0"),
                  .w_ih_rev = avs_unit_param(p, "lstm.weight_ih_l0_reverse"),
                  .w_hh_rev = avs_unit_param(p, "lstm.weight_hh_l0_reverse"),
                  .b_ih_rev = avs_unit_param(p, "lstm.bias_ih_l0_reverse"),
                  .b_hh_rev = avs_unit_param(p, "lstm.bias_hh_l0_reverse"), .bidirectional = true};
  if (!x || !w.w_ih || !w.w_hh || !w.b_ih || !w.b_hh || !w.w_ih_rev || !w.w_hh_rev || !w.b_ih_rev || !w.b_hh_rev)
    return NULL;
  avs_tensor *h = avs_lstm(ctx, x, &w);
  if (h) /* trace row: per step and direction, 4 gates of (in + hidden) inputs */
    avs_layer_trace_add(ctx, "lstm", "bilstm", h,
                        2 * (w.w_ih->numel + w.w_hh->numel + w.b_ih->numel + w.b_hh->numel),
                        2 * x->shape[0] * x->shape[1] * (w.w_ih->numel + w.w_hh->numel));
  return h;
}

avs_tensor *avs_avspeech_forward(avs_ctx *ctx, const avs_params *p, const avs_avspeech_cfg *c, avs_tensor *spec,
                                 avs_tensor *mouths, avs_tensor *faces) {
  if (check(c)) return NULL;
  int64_t n = spec ? spec->shape[0] : 0, t = spec && spec->ndim > 1 ? spec->shape[1] : 0, S = c->speakers;
  int64_t v = mouths && mouths->ndim > 1 ? mouths->shape[1] : 0, F = AVS_SPEECH_BINS;
  if (!fits("mixture STFT", spec, 4, AVS_SHAPE(n, t, F, 2)) ||
      !fits("mouth crops", mouths, 5, AVS_SHAPE(n * S, v, c->mouth_size, c->mouth_size, 1)) ||
      !fits("face crops", faces, 4, AVS_SHAPE(n * S, c->face_size, c->face_size, 1)))
    return NULL;
  if (n < 1 || t < 1 || v < 1) {
    avs_seterr(AVS_ESHAPE, "avspeech: empty input (%lld mixtures, %lld STFT frames, %lld video frames)", (long long)n,
               (long long)t, (long long)v);
    return NULL;
  }
  avs_tensor *cspec = avs_ctx_tensor(ctx, 4, spec->shape);
  if (!cspec) return NULL;
  avs_speech_compress(spec->data, spec->numel / 2, c->power, cspec->data);
  avs_tensor *audio = avs_avspeech_audio(ctx, p, c, cspec);
  avs_tensor *vis = avs_avspeech_visual(ctx, p, c, mouths); /* before identity: the layer trace's order */
  avs_tensor *sp = speaker_rows(ctx, c, vis, avs_avspeech_identity(ctx, p, c, faces), t);
  int64_t d = c->visual_dim + c->id_dim;
  sp = sp ? avs_permute(ctx, avs_reshape(ctx, sp, 4, AVS_SHAPE(n, S, t, d)), (const int[]){0, 2, 1, 3}) : NULL;
  sp = sp ? avs_reshape(ctx, sp, 3, AVS_SHAPE(n, t, S * d)) : NULL;
  avs_tensor *x = audio && sp ? avs_concat(ctx, 2, (avs_tensor *[]){audio, sp}, 2) : NULL;
  x = avs_relu(ctx, avs_unit_linear(ctx, p, "fusion", x));
  x = bilstm(ctx, p, x);
  x = avs_relu(ctx, avs_unit_linear(ctx, p, "fc1", x));
  x = avs_relu(ctx, avs_unit_linear(ctx, p, "fc2", x));
  x = avs_scale(ctx, avs_tanh(ctx, avs_unit_linear(ctx, p, "mask", x)), c->mask_bound);
  x = x ? avs_reshape(ctx, x, 5, AVS_SHAPE(n, t, S, F, 2)) : NULL;
  return x ? avs_permute(ctx, x, (const int[]){0, 2, 1, 3, 4}) : NULL;
}

/* ---- the speech kind's descriptor (fusion/speech.h) ---- */

static void avspeech_geometry(const void *cfg, avs_speech_geometry *g) {
  const avs_avspeech_cfg *c = cfg;
  *g = (avs_speech_geometry){.speakers = c->speakers, .fps = c->fps, .mouth_size = c->mouth_size,
                             .face_size = c->face_size};
}

static avs_tensor *avspeech_task_forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *spec,
                                         avs_tensor *mouths, avs_tensor *faces) {
  return avs_avspeech_forward(ctx, p, cfg, spec, mouths, faces);
}

static const avs_speech_task avspeech_task = {.geometry = avspeech_geometry, .forward = avspeech_task_forward};

AVS_ARCH_DECLARE_GLUE(avspeech, avs_avspeech_cfg)
const avs_arch avs_arch_avspeech = {
    .name = "avspeech",
    .title = "audio-visual speech separation: dilated-conv audio, lip 3-D/2-D CNN, face identity, BiLSTM, "
             "complex masks (Looking to Listen / VisualVoice style)",
    .kind = AVS_KIND_SPEECH, .task = &avspeech_task,
    AVS_ARCH_FIELDS(avspeech, avs_avspeech_cfg, avspeech_default, avspeech_hparams)};
