/* 2-D ResNet-18 trunk (see resnet18.h). */
#include "av/ops.h"
#include "nn/basic_block.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

static avs_conv_spec conv1_spec(int in_channels, int width) {
  return (avs_conv_spec){2, in_channels, width, {7, 7}, {2, 2}, {3, 3}, false};
}

/* layer i+1: width << i channels, from width << (i-1) (conv1's width for layer1) */
static avs_block_spec stage(int i, int width) {
  return (avs_block_spec){i ? width << (i - 1) : width, width << i, i ? 2 : 1, AVS_BLOCK_CONV2D};
}

int avs_resnet18_trunk_declare(avs_params *p, const char *prefix, int in_channels, int width) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  avs_conv_spec c1 = conv1_spec(in_channels, width);
  int rc = avs_unit_declare(p, avs_unit_name(a, "%sconv1", prefix), avs_unit_name(b, "%sbn1", prefix), &c1);
  for (int i = 0; !rc && i < 4; i++) {
    avs_block_spec s = stage(i, width);
    rc = avs_resnet_layer_declare(p, avs_unit_name(a, "%slayer%d", prefix, i + 1), 2, &s);
  }
  return rc;
}

avs_tensor *avs_resnet18_trunk_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int in_channels,
                                       int width, avs_tensor *x) {
  char a[AVS_NAME_MAX], b[AVS_NAME_MAX];
  avs_conv_spec c1 = conv1_spec(in_channels, width);
  x = avs_unit_forward(ctx, p, avs_unit_name(a, "%sconv1", prefix), avs_unit_name(b, "%sbn1", prefix), &c1, x, true);
  x = avs_unit_max_pool(ctx, avs_unit_name(a, "%smaxpool", prefix), 2, x,
                        (avs_pool){.kernel = {3, 3}, .stride = {2, 2}, .pad = {1, 1}});
  for (int i = 0; i < 4; i++) {
    avs_block_spec s = stage(i, width);
    x = avs_resnet_layer_forward(ctx, p, avs_unit_name(a, "%slayer%d", prefix, i + 1), 2, &s, x);
  }
  x = avs_adaptive_avg_pool2d(ctx, x, 1, 1);
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
