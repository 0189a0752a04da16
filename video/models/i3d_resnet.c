/* I3D ResNet-18 with optional non-local blocks (see i3d_resnet.h). */
#include "video/models/i3d_resnet.h"

#include "av/status.h"
#include "video/models/i3d.h"
#include "nn/nonlocal.h"
#include "nn/unit.h"

static int layer_width(const avs_i3d_resnet_cfg *c, int layer) { return c->width << layer; } /* layer 0..3 */

/* Whether block b of layer l (0..3) is followed by a non-local block. */
static bool has_nonlocal(const avs_i3d_resnet_cfg *c, int l, int b) {
  return avs_nonlocal_resnet_layer(c->nonlocal, l) >> b & 1;
}

/* A conv as spec'd, kernel kt x k x k, spatial stride s, "same" spatial padding. */
static avs_conv_spec conv_spec(int in, int out, int kt, int k, int s) {
  return (avs_conv_spec){3, in, out, {kt, k, k}, {1, s, s}, {kt / 2, k / 2, k / 2}, false, {0}};
}

/* ---- parameter table ---- */

int avs_i3d_resnet18_declare(avs_params *p, const avs_i3d_resnet_cfg *c) {
  if (c->width < 1 || c->kt < 1 || c->kt % 2 == 0 || c->stem_kt < 1 || c->stem_kt % 2 == 0 || c->base.classes < 1 ||
      c->dropout < 0 || c->dropout >= 1)
    return avs_seterr(AVS_EINVAL, "i3d_resnet18: width and classes positive, kt and stem_kt odd, dropout in [0, 1)");
  int rc = avs_nonlocal_resnet_check("i3d_resnet18", c->nonlocal), in = c->width;
  char n[AVS_NAME_MAX], m[AVS_NAME_MAX];
  avs_conv_spec stem = conv_spec(3, c->width, c->stem_kt, 7, 2);
  if (!rc) rc = avs_unit_declare(p, "conv1", "bn1", &stem);
  for (int l = 0; l < 4 && !rc; l++)
    for (int b = 0; b < 2 && !rc; b++) {
      int out = layer_width(c, l), s = l > 0 && b == 0 ? 2 : 1;
      avs_conv_spec c1 = conv_spec(in, out, c->kt, 3, s), c2 = conv_spec(out, out, c->kt, 3, 1);
      rc = avs_unit_declare(p, avs_unit_name(n, "layer%d.%d.conv1", l + 1, b), avs_unit_name(m, "layer%d.%d.bn1", l + 1, b), &c1);
      if (!rc) rc = avs_unit_declare(p, avs_unit_name(n, "layer%d.%d.conv2", l + 1, b), avs_unit_name(m, "layer%d.%d.bn2", l + 1, b), &c2);
      if (!rc && (s != 1 || in != out)) {
        avs_conv_spec ds = conv_spec(in, out, 1, 1, s);
        rc = avs_unit_declare(p, avs_unit_name(n, "layer%d.%d.downsample.0", l + 1, b),
                              avs_unit_name(m, "layer%d.%d.downsample.1", l + 1, b), &ds);
      }
      if (!rc && has_nonlocal(c, l, b))
        rc = avs_nonlocal_after_declare(p, avs_unit_name(n, "layer%d.%d", l + 1, b), out);
      in = out;
    }
  return rc ? rc : avs_unit_declare_linear(p, "fc", in, c->base.classes);
}

/* ---- forward ---- */

/* Temporal padding by repeating the first and last frames `pad` times. */
static avs_tensor *replicate_time(avs_ctx *ctx, avs_tensor *x, int pad) {
  if (!x || pad == 0) return x;
  avs_tensor *parts[2 * 5 + 1];
  int n = 0;
  AVS_ASSERT(pad <= 5);
  avs_tensor *first = avs_slice(ctx, x, 1, 0, 1, 1), *last = avs_slice(ctx, x, 1, x->shape[1] - 1, x->shape[1], 1);
  for (int i = 0; i < pad; i++) parts[n++] = first;
  parts[n++] = x;
  for (int i = 0; i < pad; i++) parts[n++] = last;
  return avs_concat(ctx, n, parts, 1);
}

/* conv (temporal padding per cfg) + BN (+ ReLU). */
static avs_tensor *conv_bn(avs_ctx *ctx, const avs_params *p, const avs_i3d_resnet_cfg *c, const char *conv,
                           const char *bn, avs_conv_spec s, avs_tensor *x, bool relu) {
  if (c->replicate_time_pad) {
    x = replicate_time(ctx, x, s.pad[0]);
    s.pad[0] = 0;
  }
  return avs_i3d_conv_bn(ctx, p, conv, bn, 0, 0, &s, x, c->norm_eval, relu);
}

