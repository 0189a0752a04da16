/* Stills: PNG or JPEG, written with FFmpeg's encoders (no other dependency). */
#ifndef AVS_VIDEO_PNG_H
#define AVS_VIDEO_PNG_H

#include <stdint.h>

#include "video/image.h"

typedef enum { AVS_STILL_PNG, AVS_STILL_JPEG } avs_still_format;
/* The format a file name asks for: .png, or .jpg/.jpeg (any case);
 * AVS_EUNSUPPORTED for any other name. */
int avs_still_format_of(const char *path, avs_still_format *out);
/* w x h RGB24 pixels to path as PNG, or as JPEG (FFmpeg's mjpeg encoder:
 * full-range 4:2:0, quality 2 of 31). An app passes its temporary name and
 * the format of the final one. */
int avs_still_write(const char *path, const uint8_t *rgb, int w, int h, avs_still_format format);
/* avs_still_write as PNG. */
int avs_png_write(const char *path, const uint8_t *rgb, int w, int h);
int avs_png_write_image(const char *path, const avs_image *im);

#endif
