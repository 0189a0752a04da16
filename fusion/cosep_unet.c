/* Co-Separation's audio-visual U-Net, models/networks.py AudioVisual7layerUNet
 * (and its 5-layer sibling: the same with fewer levels), D = downs:
 *
 *   audionet_convlayer l (1..D)    conv 4x4 /2 pad 1 (bias) ch(l-1) -> ch(l), BN, LeakyReLU 0.2
 *   bottleneck                     cat(visual vector tiled to its F' x T', convlayer D)
 *
 * The encoder runs once per mixture, the decoder once per object: each up's input is
 * cat(object's part, mixture's level), and its product is split along those input channels
 * (avs_unit_conv_transpose_joined), so the mixture's part is computed once. In evaluation
 * this is the reference's output exactly; in training the encoder's batch norms see each
 * mixture once where the reference, running the whole U-Net per object, sees it once per
 * object (as the pixel-level model's shared encoder does, xattn.c).
 *   audionet_upconvlayer j (1..D)  conv-transpose 4x4 /2 pad 1 (bias) on cat(up j-1, convlayer D-j+1)
 *                                  -> ch(D-j) with BN, ReLU; the last -> 1 channel (sigmoid by the caller)
 *
 * ch(l) = ngf * min(2^(l-1), 8), ch(0) = 1 + nmf input channels (the log magnitude, the NMF prior). Sound of Pixels'
 * U-Net (sop_sound.c) is not this one: it nests pix2pix blocks (the activation
 * before the conv, bilinear upsampling and a 3x3 conv up, names nested per
 * level), so only the units are shared. */
#include "av/ops.h"
#include "av/status.h"
#include "fusion/cosep.h"
#include "nn/unit.h"

#define UNET "net_unet.audionet_"

static int width(const avs_cosep_cfg *c, int l) { return l ? c->ngf * (l < 4 ? 1 << (l - 1) : 8) : 1 + c->nmf; }

static avs_conv_spec down_spec(const avs_cosep_cfg *c, int l) {
  return (avs_conv_spec){2, width(c, l - 1), width(c, l), {4, 4}, {2, 2}, {1, 1}, true, {0}};
}

/* up j reads the bottleneck with the visual vector (j = 1) or cat(up j-1, convlayer D-j+1). */
static avs_conv_spec up_spec(const avs_cosep_cfg *c, int j) {
  int d = c->downs, in = j == 1 ? avs_cosep_visual_dim(c) + width(c, d) : 2 * width(c, d - j + 1);
  return (avs_conv_spec){2, in, j == d ? 1 : width(c, d - j), {4, 4}, {2, 2}, {1, 1}, true, {0}};
}

int avs_cosep_unet_declare(avs_params *p, const avs_cosep_cfg *c) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  int rc = AVS_OK;
  for (int l = 1; !rc && l <= c->downs; l++) {
    avs_conv_spec s = down_spec(c, l);
    rc = avs_unit_declare_conv(p, avs_unit_name(a, UNET "convlayer%d.0", l), &s);
    if (!rc) rc = avs_unit_declare_bn(p, avs_unit_name(b, UNET "convlayer%d.1", l), s.out);
  }
  for (int j = 1; !rc && j <= c->downs; j++) {
    avs_conv_spec s = up_spec(c, j);
    rc = avs_unit_declare_conv_transpose(p, avs_unit_name(a, UNET "upconvlayer%d.0", j), &s);
    if (!rc && j < c->downs) rc = avs_unit_declare_bn(p, avs_unit_name(b, UNET "upconvlayer%d.1", j), s.out);
  }
  return rc;
}

avs_tensor *avs_cosep_unet(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *c, avs_tensor *x,
                           const int *mix_of, avs_tensor *vis) {
  if (!x || !vis) return NULL;
  int64_t unit = (int64_t)1 << c->downs, m = vis->shape[0];
  if (x->ndim != 4 || x->shape[3] != width(c, 0) || x->shape[1] % unit || x->shape[2] % unit || vis->ndim != 2 ||
      (!mix_of && vis->shape[0] != x->shape[0]) || vis->shape[1] != avs_cosep_visual_dim(c)) {
    char got[64], gv[64];
    avs_seterr(AVS_ESHAPE, "cosep U-Net takes (N, F, T, %d) with F and T multiples of %lld and (%s, %d), got %s and %s",
               width(c, 0), (long long)unit, mix_of ? "M" : "N", avs_cosep_visual_dim(c),
               avs_shape_str(x->ndim, x->shape, got, sizeof got), avs_shape_str(vis->ndim, vis->shape, gv, sizeof gv));
    return NULL;
  }
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  /* the encoder once per row of x (a mixture): every object of it sees the same levels */
  avs_tensor *lv[AVS_COSEP_MAX_DOWNS + 1] = {x};
  for (int l = 1; l <= c->downs; l++) {
    avs_conv_spec s = down_spec(c, l);
    lv[l] = avs_leaky_relu(ctx, avs_unit_conv_bn(ctx, p, avs_unit_name(a, UNET "convlayer%d.0", l),
                                                 avs_unit_name(b, UNET "convlayer%d.1", l), &s, lv[l - 1]),
                           0.2f);
  }
  avs_tensor *bottom = lv[c->downs];
  if (!bottom) return NULL;
  /* visual_feat.repeat(1, 1, H', W'): nearest upsampling of a 1 x 1 map tiles it */
  avs_tensor *y = avs_upsample_nearest2d(ctx, avs_reshape(ctx, vis, 4, AVS_SHAPE(m, 1, 1, vis->shape[1])),
                                         (int)bottom->shape[1], (int)bottom->shape[2]);
  /* up j on cat(y, level D-j+1 of the object's mixture): the level's part of the product once per mixture */
  for (int j = 1; j <= c->downs; j++) {
    avs_conv_spec s = up_spec(c, j);
    y = avs_unit_conv_transpose_joined(ctx, p, avs_unit_name(a, UNET "upconvlayer%d.0", j), &s, y,
                                       lv[c->downs - j + 1], mix_of);
    if (j < c->downs) y = avs_unit_bn_relu(ctx, p, avs_unit_name(b, UNET "upconvlayer%d.1", j), y);
  }
  return y ? avs_reshape(ctx, y, 3, AVS_SHAPE(m, y->shape[1], y->shape[2])) : NULL;
}
