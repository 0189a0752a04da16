/* RGB24 images (w x h pixels, rows of 3*w bytes, no padding): what overlays
 * draw on and what the video and PNG writers take. */
#ifndef AVS_VIDEO_IMAGE_H
#define AVS_VIDEO_IMAGE_H

#include <stdint.h>

#include "video/preprocess.h"

typedef struct {
  int w, h;
  uint8_t *px;
} avs_image;

/* Allocates a black w x h image into *im (sides 1..AVS_VIDEO_MAX_SIDE). */
int avs_image_alloc(avs_image *im, int w, int h);
/* Frees the pixels and zeroes *im; safe on a zeroed image. */
void avs_image_release(avs_image *im);
/* Allocates *im from a (h, w, 3) float frame normalised as norm says (NULL: 0..255). */
int avs_image_from_float(avs_image *im, const float *rgb, int w, int h, const avs_norm *norm);

/* The box [x0, x1) x [y0, y1) of im (pixels, may reach outside: edge pixels
 * repeat) resized to w x h with bilinear sampling (pixel centres, as
 * align_corners=False), normalised as norm (NULL: raw) into out (h, w, 3). */
void avs_image_crop_resize(const avs_image *im, const float box[4], int w, int h, const avs_norm *norm, float *out);

/* Frames of a video by time, forward only: one sequential decode keeps the
 * frame before and the frame after the time asked, so memory stays two
 * frames whatever the video's length. */
typedef struct avs_frame_cursor avs_frame_cursor;
int avs_frame_cursor_open(const char *path, avs_frame_cursor **out);
void avs_frame_cursor_free(avs_frame_cursor **c);
/* The frame nearest to t (seconds; t never decreasing between calls), RGB at
 * the video's own size, into *out (allocated on the first call, reused). */
int avs_frame_cursor_at(avs_frame_cursor *c, double t, avs_image *out);

/* The frames nearest to times[0..n) (non-decreasing): out[i] (release each). */
int avs_image_frames_at(const char *path, const double *times, int n, avs_image *out);

#endif
