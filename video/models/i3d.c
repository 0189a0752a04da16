/* I3D (Inception-v1 inflated), as piergiaj/pytorch-i3d: see i3d.h. The layer
 * table below is the paper's Figure 3; declare and forward both walk it. */
#include "video/models/i3d.h"

#include <math.h>
#include <stdio.h>

#include "av/status.h"
#include "nn/fold.h"
#include "nn/trace.h"
#include "nn/unit.h"

#define I3D_BN_EPS 1e-3f
#define I3D_BN_MOMENTUM 0.01f

enum { L_UNIT, L_POOL, L_MIXED };

typedef struct {
  int kind;
  const char *name;
  int k[3], s[3]; /* unit and pool: kernel, stride */
  int out[6];     /* unit: out[0]; mixed: b0, b1a, b1b, b2a, b2b, b3b */
} i3d_layer;

static const i3d_layer i3d_layers[] = {
    {L_UNIT, "Conv3d_1a_7x7", {7, 7, 7}, {2, 2, 2}, {64}},
    {L_POOL, "MaxPool3d_2a_3x3", {1, 3, 3}, {1, 2, 2}, {0}},
    {L_UNIT, "Conv3d_2b_1x1", {1, 1, 1}, {1, 1, 1}, {64}},
    {L_UNIT, "Conv3d_2c_3x3", {3, 3, 3}, {1, 1, 1}, {192}},
    {L_POOL, "MaxPool3d_3a_3x3", {1, 3, 3}, {1, 2, 2}, {0}},
    {L_MIXED, "Mixed_3b", {0}, {0}, {64, 96, 128, 16, 32, 32}},
    {L_MIXED, "Mixed_3c", {0}, {0}, {128, 128, 192, 32, 96, 64}},
    {L_POOL, "MaxPool3d_4a_3x3", {3, 3, 3}, {2, 2, 2}, {0}},
    {L_MIXED, "Mixed_4b", {0}, {0}, {192, 96, 208, 16, 48, 64}},
    {L_MIXED, "Mixed_4c", {0}, {0}, {160, 112, 224, 24, 64, 64}},
    {L_MIXED, "Mixed_4d", {0}, {0}, {128, 128, 256, 24, 64, 64}},
    {L_MIXED, "Mixed_4e", {0}, {0}, {112, 144, 288, 32, 64, 64}},
    {L_MIXED, "Mixed_4f", {0}, {0}, {256, 160, 320, 32, 128, 128}},
    {L_POOL, "MaxPool3d_5a_2x2", {2, 2, 2}, {2, 2, 2}, {0}},
    {L_MIXED, "Mixed_5b", {0}, {0}, {256, 160, 320, 32, 128, 128}},
    {L_MIXED, "Mixed_5c", {0}, {0}, {384, 192, 384, 48, 128, 128}},
};
#define N_LAYERS ((int)(sizeof i3d_layers / sizeof i3d_layers[0]))

/* The branch units of a Mixed module: name, input (-1: the module's input,
 * else the unit whose out[] index feeds it), out[] index, cubic kernel size. */
static const struct {
  const char *name;
  int from, out, k;
} mixed_units[] = {
    {"b0", -1, 0, 1}, {"b1a", -1, 1, 1}, {"b1b", 1, 2, 3}, {"b2a", -1, 3, 1}, {"b2b", 3, 4, 3}, {"b3b", -1, 5, 1},
};

static int mixed_width(const i3d_layer *L) { return L->out[0] + L->out[2] + L->out[4] + L->out[5]; }

/* ---- parameter table ---- */

int avs_i3d_declare(avs_params *p, const avs_i3d_cfg *cfg) {
  if (cfg->in_channels < 1 || cfg->base.classes < 1 || cfg->dropout < 0 || cfg->dropout >= 1)
    return avs_seterr(AVS_EINVAL, "i3d: in_channels %d and classes %d must be positive, dropout in [0, 1)",
                      cfg->in_channels, cfg->base.classes);
  int c = cfg->in_channels, rc = 0;
  char conv[AVS_NAME_MAX], bn[AVS_NAME_MAX];
  for (int l = 0; l < N_LAYERS && !rc; l++) {
    const i3d_layer *L = &i3d_layers[l];
    if (L->kind == L_UNIT) {
      avs_conv_spec s = {3, c, L->out[0], {L->k[0], L->k[1], L->k[2]}, {1, 1, 1}, {0}, false, {0}};
      rc = avs_unit_declare(p, avs_unit_name(conv, "%s.conv3d", L->name), avs_unit_name(bn, "%s.bn", L->name), &s);
      c = L->out[0];
    } else if (L->kind == L_MIXED) {
      for (int u = 0; u < 6 && !rc; u++) {
        int in = mixed_units[u].from < 0 ? c : L->out[mixed_units[u].from], k = mixed_units[u].k;
        avs_conv_spec s = {3, in, L->out[mixed_units[u].out], {k, k, k}, {1, 1, 1}, {0}, false, {0}};
        rc = avs_unit_declare(p, avs_unit_name(conv, "%s.%s.conv3d", L->name, mixed_units[u].name),
                              avs_unit_name(bn, "%s.%s.bn", L->name, mixed_units[u].name), &s);
      }
      c = mixed_width(L);
    }
  }
  if (rc) return rc;
  avs_conv_spec logits = {3, c, cfg->base.classes, {1, 1, 1}, {1, 1, 1}, {0}, true, {0}};
  return avs_unit_declare_conv(p, "logits.conv3d", &logits);
}

