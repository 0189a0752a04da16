#include "video/image.h"

#include <math.h>
#include <stdbool.h>
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

struct avs_frame_cursor {
  avs_video *v;
  avs_prep *prep;
  avs_image cur, next; /* decoded frames around the time asked */
  double t_cur, t_next;
  int have;            /* frames held: 0, 1 (cur) or 2 (cur, next) */
  bool ended;
};

void avs_frame_cursor_free(avs_frame_cursor **cp) {
  avs_frame_cursor *c = cp ? *cp : NULL;
  if (!c) return;
  avs_image_release(&c->cur), avs_image_release(&c->next);
  avs_prep_free(&c->prep);
  avs_video_free(&c->v);
  free(c);
  *cp = NULL;
}

int avs_frame_cursor_open(const char *path, avs_frame_cursor **out) {
  *out = NULL;
  avs_frame_cursor *c = calloc(1, sizeof *c);
  if (!c) return avs_seterr(AVS_ENOMEM, "out of memory");
  int rc = avs_video_open(path, NULL, &c->v);
  if (!rc) rc = avs_prep_new(&(avs_geom){0}, NULL, &c->prep);
  if (rc) avs_frame_cursor_free(&c);
  *out = c;
  return rc;
}

/* Decodes one frame into *im; 0 at the end. */
static int decode_into(avs_frame_cursor *c, avs_image *im, double *t) {
  int step = avs_video_next(c->v, t);
  if (step <= 0) return step;
  int fw, fh;
  avs_video_frame_size(c->v, &fw, &fh);
  int rc = AVS_OK;
  if (!im->px) {
    int ow, oh;
    if (!(rc = avs_prep_set_source(c->prep, fw, fh))) {
      avs_prep_out_size(c->prep, &ow, &oh);
      rc = avs_image_alloc(im, ow, oh);
    }
  }
  if (!rc) rc = avs_prep_frame(c->prep, c->v, im->px, NULL);
  return rc ? rc : 1;
}

int avs_frame_cursor_at(avs_frame_cursor *c, double t, avs_image *out) {
  int step;
  if (!c->have) {
    if ((step = decode_into(c, &c->cur, &c->t_cur)) < 0) return step;
    if (!step) return avs_seterr(AVS_EFORMAT, "no video frames could be decoded (%s)", avs_video_path(c->v));
    c->have = 1;
  }
  /* Advance while the next frame is nearer to t than the current one. */
  for (;;) {
    if (c->have == 1 && !c->ended) {
      if ((step = decode_into(c, &c->next, &c->t_next)) < 0) return step;
      if (step) c->have = 2;
      else c->ended = true;
    }
    if (c->have < 2 || fabs(c->t_next - t) > fabs(c->t_cur - t)) break;
    avs_image tmp = c->cur;
    c->cur = c->next, c->next = tmp;
    c->t_cur = c->t_next;
    c->have = 1;
  }
  if (!out->px && avs_image_alloc(out, c->cur.w, c->cur.h)) return avs_errcode();
  if (out->w != c->cur.w || out->h != c->cur.h) return avs_seterr(AVS_EINVAL, "frame size changed within the video");
  memcpy(out->px, c->cur.px, (size_t)c->cur.w * c->cur.h * 3);
  return AVS_OK;
}

int avs_image_frames_at(const char *path, const double *times, int n, avs_image *out) {
  for (int i = 0; i < n; i++) memset(&out[i], 0, sizeof out[i]);
  avs_frame_cursor *c = NULL;
  int rc = avs_frame_cursor_open(path, &c);
  for (int i = 0; !rc && i < n; i++) rc = avs_frame_cursor_at(c, times[i], &out[i]);
  if (rc)
    for (int i = 0; i < n; i++) avs_image_release(&out[i]);
  avs_frame_cursor_free(&c);
  return rc;
}
