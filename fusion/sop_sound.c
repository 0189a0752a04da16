/* Sound of Pixels' sound net: bn0 and a U-Net (pix2pix's skip-connection
 * blocks), models/audio_net.py Unet / UnetBlock. Level l = 0 (outermost) ..
 * D-1 (innermost), each an nn.Sequential "model" nested in the one above:
 *
 *   level     down (4x4 conv, stride 2, pad 1, no bias)     up (x2 bilinear, align_corners; 3x3 conv)
 *   0         conv 1 -> ngf                                 ReLU, up, conv 2 ngf -> K (bias)
 *   1 .. D-2  LeakyReLU 0.2, conv in -> inner, BN           ReLU, up, conv 2 inner -> out, BN
 *   D-1       LeakyReLU 0.2, conv 8 ngf -> 8 ngf            ReLU, up, conv 8 ngf -> 8 ngf, BN
 *
 * inner(l) = ngf * min(2^l, 8), out(l) = in(l) = inner(l-1) for l > 0; every
 * level but the outermost returns cat(its input, up) over channels, so the
 * level above sees twice its inner width. With D = 7 at 256 x 256 the
 * innermost level works on 2 x 2.
 *
 * The reference's LeakyReLU runs in place on the level's input, so its skip
 * concatenates leaky(x); the ReLU opening the level above's up path follows,
 * and relu(leaky(x)) = relu(x) in value and gradient: x is concatenated here. */
#include <stdio.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/sop.h"
#include "nn/unit.h"

#define SOP_TOP "unet_block.model"

/* Indices of the level's modules in its Sequential (-1: absent). */
typedef struct {
  int down, down_bn, sub, up, up_bn;
} level_modules;

static level_modules modules(int l, int levels) {
  if (l == 0) return (level_modules){0, -1, 1, 4, -1};          /* conv, sub, relu, up, conv */
  if (l == levels - 1) return (level_modules){1, -1, -1, 4, 5}; /* leaky, conv, relu, up, conv, BN */
  return (level_modules){1, 2, 3, 6, 7}; /* leaky, conv, BN, sub, relu, up, conv, BN */
}

static int inner(const avs_sop_cfg *c, int l) { return c->ngf * (l < 3 ? 1 << l : 8); }
static int outer(const avs_sop_cfg *c, int l) { return l ? inner(c, l - 1) : c->channels; }

static avs_conv_spec down_spec(const avs_sop_cfg *c, int l) {
  return (avs_conv_spec){2, l ? outer(c, l) : 1, inner(c, l), {4, 4}, {2, 2}, {1, 1}, false, {0}};
}

static avs_conv_spec up_spec(const avs_sop_cfg *c, int l) {
  int in = l == c->num_downs - 1 ? inner(c, l) : 2 * inner(c, l);
  return (avs_conv_spec){2, in, outer(c, l), {3, 3}, {1, 1}, {1, 1}, l == 0, {0}};
}

static int level_declare(avs_params *p, const avs_sop_cfg *c, const char *prefix, int l) {
  char a[AVS_NAME_MAX];
  level_modules m = modules(l, c->num_downs);
  avs_conv_spec dn = down_spec(c, l), up = up_spec(c, l);
  int rc = avs_unit_declare_conv(p, avs_unit_name(a, "%s.%d", prefix, m.down), &dn);
  if (!rc && m.down_bn >= 0) rc = avs_unit_declare_bn(p, avs_unit_name(a, "%s.%d", prefix, m.down_bn), dn.out);
  if (!rc && m.sub >= 0) rc = level_declare(p, c, avs_unit_name(a, "%s.%d.model", prefix, m.sub), l + 1);
  if (!rc) rc = avs_unit_declare_conv(p, avs_unit_name(a, "%s.%d", prefix, m.up), &up);
  if (!rc && m.up_bn >= 0) rc = avs_unit_declare_bn(p, avs_unit_name(a, "%s.%d", prefix, m.up_bn), up.out);
  return rc;
}

int avs_sop_sound_declare(avs_params *p, const avs_sop_cfg *cfg) {
  int rc = avs_unit_declare_bn(p, "bn0", 1);
  return rc ? rc : level_declare(p, cfg, SOP_TOP, 0);
}

/* conv, then its BN where the level has one. */
static avs_tensor *conv_maybe_bn(avs_ctx *ctx, const avs_params *p, const char *prefix, int conv, int bn,
                                 const avs_conv_spec *s, avs_tensor *x) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  avs_unit_name(a, "%s.%d", prefix, conv);
  if (bn < 0) return avs_unit_conv(ctx, p, a, s, x);
  return avs_unit_conv_bn(ctx, p, a, avs_unit_name(b, "%s.%d", prefix, bn), s, x);
}

static avs_tensor *upsample2(avs_ctx *ctx, avs_tensor *x) {
  return x ? avs_upsample_bilinear2d(ctx, x, 2 * (int)x->shape[1], 2 * (int)x->shape[2], true) : NULL;
}

static avs_tensor *level_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *c, const char *prefix, int l,
                                 avs_tensor *x) {
  char sub[AVS_NAME_MAX];
  level_modules m = modules(l, c->num_downs);
  avs_conv_spec dn = down_spec(c, l), up = up_spec(c, l);
  avs_tensor *y = conv_maybe_bn(ctx, p, prefix, m.down, m.down_bn, &dn, l ? avs_leaky_relu(ctx, x, 0.2f) : x);
  if (m.sub >= 0) y = level_forward(ctx, p, c, avs_unit_name(sub, "%s.%d.model", prefix, m.sub), l + 1, y);
  y = conv_maybe_bn(ctx, p, prefix, m.up, m.up_bn, &up, upsample2(ctx, avs_relu(ctx, y)));
  return l ? avs_concat(ctx, 2, (avs_tensor *[]){x, y}, 3) : y;
}

avs_tensor *avs_sop_sound_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *x) {
  if (!x) return NULL;
  int64_t unit = (int64_t)1 << cfg->num_downs;
  if (x->ndim != 4 || x->shape[3] != 1 || x->shape[1] % unit || x->shape[2] % unit) {
    char got[64];
    avs_seterr(AVS_ESHAPE, "sop sound net takes (N, F, T, 1) with F and T multiples of %lld, got %s",
               (long long)unit, avs_shape_str(x->ndim, x->shape, got, sizeof got));
    return NULL;
  }
  return level_forward(ctx, p, cfg, SOP_TOP, 0, avs_unit_bn(ctx, p, "bn0", x));
}
