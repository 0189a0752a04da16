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

/* The frames of the video at path nearest to each of times[0..n) (seconds),
 * RGB at the video's own size, upright: out[i] (release each). One
 * sequential decode. */
int avs_image_frames_at(const char *path, const double *times, int n, avs_image *out);

#endif
