/* Drawing on RGB24 images: heatmaps alpha-blended through a colour map,
 * boxes, and text labels in the built-in 5x7 font. Everything is clipped to
 * the image; nothing here allocates except the heatmap's row cache. */
#ifndef AVS_VIDEO_OVERLAY_H
#define AVS_VIDEO_OVERLAY_H

#include <stdint.h>

#include "video/colormap.h"
#include "video/image.h"

/* heat is hh x hw floats (row-major). It is stretched over the whole image
 * (bilinear, pixel centres aligned as in torch's align_corners=False), mapped
 * to [0, 1] through [lo, hi] (lo >= hi: the heatmap's own min and max), coloured
 * with cmap and blended: pixel = (1 - alpha) * pixel + alpha * colour. */
int avs_overlay_heatmap(avs_image *im, const float *heat, int hw, int hh, avs_cmap cmap, float alpha, float lo,
                        float hi);
/* The outline of the box [x0, x1] x [y0, y1] (inclusive), thickness pixels
 * wide, drawn inwards. */
void avs_overlay_box(avs_image *im, int x0, int y0, int x1, int y1, const uint8_t rgb[3], int thickness);
/* A filled rectangle blended with alpha (1: opaque). */
void avs_overlay_fill(avs_image *im, int x0, int y0, int x1, int y1, const uint8_t rgb[3], float alpha);
/* Text with its top-left corner at (x, y), each font pixel a scale x scale
 * block; '\n' starts a new line. bg (may be NULL) fills the text's cells first. */
void avs_overlay_text(avs_image *im, int x, int y, const char *text, const uint8_t rgb[3], int scale,
                      const uint8_t *bg);
/* Size in pixels that avs_overlay_text covers. */
void avs_overlay_text_size(const char *text, int scale, int *w, int *h);

#endif
