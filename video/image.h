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

#endif
