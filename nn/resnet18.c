/* 2-D ResNet-18 trunk (see resnet18.h). */
#include "av/ops.h"
#include "nn/basic_block.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

static avs_conv_spec conv1_spec(int in_channels, int width) {
  return (avs_conv_spec){2, in_channels, width, {7, 7}, {2, 2}, {3, 3}, false, {0}};
}

/* layer i+1: width << i channels, from width << (i-1) (conv1's width for
 * layer1), stride 2 after layer1 unless traded for dilation or dropped (resnet18.h). */
static avs_block_spec stage(int i, const avs_resnet18_spec *s) {
  int w = s->width, d = s->dilate[i] > 1 ? s->dilate[i] : 1, stride = i && !s->no_stride[i] ? 2 : 1;
  return (avs_block_spec){i ? w << (i - 1) : w, w << i, d > 1 ? 1 : stride, AVS_BLOCK_CONV2D,
                          .dilation = d, .dilation1 = stride > 1 ? d / 2 : d};
}

/* Name of conv1 (0), bn1 (1), maxpool (3) or layer i (4 + i - 1). */
static char *part(char *buf, const char *prefix, const avs_resnet18_spec *s, int index) {
  static const char *const own[] = {"conv1", "bn1", "relu", "maxpool"};
  if (s->sequential) return avs_unit_name(buf, "%s%d", prefix, index);
  if (index < 4) return avs_unit_name(buf, "%s%s", prefix, own[index]);
  return avs_unit_name(buf, "%slayer%d", prefix, index - 3);
}

int avs_resnet18_declare(avs_params *p, const char *prefix, const avs_resnet18_spec *s) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  avs_conv_spec c1 = conv1_spec(s->in_channels, s->width);
  int rc = avs_unit_declare(p, part(a, prefix, s, 0), part(b, prefix, s, 1), &c1);
  for (int i = 0; !rc && i < 4; i++) {
    avs_block_spec st = stage(i, s);
    rc = avs_resnet_layer_declare(p, part(a, prefix, s, 4 + i), 2, &st);
  }
  return rc;
}

avs_tensor *avs_resnet18_map(avs_ctx *ctx, const avs_params *p, const char *prefix, const avs_resnet18_spec *s,
                             avs_tensor *x) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  avs_conv_spec c1 = conv1_spec(s->in_channels, s->width);
  x = avs_unit_forward(ctx, p, part(a, prefix, s, 0), part(b, prefix, s, 1), &c1, x, true);
  x = avs_unit_max_pool(ctx, part(a, prefix, s, 3), 2, x,
                        (avs_pool){.kernel = {3, 3}, .stride = {2, 2}, .pad = {1, 1}});
  for (int i = 0; i < 4; i++) {
    avs_block_spec st = stage(i, s);
    x = avs_resnet_layer_forward(ctx, p, part(a, prefix, s, 4 + i), 2, &st, x);
  }
  return x;
}

int avs_resnet18_trunk_declare(avs_params *p, const char *prefix, int in_channels, int width) {
  return avs_resnet18_declare(p, prefix, &(avs_resnet18_spec){.in_channels = in_channels, .width = width});
}

avs_tensor *avs_resnet18_trunk_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int in_channels,
                                       int width, avs_tensor *x) {
  avs_resnet18_spec s = {.in_channels = in_channels, .width = width};
  x = avs_adaptive_avg_pool2d(ctx, avs_resnet18_map(ctx, p, prefix, &s, x), 1, 1);
  return x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], avs_resnet18_features(width))) : NULL;
}

avs_tensor *avs_resnet18_frame_features(avs_ctx *ctx, const avs_params *p, const char *prefix, int width,
                                        avs_tensor *clip) {
  if (!clip) return NULL;
  int64_t n = clip->shape[0], t = clip->shape[1], c = clip->shape[4];
  avs_tensor *frames = avs_reshape(ctx, clip, 4, AVS_SHAPE(n * t, clip->shape[2], clip->shape[3], c));
  avs_tensor *f = avs_resnet18_trunk_forward(ctx, p, prefix, (int)c, width, frames);
  return avs_reshape(ctx, f, 3, AVS_SHAPE(n, t, avs_resnet18_features(width)));
}

avs_tensor *avs_models_mean_over_time(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  int64_t n = x->shape[0], t = x->shape[1], c = x->shape[2];
  /* (N, T, 1, C) as an image: averaging over its T x 1 plane is the mean over T. */
  x = avs_adaptive_avg_pool2d(ctx, avs_reshape(ctx, x, 4, AVS_SHAPE(n, t, 1, c)), 1, 1);
  return avs_reshape(ctx, x, 2, AVS_SHAPE(n, c));
}
