/* Optical flow as colour (the Middlebury colour wheel of Baker et al., "A
 * Database and Evaluation Methodology for Optical Flow", 2011): hue gives the
 * direction, saturation the magnitude; zero flow is white. */
#ifndef AVS_VIDEO_FLOW_VIS_H
#define AVS_VIDEO_FLOW_VIS_H

#include <stdint.h>

/* flow (h, w, 2) in pixels to rgb (w*h*3 bytes). Magnitudes are divided by
 * max_mag (<= 0: the largest finite magnitude in this flow); beyond 1 the
 * colour is darkened. Returns the max_mag used (so a video can keep it fixed). */
float avs_flow_vis(const float *flow, int w, int h, float max_mag, uint8_t *rgb);

#endif
