/* ResNet basic blocks and stages for 2-D and video ResNets (see basic_block.h). */
#include <stdio.h>

#include "av/ops.h"
#include "av/status.h"
#include "nn/basic_block.h"
#include "nn/nonlocal.h"
#include "nn/unit.h"

int avs_block_midplanes(int in, int out) { return (in * out * 27) / (in * 9 + 3 * out); }

/* The k x k convolution of kind `conv` with stride (padding 1 where k = 3;
 * 2-D: dilation dil > 1 with padding dil keeps the size). */
static avs_conv_spec block_conv_spec(avs_block_conv conv, int in, int out, int stride, int dil) {
  AVS_ASSERT(conv == AVS_BLOCK_CONV2D || dil <= 1);
  dil = dil > 1 ? dil : 1;
  switch (conv) {
  case AVS_BLOCK_CONV2D: return (avs_conv_spec){2, in, out, {3, 3}, {stride, stride}, {dil, dil}, false, {dil, dil}};
  case AVS_BLOCK_CONV3D: return (avs_conv_spec){3, in, out, {3, 3, 3}, {stride, stride, stride}, {1, 1, 1}, false, {0}};
  default: /* no-temporal, and the spatial half of (2+1)D */
    return (avs_conv_spec){3, in, out, {1, 3, 3}, {1, stride, stride}, {0, 1, 1}, false, {0}};
  }
}

/* (2+1)D's temporal half. */
static avs_conv_spec temporal_spec(int mid, int out, int stride) {
  return (avs_conv_spec){3, mid, out, {3, 1, 1}, {stride, 1, 1}, {1, 0, 0}, false, {0}};
}

static avs_conv_spec downsample_spec(const avs_block_spec *s) {
  int st = s->stride, t = s->conv == AVS_BLOCK_CONV_NO_TEMPORAL ? 1 : st;
  if (s->conv == AVS_BLOCK_CONV2D) return (avs_conv_spec){2, s->in, s->out, {1, 1}, {st, st}, {0, 0}, false, {0}};
  return (avs_conv_spec){3, s->in, s->out, {1, 1, 1}, {t, st, st}, {0, 0, 0}, false, {0}};
}

/* Dilation of conv i (1 or 2). */
static int conv_dilation(const avs_block_spec *s, int i) { return i == 1 && s->dilation1 ? s->dilation1 : s->dilation; }

static bool has_downsample(const avs_block_spec *s) { return s->stride != 1 || s->in != s->out; }

/* Names of conv i (1 or 2) and its batch norm inside the block. */
static void conv_names(const char *prefix, avs_block_conv conv, int i, char *cname, char *bname) {
  if (conv == AVS_BLOCK_CONV2D) {
    avs_unit_name(cname, "%s.conv%d", prefix, i);
    avs_unit_name(bname, "%s.bn%d", prefix, i);
  } else {
    avs_unit_name(cname, "%s.conv%d.0", prefix, i);
    avs_unit_name(bname, "%s.conv%d.1", prefix, i);
  }
}

/* Declares / runs one block conv (without its closing BN): `name` is the conv,
 * or for (2+1)D the Sequential holding .0 (spatial), .1 (BN), .3 (temporal). */
static int block_conv_declare(avs_params *p, const char *name, const avs_block_spec *s, int in, int stride, int dil) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  if (s->conv != AVS_BLOCK_CONV2PLUS1D) {
    avs_conv_spec c = block_conv_spec(s->conv, in, s->out, stride, dil);
    return avs_unit_declare_conv(p, name, &c);
  }
  int mid = avs_block_midplanes(s->in, s->out);
  avs_conv_spec sp = block_conv_spec(s->conv, in, mid, stride, 1), tp = temporal_spec(mid, s->out, stride);
  avs_unit_name(a, "%s.0", name);
  avs_unit_name(b, "%s.1", name);
  int rc = avs_unit_declare(p, a, b, &sp);
  avs_unit_name(a, "%s.3", name);
  return rc ? rc : avs_unit_declare_conv(p, a, &tp);
}

/* One block conv and the BN closing it (conv1.1 / bn1 ...), then ReLU when relu: for (2+1)D the
 * spatial conv, its BN and ReLU, then the temporal conv with the closing BN. */
