/* Sound of Pixels' frame net, models/vision_net.py ResnetDilated
 * (resnet18dilated, dilate_scale 16, pool_type maxpool) with the img
 * activation sigmoid:
 *
 *   every frame: features = resnet18 conv1 .. layer4, layer4 dilated by 2
 *                (output stride 16: 224 -> 14 x 14, 8 width channels)
 *                fc = 3x3 conv, pad 1, bias: 8 width -> K
 *   pooled:      max over T, H', W' (adaptive_max_pool3d) -> sigmoid (N, K)
 *   per pixel:   max over T -> sigmoid (N, H', W', K)
 *
 * The reference leaves the temporal pooling of its pixel-wise maps to the
 * caller; max over T keeps the pooled vector the maximum of the pixel ones. */
#include "av/ops.h"
#include "av/status.h"
#include "fusion/sop.h"
#include "nn/resnet18.h"
#include "nn/unit.h"

static avs_resnet18_spec trunk(const avs_sop_cfg *c) {
  return (avs_resnet18_spec){.in_channels = 3, .width = c->frame_width, .dilate = {0, 0, 0, 2}, .sequential = true};
}

static avs_conv_spec fc_spec(const avs_sop_cfg *c) {
  return (avs_conv_spec){2, avs_resnet18_features(c->frame_width), c->channels, {3, 3}, {1, 1}, {1, 1}, true, {0}};
}

int avs_sop_frame_declare(avs_params *p, const avs_sop_cfg *cfg) {
  avs_resnet18_spec s = trunk(cfg);
  avs_conv_spec fc = fc_spec(cfg);
  int rc = avs_resnet18_declare(p, "features.", &s);
  return rc ? rc : avs_unit_declare_conv(p, "fc", &fc);
}

/* frames (N, T, H, W, 3) -> fc's maps as (N, T, H' W', K); H', W' into *h, *w. */
static avs_tensor *frame_maps(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *c, avs_tensor *x, int64_t *h,
                              int64_t *w) {
  if (!x) return NULL;
  if (x->ndim != 5 || x->shape[4] != 3) {
    char got[64];
    avs_seterr(AVS_ESHAPE, "sop frame net takes frames (N, T, H, W, 3), got %s",
               avs_shape_str(x->ndim, x->shape, got, sizeof got));
    return NULL;
  }
  int64_t n = x->shape[0], t = x->shape[1];
  avs_resnet18_spec s = trunk(c);
  avs_conv_spec fc = fc_spec(c);
  x = avs_reshape(ctx, x, 4, AVS_SHAPE(n * t, x->shape[2], x->shape[3], 3));
  x = avs_unit_conv(ctx, p, "fc", &fc, avs_resnet18_map(ctx, p, "features.", &s, x));
  if (!x) return NULL;
  *h = x->shape[1], *w = x->shape[2];
  return avs_reshape(ctx, x, 4, AVS_SHAPE(n, t, *h * *w, c->channels));
}

avs_tensor *avs_sop_frame_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *frames) {
  int64_t h, w;
  avs_tensor *x = frame_maps(ctx, p, cfg, frames, &h, &w);
  if (!x) return NULL;
  x = avs_max_pool2d(ctx, x, (avs_pool){.kernel = {(int)x->shape[1], (int)x->shape[2]}});
  return avs_sigmoid(ctx, avs_reshape(ctx, x, 2, AVS_SHAPE(frames->shape[0], cfg->channels)));
}

avs_tensor *avs_sop_frame_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *frames) {
  int64_t h, w;
  avs_tensor *x = frame_maps(ctx, p, cfg, frames, &h, &w);
  if (!x) return NULL;
  x = avs_max_pool2d(ctx, x, (avs_pool){.kernel = {(int)x->shape[1], 1}});
  return avs_sigmoid(ctx, avs_reshape(ctx, x, 4, AVS_SHAPE(frames->shape[0], h, w, cfg->channels)));
}
