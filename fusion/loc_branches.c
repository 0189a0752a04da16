/* The localizers' shared parts (see loc_branches.h). */
#include "fusion/loc_branches.h"

#include "av/ops.h"
#include "av/status.h"

#define LOC_MAX_SIZE 4096
#define LOC_MAX_SECONDS 60

avs_resnet18_spec avs_loc_image_spec(const avs_loc_cfg *c, bool stride16) {
  return (avs_resnet18_spec){.in_channels = 3, .width = c->width, .no_stride = {false, false, false, stride16}};
}

avs_resnet18_spec avs_loc_audio_spec(const avs_loc_cfg *c, bool stride16) {
  return (avs_resnet18_spec){.in_channels = 1, .width = c->audio_width, .no_stride = {false, false, false, stride16}};
}

int avs_loc_cfg_check(const avs_loc_cfg *c, const char *arch) {
  if (c->width < 1 || c->audio_width < 1 || c->dim < 1)
    return avs_seterr(AVS_EINVAL, "%s: width %d, audio_width %d and dim %d must be positive", arch, c->width,
                      c->audio_width, c->dim);
  if (c->size < 32 || c->size > LOC_MAX_SIZE)
    return avs_seterr(AVS_EINVAL, "%s: image size %d is outside [32, %d]", arch, c->size, LOC_MAX_SIZE);
  if (c->rate < 1000 || c->rate > 192000)
    return avs_seterr(AVS_EINVAL, "%s: audio rate %d Hz is outside [1000, 192000]", arch, c->rate);
  /* the audio trunk halves the spectrogram five times: 32 segments at least */
  int min_samples = AVS_LOC_NFFT + 31 * AVS_LOC_HOP;
  if (c->samples < min_samples || c->samples > LOC_MAX_SECONDS * c->rate)
    return avs_seterr(AVS_EINVAL, "%s: audio window of %d samples is outside [%d, %d s]", arch, c->samples,
                      min_samples, LOC_MAX_SECONDS);
  if (!(c->tau > 0) || !(c->temperature > 0))
    return avs_seterr(AVS_EINVAL, "%s: tau %g and temperature %g must be > 0", arch, (double)c->tau,
                      (double)c->temperature);
  if (!(c->alpha >= 0 && c->alpha <= 1))
    return avs_seterr(AVS_EINVAL, "%s: alpha %g is outside [0, 1]", arch, (double)c->alpha);
  return AVS_OK;
}

void avs_loc_cfg_geometry(const avs_loc_cfg *c, avs_loc_geometry *g) {
  *g = (avs_loc_geometry){.rate = c->rate, .samples = c->samples, .n_fft = AVS_LOC_NFFT, .hop = AVS_LOC_HOP,
                          .bins = AVS_LOC_NFFT / 2 + 1, .time = (c->samples - AVS_LOC_NFFT) / AVS_LOC_HOP + 1,
                          .height = c->size, .width = c->size, .norm = "imagenet"};
}

int avs_loc_grid_side(const avs_loc_cfg *c, bool stride16) {
  int s = c->size;
  for (int i = 0; i < (stride16 ? 4 : 5); i++) s = (s + 1) / 2; /* conv1, max pool, layer2, layer3, layer4 */
  return s;
}

avs_tensor *avs_loc_image_map(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, bool stride16,
                              avs_tensor *images) {
  avs_resnet18_spec s = avs_loc_image_spec(c, stride16);
  return avs_resnet18_map(ctx, p, "imgnet.", &s, images);
}

avs_tensor *avs_loc_audio_vector(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, bool stride16,
                                 avs_tensor *spec) {
  avs_resnet18_spec s = avs_loc_audio_spec(c, stride16);
  avs_tensor *x = avs_resnet18_map(ctx, p, "audnet.", &s, spec);
  if (!x) return NULL;
  x = avs_max_pool2d(ctx, x, (avs_pool){.kernel = {(int)x->shape[1], (int)x->shape[2]}});
  return x ? avs_reshape(ctx, x, 2, AVS_SHAPE(x->shape[0], x->shape[3])) : NULL;
}

avs_tensor *avs_loc_all_pairs(avs_ctx *ctx, avs_tensor *img, avs_tensor *aud) {
  if (!img || !aud) return NULL;
  int64_t n = img->shape[0], l = img->shape[1], d = img->shape[2], m = aud->shape[0];
  avs_tensor *s = avs_matmul(ctx, avs_reshape(ctx, img, 2, AVS_SHAPE(n * l, d)), aud, false, true);
  s = avs_reshape(ctx, s, 3, AVS_SHAPE(n, l, m));
  return avs_permute(ctx, s, (int[]){0, 2, 1});
}

avs_tensor *avs_loc_own_pairs(avs_ctx *ctx, avs_tensor *img, avs_tensor *aud) {
  if (!img || !aud) return NULL;
  int64_t n = img->shape[0], l = img->shape[1], d = img->shape[2];
  avs_tensor *s = avs_matmul(ctx, img, avs_reshape(ctx, aud, 3, AVS_SHAPE(n, d, 1)), false, false);
  return avs_reshape(ctx, s, 2, AVS_SHAPE(n, l));
}

void avs_loc_normalize_rows(float *x, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; r++) {
    float *xr = x + r * n, lo = xr[0], hi = xr[0];
    for (int64_t j = 1; j < n; j++) lo = xr[j] < lo ? xr[j] : lo, hi = xr[j] > hi ? xr[j] : hi;
    float span = hi - lo;
    for (int64_t j = 0; j < n; j++) xr[j] = span > 0 ? (xr[j] - lo) / span : 0.0f;
  }
}