/* ---- forward ---- */

/* TensorFlow "SAME" zero padding of the spatial dims for kernel k, stride s. */
static avs_tensor *pad_same(avs_ctx *ctx, avs_tensor *x, const int *k, const int *s) {
  if (!x) return NULL;
  int before[3], after[3], any = 0;
  for (int d = 0; d < 3; d++) {
    int in = (int)x->shape[1 + d], r = in % s[d];
    int total = r == 0 ? k[d] - s[d] : k[d] - r;
    if (total < 0) total = 0;
    before[d] = total / 2, after[d] = total - total / 2;
    any |= total;
  }
  return any ? avs_pad(ctx, x, before, after) : x;
}


avs_tensor *avs_i3d_conv_bn(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn, float eps,
                            float momentum, const avs_conv_spec *s, avs_tensor *x, bool norm_eval, bool relu) {
  avs_tensor *w = avs_unit_param(p, "%s.weight", conv);
  avs_bn b = {.weight = avs_unit_param(p, "%s.weight", bn), .bias = avs_unit_param(p, "%s.bias", bn),
              .running_mean = avs_unit_param(p, "%s.running_mean", bn),
              .running_var = avs_unit_param(p, "%s.running_var", bn), .eps = eps, .momentum = momentum};
  if (!x || !w || !b.weight || !b.bias || !b.running_mean || !b.running_var) return NULL;
  avs_tensor *fw, *fb;
  int folded = avs_ctx_train(ctx) ? 0 : avs_fold_get(ctx, w, NULL, &b, &fw, &fb);
  if (folded < 0) return NULL;
  if (folded) {
    avs_conv c = {.relu = relu};
    for (int i = 0; i < 3; i++) c.stride[i] = s->stride[i] ? s->stride[i] : 1, c.pad[i] = s->pad[i];
    avs_tensor *y = avs_conv3d(ctx, x, fw, fb, c);
    if (y) avs_layer_trace_add(ctx, conv, "conv3d", y, w->numel + b.weight->numel + b.bias->numel,
                               y->numel * (w->numel / s->out));
    return y;
  }
  x = avs_unit_batch_norm(ctx, avs_unit_conv(ctx, p, conv, s, x), &b, norm_eval, relu);
  avs_layer_trace_amend(ctx, x, b.weight->numel + b.bias->numel);
  return x;
}

/* Unit3D: "SAME" padding, conv (no bias), batch norm (eps 1e-3), ReLU. */
static avs_tensor *unit(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, const char *name, avs_tensor *x,
                        const int *s) {
  char conv[AVS_NAME_MAX], bn[AVS_NAME_MAX];
  avs_tensor *w = avs_unit_param(p, "%s.conv3d.weight", name);
  if (!x || !w) return NULL;
  avs_conv_spec spec = {3, (int)w->shape[1], (int)w->shape[0], {(int)w->shape[2], (int)w->shape[3], (int)w->shape[4]},
                        {s[0], s[1], s[2]}, {0}, false, {0}};
  return avs_i3d_conv_bn(ctx, p, avs_unit_name(conv, "%s.conv3d", name), avs_unit_name(bn, "%s.bn", name),
                         I3D_BN_EPS, I3D_BN_MOMENTUM, &spec, pad_same(ctx, x, spec.k, s), cfg->norm_eval, true);
}

static avs_tensor *max_pool_same(avs_ctx *ctx, const char *name, avs_tensor *x, const int *k, const int *s) {
  avs_pool pool = {.kernel = {k[0], k[1], k[2]}, .stride = {s[0], s[1], s[2]}};
  return avs_unit_max_pool(ctx, name, 3, pad_same(ctx, x, k, s), pool);
}

