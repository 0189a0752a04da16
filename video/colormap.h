/* Colour maps for heatmaps: jet (MATLAB's), inferno (matplotlib's, as a
 * piecewise-linear approximation through 9 anchors) and gray. */
#ifndef AVS_VIDEO_COLORMAP_H
#define AVS_VIDEO_COLORMAP_H

#include <stdint.h>

typedef enum { AVS_CMAP_JET = 0, AVS_CMAP_INFERNO, AVS_CMAP_GRAY } avs_cmap;

/* "jet", "inferno", "gray" -> avs_cmap; AVS_EINVAL otherwise. */
int avs_cmap_parse(const char *name, avs_cmap *out);
/* Colour of x in [0, 1] (clamped; NaN counts as 0). */
void avs_cmap_rgb(avs_cmap m, float x, uint8_t rgb[3]);

#endif
