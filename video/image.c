#include "video/image.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/decode.h"

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

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void avs_image_crop_resize(const avs_image *im, const float box[4], int w, int h, const avs_norm *norm, float *out) {
  avs_norm raw = {1, {0, 0, 0}, {1, 1, 1}};
  const avs_norm *nm = norm ? norm : &raw;
  float sx = (box[2] - box[0]) / (float)w, sy = (box[3] - box[1]) / (float)h;
  for (int y = 0; y < h; y++) {
    float fy = clampf(box[1] + (y + 0.5f) * sy - 0.5f, 0, (float)(im->h - 1));
    int y0 = (int)fy, y1 = y0 + 1 < im->h ? y0 + 1 : y0;
    float ay = fy - (float)y0;
    for (int x = 0; x < w; x++) {
      float fx = clampf(box[0] + (x + 0.5f) * sx - 0.5f, 0, (float)(im->w - 1));
      int x0 = (int)fx, x1 = x0 + 1 < im->w ? x0 + 1 : x0;
      float ax = fx - (float)x0;
      const uint8_t *p00 = im->px + ((size_t)y0 * im->w + x0) * 3, *p01 = im->px + ((size_t)y0 * im->w + x1) * 3;
      const uint8_t *p10 = im->px + ((size_t)y1 * im->w + x0) * 3, *p11 = im->px + ((size_t)y1 * im->w + x1) * 3;
      float *o = out + ((size_t)y * w + x) * 3;
      for (int c = 0; c < 3; c++) {
        float v = (1 - ay) * ((1 - ax) * p00[c] + ax * p01[c]) + ay * ((1 - ax) * p10[c] + ax * p11[c]);
        o[c] = (v * nm->scale - nm->mean[c]) / nm->std[c];
      }
    }
  }
}

int avs_image_frames_at(const char *path, const double *times, int n, avs_image *out) {
  for (int i = 0; i < n; i++) memset(&out[i], 0, sizeof out[i]);
  avs_video *v = NULL;
  avs_prep *prep = NULL;
  double *best = malloc(sizeof *best * (size_t)(n ? n : 1));
  int rc = best ? avs_video_open(path, NULL, &v) : avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc) rc = avs_prep_new(&(avs_geom){0}, NULL, &prep);
  for (int i = 0; i < n && best; i++) best[i] = 1e300;
  double t;
  int got = 0, step;
  while (!rc && (step = avs_video_next(v, &t)) > 0) {
    got++;
    int fw, fh;
    avs_video_frame_size(v, &fw, &fh);
    for (int i = 0; !rc && i < n; i++) {
      double d = t > times[i] ? t - times[i] : times[i] - t;
      if (d >= best[i]) continue;
      best[i] = d;
      if (!out[i].px) {
        rc = avs_prep_set_source(prep, fw, fh);
        int ow, oh;
        avs_prep_out_size(prep, &ow, &oh);
        if (!rc) rc = avs_image_alloc(&out[i], ow, oh);
      }
      if (!rc) rc = avs_prep_frame(prep, v, out[i].px, NULL);
    }
  }
  if (!rc && step < 0) rc = step;
  if (!rc && !got) rc = avs_seterr(AVS_EFORMAT, "no video frames could be decoded (%s)", path);
  if (rc)
    for (int i = 0; i < n; i++) avs_image_release(&out[i]);
  avs_prep_free(&prep);
  avs_video_free(&v);
  free(best);
  return rc;
}
