#include "video/image.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"

int avs_image_alloc(avs_image *im, int w, int h) {
  memset(im, 0, sizeof *im);
  if (w <= 0 || h <= 0 || w > AVS_VIDEO_MAX_SIDE || h > AVS_VIDEO_MAX_SIDE)
    return avs_seterr(AVS_EINVAL, "image size %dx%d is outside 1..%d", w, h, AVS_VIDEO_MAX_SIDE);
  if (!(im->px = calloc((size_t)w * h, 3))) return avs_seterr(AVS_ENOMEM, "out of memory for a %dx%d image", w, h);
  im->w = w;
  im->h = h;
  return 0;
}

void avs_image_release(avs_image *im) {
  free(im->px);
  memset(im, 0, sizeof *im);
}

int avs_image_from_float(avs_image *im, const float *rgb, int w, int h, const avs_norm *norm) {
  int rc = avs_image_alloc(im, w, h);
  if (rc) return rc;
  avs_norm raw = {1, {0, 0, 0}, {1, 1, 1}};
  avs_norm_invert(norm ? norm : &raw, rgb, (int64_t)w * h, im->px);
  return 0;
}
