/* Co-Separation's two ResNet-18s, models/networks.py Resnet18 (one class in
 * the reference, built twice by models/models.py):
 *
 *   net_visual      feature_extraction = conv1 (3 channels), bn1, relu, maxpool, layer1-4
 *                   maxpool: adaptive max pool -> (N, 8 width)
 *                   conv1x1: conv1x1.0 1x1 conv (bias) 8 width -> 2 width, conv1x1.1 BN, ReLU,
 *                   flatten in (C, H, W) order, fc Linear -> visual_dim
 *   net_classifier  the same trunk with a 1-channel conv1, max pool, fc 8 width -> classes
 *
 * Both trunks are nn/resnet18.h's with nn.Sequential names ("feature_extraction.0" is
 * conv1, "feature_extraction.4" layer1). */
#include "av/ops.h"
#include "av/status.h"
#include "fusion/cosep.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

#define VISUAL "net_visual."
#define CLASSIFIER "net_classifier."

static avs_resnet18_spec trunk(int in_channels, int width) {
  return (avs_resnet18_spec){.in_channels = in_channels, .width = width, .sequential = true};
}

/* Side of layer4's map for a crop side: conv1, the max pool and layers 2-4 each halve it, rounding up. */
static int map_side(int side) {
  for (int i = 0; i < 5; i++) side = (side + 1) / 2;
  return side;
}

static avs_conv_spec conv1x1_spec(const avs_cosep_cfg *c) {
  return (avs_conv_spec){2, avs_resnet18_features(c->visual_width), 2 * c->visual_width, {1, 1}, {1, 1}, {0, 0},
                         true, {0}};
}

int avs_cosep_visual_declare(avs_params *p, const avs_cosep_cfg *c) {
  avs_resnet18_spec s = trunk(3, c->visual_width);
  int rc = avs_resnet18_declare(p, VISUAL "feature_extraction.", &s);
  if (rc || !c->conv1x1) return rc;
  avs_conv_spec k = conv1x1_spec(c);
  int side = map_side(c->crop);
  rc = avs_unit_declare_conv(p, VISUAL "conv1x1.0", &k);
  if (!rc) rc = avs_unit_declare_bn(p, VISUAL "conv1x1.1", k.out);
  return rc ? rc : avs_unit_declare_linear(p, VISUAL "fc", k.out * side * side, c->visual_dim);
}

int avs_cosep_classifier_declare(avs_params *p, const avs_cosep_cfg *c) {
  avs_resnet18_spec s = trunk(1, c->classifier_width);
  int rc = avs_resnet18_declare(p, CLASSIFIER "feature_extraction.", &s);
  return rc ? rc : avs_unit_declare_linear(p, CLASSIFIER "fc", avs_resnet18_features(c->classifier_width), c->classes);
}

/* The map (N, H', W', C) max-pooled over H', W' -> (N, C). */
static avs_tensor *global_max(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  avs_tensor *y = avs_max_pool2d(ctx, x, (avs_pool){.kernel = {(int)x->shape[1], (int)x->shape[2]}});
  return avs_reshape(ctx, y, 2, AVS_SHAPE(x->shape[0], x->shape[3]));
}

avs_tensor *avs_cosep_visual(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *c, avs_tensor *crops) {
  if (!crops) return NULL;
  if (crops->ndim != 4 || crops->shape[1] != c->crop || crops->shape[2] != c->crop || crops->shape[3] != 3) {
    char got[64];
    avs_seterr(AVS_ESHAPE, "cosep visual net takes crops (N, %d, %d, 3), got %s", c->crop, c->crop,
               avs_shape_str(crops->ndim, crops->shape, got, sizeof got));
    return NULL;
  }
  avs_resnet18_spec s = trunk(3, c->visual_width);
  avs_tensor *x = avs_resnet18_map(ctx, p, VISUAL "feature_extraction.", &s, crops);
  if (!c->conv1x1) return global_max(ctx, x);
  avs_conv_spec k = conv1x1_spec(c);
  x = avs_unit_forward(ctx, p, VISUAL "conv1x1.0", VISUAL "conv1x1.1", &k, x, true);
  x = avs_permute(ctx, x, (const int[]){0, 3, 1, 2}); /* x.view(N, -1) flattens (C, H, W) */
  x = x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], -1)) : NULL;
  return avs_unit_linear(ctx, p, VISUAL "fc", x);
}

avs_tensor *avs_cosep_classify(avs_ctx *ctx, const avs_params *p, const avs_cosep_cfg *c, avs_tensor *mix,
                               avs_tensor *masks) {
  if (!mix || !masks) return NULL;
  if (mix->ndim != 3 || masks->ndim != 3 || mix->numel != masks->numel) {
    char gm[64], gk[64];
    avs_seterr(AVS_ESHAPE, "cosep classifier takes mixtures and masks (N, F, T) alike, got %s and %s",
               avs_shape_str(mix->ndim, mix->shape, gm, sizeof gm),
               avs_shape_str(masks->ndim, masks->shape, gk, sizeof gk));
    return NULL;
  }
  avs_tensor *x = avs_ln(ctx, avs_affine(ctx, avs_mul(ctx, mix, masks), 1.0f, 1e-10f));
  x = avs_reshape(ctx, x, 4, AVS_SHAPE(mix->shape[0], mix->shape[1], mix->shape[2], 1));
  avs_resnet18_spec s = trunk(1, c->classifier_width);
  return avs_unit_linear(ctx, p, CLASSIFIER "fc",
                         global_max(ctx, avs_resnet18_map(ctx, p, CLASSIFIER "feature_extraction.", &s, x)));
}