static avs_tensor *mixed(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, const char *name,
                         avs_tensor *x) {
  static const int one[3] = {1, 1, 1}, three[3] = {3, 3, 3};
  char n[AVS_NAME_MAX];
  avs_tensor *b[4];
  b[0] = unit(ctx, p, cfg, avs_unit_name(n, "%s.b0", name), x, one);
  b[1] = unit(ctx, p, cfg, avs_unit_name(n, "%s.b1b", name), unit(ctx, p, cfg, avs_unit_name(n, "%s.b1a", name), x, one),
              one);
  b[2] = unit(ctx, p, cfg, avs_unit_name(n, "%s.b2b", name), unit(ctx, p, cfg, avs_unit_name(n, "%s.b2a", name), x, one),
              one);
  b[3] = unit(ctx, p, cfg, avs_unit_name(n, "%s.b3b", name),
              max_pool_same(ctx, avs_unit_name(n, "%s.b3a", name), x, three, one), one);
  for (int i = 0; i < 4; i++)
    if (!b[i]) return NULL;
  return avs_concat(ctx, 4, b, 4);
}

avs_tensor *avs_i3d_features(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, avs_tensor *clip) {
  if (!clip) return NULL;
  if (clip->ndim != 5 || clip->shape[4] != cfg->in_channels) {
    char s[96];
    avs_seterr(AVS_ESHAPE, "i3d: clip %s is not (N,T,H,W,%d)", avs_shape_str(clip->ndim, clip->shape, s, sizeof s),
               cfg->in_channels);
    return NULL;
  }
  avs_tensor *x = clip;
  for (int l = 0; l < N_LAYERS && x; l++) {
    const i3d_layer *L = &i3d_layers[l];
    if (L->kind == L_UNIT) x = unit(ctx, p, cfg, L->name, x, L->s);
    else if (L->kind == L_POOL) x = max_pool_same(ctx, L->name, x, L->k, L->s);
    else x = mixed(ctx, p, cfg, L->name, x);
  }
  if (!x) return NULL;
  /* The port's AvgPool3d([2, 7, 7], stride 1), its window clipped to the grid. */
  avs_pool avg = {.stride = {1, 1, 1}, .count_include_pad = true};
  static const int window[3] = {2, 7, 7};
  for (int d = 0; d < 3; d++) avg.kernel[d] = x->shape[1 + d] < window[d] ? (int)x->shape[1 + d] : window[d];
  return avs_avg_pool3d(ctx, x, avg);
}

avs_tensor *avs_i3d_forward(avs_ctx *ctx, const avs_params *p, const avs_i3d_cfg *cfg, avs_tensor *clip) {
  avs_tensor *x = avs_i3d_features(ctx, p, cfg, clip);
  if (cfg->dropout > 0) x = avs_dropout(ctx, x, cfg->dropout);
  avs_conv_spec logits = {3, x ? (int)x->shape[4] : 1, cfg->base.classes, {1, 1, 1}, {1, 1, 1}, {0}, true, {0}};
  x = avs_unit_conv(ctx, p, "logits.conv3d", &logits, x);
  x = avs_adaptive_avg_pool3d(ctx, x, 1, 1, 1); /* mean of the per-time logits */
  return x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], cfg->base.classes)) : NULL;
}

/* ---- registry ---- */

static const avs_i3d_cfg i3d_default = {
    .base = {.classes = 400, .frames = 64, .height = 224, .width = 224}, .in_channels = 3, .dropout = 0.5f};
static const avs_i3d_cfg i3d_flow_default = {
    .base = {.classes = 400, .frames = 64, .height = 224, .width = 224}, .in_channels = 2, .dropout = 0.5f};
static const avs_hparam i3d_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_i3d_cfg),
    AVS_HP(avs_i3d_cfg, dropout, AVS_HP_FLOAT, "dropout before the logits in training (0.5)"),
    AVS_HP(avs_i3d_cfg, norm_eval, AVS_HP_BOOL, "batch norm keeps its running statistics in training (false)"),
};
AVS_ACTION_ARCH_GLUE(i3d, avs_i3d_cfg)
const avs_arch avs_arch_i3d = {
    .name = "i3d", .title = "I3D Inception-v1, RGB stream (Carreira & Zisserman, CVPR 2017)",
    AVS_ACTION_TASK(i3d, "i3d", 3),
    AVS_ARCH_FIELDS(i3d, avs_i3d_cfg, i3d_default, i3d_hparams)};
const avs_arch avs_arch_i3d_flow = {
    .name = "i3d_flow", .title = "I3D Inception-v1, optical-flow stream (Carreira & Zisserman, CVPR 2017)",
    AVS_ACTION_TASK(i3d, "raw", 2),
    AVS_ARCH_FIELDS(i3d, avs_i3d_cfg, i3d_flow_default, i3d_hparams)};
