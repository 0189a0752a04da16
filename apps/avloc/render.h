/* The overlay avloc writes: a heatmap (already at the frame's size, values in
 * [0, 1]) blended over the frame through a colour map, with a small colour
 * bar from "low" to "high" in the bottom-right corner. */
#ifndef AVS_APP_AVLOC_RENDER_H
#define AVS_APP_AVLOC_RENDER_H

#include "video/colormap.h"
#include "video/image.h"

/* Draws on im (im->w x im->h heat values): pixel = (1 - alpha) pixel +
 * alpha colour(heat). Returns 0 or an AVS_E code. */
int avloc_render(avs_image *im, const float *heat, avs_cmap cmap, float alpha);

/* One map per source, each blended in its own colour (avloc_source_rgb)
 * with opacity alpha x its value, in source order; the legend names the
 * sources' colours. */
int avloc_render_sources(avs_image *im, const float *const *heat, int sources, float alpha);
/* The colour of source j (0-based): the palette avsep uses. */
const uint8_t *avloc_source_rgb(int j);

#endif