static avs_tensor *basic_block(avs_ctx *ctx, const avs_params *p, const avs_i3d_resnet_cfg *c, int l, int b,
                               avs_tensor *x) {
  if (!x) return NULL;
  char n[AVS_NAME_MAX], m[AVS_NAME_MAX];
  int in = (int)x->shape[4], out = layer_width(c, l), s = l > 0 && b == 0 ? 2 : 1;
  avs_tensor *h = conv_bn(ctx, p, c, avs_unit_name(n, "layer%d.%d.conv1", l + 1, b),
                          avs_unit_name(m, "layer%d.%d.bn1", l + 1, b), conv_spec(in, out, c->kt, 3, s), x, true);
  h = conv_bn(ctx, p, c, avs_unit_name(n, "layer%d.%d.conv2", l + 1, b), avs_unit_name(m, "layer%d.%d.bn2", l + 1, b),
              conv_spec(out, out, c->kt, 3, 1), h, false);
  avs_tensor *skip = x;
  if (s != 1 || in != out)
    skip = conv_bn(ctx, p, c, avs_unit_name(n, "layer%d.%d.downsample.0", l + 1, b),
                   avs_unit_name(m, "layer%d.%d.downsample.1", l + 1, b), conv_spec(in, out, 1, 1, s), x, false);
  x = avs_add_relu(ctx, h, skip);
  if (has_nonlocal(c, l, b))
    x = avs_nonlocal_after_forward(ctx, p, avs_unit_name(n, "layer%d.%d", l + 1, b), c->norm_eval, x);
  return x;
}

avs_tensor *avs_i3d_resnet18_forward(avs_ctx *ctx, const avs_params *p, const avs_i3d_resnet_cfg *c,
                                     avs_tensor *clip) {
  if (!clip) return NULL;
  if (clip->ndim != 5 || clip->shape[4] != 3) {
    char s[96];
    avs_seterr(AVS_ESHAPE, "i3d_resnet18: clip %s is not (N, T, H, W, 3)", avs_shape_str(clip->ndim, clip->shape, s, sizeof s));
    return NULL;
  }
  avs_tensor *x = conv_bn(ctx, p, c, "conv1", "bn1", conv_spec(3, c->width, c->stem_kt, 7, 2), clip, true);
  x = avs_unit_max_pool(ctx, "maxpool", 3, x, (avs_pool){.kernel = {1, 3, 3}, .stride = {1, 2, 2}, .pad = {0, 1, 1}});
  for (int l = 0; l < 4; l++)
    for (int b = 0; b < 2; b++) x = basic_block(ctx, p, c, l, b, x);
  x = avs_adaptive_avg_pool3d(ctx, x, 1, 1, 1);
  x = x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], x->shape[4])) : NULL;
  if (c->dropout > 0) x = avs_dropout(ctx, x, c->dropout);
  return avs_unit_linear(ctx, p, "fc", x);
}

/* ---- registry ---- */

static const avs_i3d_resnet_cfg i3d_resnet18_default = {
    .base = {.classes = 400, .frames = 16, .height = 224, .width = 224}, .width = 64, .kt = 3, .stem_kt = 7};
static const avs_hparam i3d_resnet18_hparams[] = {
    AVS_ACTION_BASE_HPARAMS(avs_i3d_resnet_cfg),
    AVS_HP_KEY("channels", avs_i3d_resnet_cfg, width, AVS_HP_INT, "layer1 width (64); later layers 2x, 4x, 8x"),
    AVS_HP(avs_i3d_resnet_cfg, kt, AVS_HP_INT, "temporal kernel of the block convs (3)"),
    AVS_HP(avs_i3d_resnet_cfg, stem_kt, AVS_HP_INT, "temporal kernel of conv1 (7)"),
    AVS_HP(avs_i3d_resnet_cfg, replicate_time_pad, AVS_HP_BOOL, "pad time with edge frames, not zeros (false)"),
    AVS_HP(avs_i3d_resnet_cfg, nonlocal, AVS_HP_INT, AVS_NONLOCAL_RESNET_HELP),
    AVS_HP(avs_i3d_resnet_cfg, norm_eval, AVS_HP_BOOL, "batch norms keep their running statistics (false)"),
    AVS_HP(avs_i3d_resnet_cfg, dropout, AVS_HP_FLOAT, "dropout before fc in training (0)"),
};
AVS_ACTION_ARCH_GLUE(i3d_resnet18, avs_i3d_resnet_cfg)
const avs_arch avs_arch_i3d_resnet18 = {
    .name = "i3d_resnet18", .title = "I3D ResNet-18, inflated 2-D ResNet with optional non-local blocks",
    AVS_ACTION_TASK(i3d_resnet18, "imagenet", 3),
    AVS_ARCH_FIELDS(i3d_resnet18, avs_i3d_resnet_cfg, i3d_resnet18_default, i3d_resnet18_hparams)};