static avs_tensor *block_conv_bn(avs_ctx *ctx, const avs_params *p, const char *name, const char *bn,
                                 const avs_block_spec *s, int in, int stride, int dil, bool relu, avs_tensor *x) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  if (s->conv != AVS_BLOCK_CONV2PLUS1D) {
    avs_conv_spec c = block_conv_spec(s->conv, in, s->out, stride, dil);
    return avs_unit_forward(ctx, p, name, bn, &c, x, relu);
  }
  int mid = avs_block_midplanes(s->in, s->out);
  avs_conv_spec sp = block_conv_spec(s->conv, in, mid, stride, 1), tp = temporal_spec(mid, s->out, stride);
  avs_unit_name(a, "%s.0", name);
  avs_unit_name(b, "%s.1", name);
  x = avs_unit_forward(ctx, p, a, b, &sp, x, true);
  avs_unit_name(a, "%s.3", name);
  return avs_unit_forward(ctx, p, a, bn, &tp, x, relu);
}

int avs_basic_block_declare(avs_params *p, const char *prefix, const avs_block_spec *s) {
  char c[AVS_NAME_MAX], b[AVS_NAME_MAX];
  int rc;
  for (int i = 1; i <= 2; i++) {
    conv_names(prefix, s->conv, i, c, b);
    if ((rc = block_conv_declare(p, c, s, i == 1 ? s->in : s->out, i == 1 ? s->stride : 1, conv_dilation(s, i))))
      return rc;
    if ((rc = avs_unit_declare_bn(p, b, s->out))) return rc;
  }
  if (!has_downsample(s)) return AVS_OK;
  avs_conv_spec ds = downsample_spec(s);
  avs_unit_name(c, "%s.downsample.0", prefix);
  avs_unit_name(b, "%s.downsample.1", prefix);
  return avs_unit_declare(p, c, b, &ds);
}

avs_tensor *avs_basic_block_forward(avs_ctx *ctx, const avs_params *p, const char *prefix,
                                    const avs_block_spec *s, avs_tensor *x) {
  char c[AVS_NAME_MAX], b[AVS_NAME_MAX];
  conv_names(prefix, s->conv, 1, c, b);
  avs_tensor *h = block_conv_bn(ctx, p, c, b, s, s->in, s->stride, conv_dilation(s, 1), true, x);
  conv_names(prefix, s->conv, 2, c, b);
  h = block_conv_bn(ctx, p, c, b, s, s->out, 1, conv_dilation(s, 2), false, h);
  avs_tensor *shortcut = x;
  if (has_downsample(s)) {
    avs_conv_spec ds = downsample_spec(s);
    avs_unit_name(c, "%s.downsample.0", prefix);
    avs_unit_name(b, "%s.downsample.1", prefix);
    shortcut = avs_unit_forward(ctx, p, c, b, &ds, x, false);
  }
  return avs_add_relu(ctx, h, shortcut);
}

int avs_resnet_layer_declare_nl(avs_params *p, const char *prefix, int blocks, const avs_block_spec *first,
                                int nonlocal) {
  AVS_ASSERT(!nonlocal || first->conv != AVS_BLOCK_CONV2D); /* the block is 3-D */
  char name[AVS_NAME_MAX];
  for (int i = 0; i < blocks; i++) {
    avs_block_spec s = *first;
    if (i) s.in = s.out, s.stride = 1, s.dilation1 = 0;
    avs_unit_name(name, "%s.%d", prefix, i);
    int rc = avs_basic_block_declare(p, name, &s);
    if (!rc && (nonlocal >> i & 1)) rc = avs_nonlocal_after_declare(p, name, s.out);
    if (rc) return rc;
  }
  return AVS_OK;
}

avs_tensor *avs_resnet_layer_forward_nl(avs_ctx *ctx, const avs_params *p, const char *prefix, int blocks,
                                        const avs_block_spec *first, int nonlocal, avs_tensor *x) {
  char name[AVS_NAME_MAX];
  for (int i = 0; i < blocks; i++) {
    avs_block_spec s = *first;
    if (i) s.in = s.out, s.stride = 1, s.dilation1 = 0;
    avs_unit_name(name, "%s.%d", prefix, i);
    x = avs_basic_block_forward(ctx, p, name, &s, x);
    if (nonlocal >> i & 1) x = avs_nonlocal_after_forward(ctx, p, name, false, x);
  }
  return x;
}

int avs_resnet_layer_declare(avs_params *p, const char *prefix, int blocks, const avs_block_spec *first) {
  return avs_resnet_layer_declare_nl(p, prefix, blocks, first, 0);
}

avs_tensor *avs_resnet_layer_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int blocks,
                                     const avs_block_spec *first, avs_tensor *x) {
  return avs_resnet_layer_forward_nl(ctx, p, prefix, blocks, first, 0, x);
}
