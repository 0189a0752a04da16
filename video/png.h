/* PNG stills, written with FFmpeg's PNG encoder (no other dependency). */
#ifndef AVS_VIDEO_PNG_H
#define AVS_VIDEO_PNG_H

#include <stdint.h>

#include "video/image.h"

/* w x h RGB24 pixels to path (an app passes its temporary name). */
int avs_png_write(const char *path, const uint8_t *rgb, int w, int h);
int avs_png_write_image(const char *path, const avs_image *im);

#endif
