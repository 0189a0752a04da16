/* Drawing into float RGB frames (H, W, 3, values in [0, 1], channels-last).
 * Shapes are signed-distance functions evaluated in a shape's own local
 * coordinates, so edges are anti-aliased without supersampling and textures
 * move, scale and turn with the shape. A glyph is a list of parts drawn in
 * order (painter's algorithm) under one transform (centre, scale, angle). */
#ifndef AVS_DATA_DRAW_H
#define AVS_DATA_DRAW_H

#include <stdint.h>

#include "av/rng.h"

typedef struct {
  int w, h;
  float *px; /* h*w*3 */
} avs_canvas;

typedef enum {
  AVS_SHAPE_ELLIPSE, /* a = (rx, ry) */
  AVS_SHAPE_BOX,     /* a = (half width, half height), r = corner radius */
  AVS_SHAPE_CAPSULE, /* segment (a0,a1)-(b0,b1) with radius r */
  AVS_SHAPE_TRIANGLE,/* corners (a0,a1) (b0,b1) (c0,c1) */
  AVS_SHAPE_RING,    /* ellipse outline: a = radii, r = half thickness */
} avs_shape;

typedef enum {
  AVS_TEX_NONE,
  AVS_TEX_STRIPES, /* p0 = frequency (cycles per unit), p1 = angle (rad) */
  AVS_TEX_CHECKER, /* p0 = cells per unit */
  AVS_TEX_DOTS,    /* p0 = dots per unit, p1 = dot radius (fraction of cell) */
  AVS_TEX_RINGS,   /* p0 = rings per unit around the part's origin */
  AVS_TEX_GRAIN,   /* wood grain: p0 = frequency, p1 = waviness */
  AVS_TEX_NOISE,   /* value noise: p0 = frequency */
  AVS_TEX_GRADIENT,/* p1 = angle: col -> col2 across the part */
} avs_texture;

typedef struct {
  avs_shape shape;
  float cx, cy, angle; /* placement of the part in glyph units */
  float a0, a1, b0, b1, c0, c1, r;
  float col[3], col2[3]; /* texture mixes col and col2 */
  avs_texture tex;
  float p0, p1;
  float alpha;           /* 0 means 1 */
  uint32_t seed;         /* for the noise texture */
} avs_part;

#define AVS_GLYPH_MAX_PARTS 32
typedef struct {
  int n;
  avs_part part[AVS_GLYPH_MAX_PARTS];
  float x0, y0, x1, y1; /* extent in glyph units (computed by avs_glyph_bounds) */
} avs_glyph;

typedef struct {
  float cx, cy;       /* centre in pixels */
  float scale_x, scale_y; /* pixels per glyph unit */
  float angle;        /* radians; positive turns clockwise on screen (y points down) */
  float gain;         /* brightness multiplier (1 = as designed) */
} avs_place;

typedef struct { float x0, y0, x1, y1; } avs_rect; /* pixels, [x0, x1) x [y0, y1) */

/* Signed distance of point (x, y) in the part's frame to the part's edge (negative inside). */
float avs_part_sdf(const avs_part *p, float x, float y);
/* Computes g->x0..y1 from the parts. */
void avs_glyph_bounds(avs_glyph *g);
/* Screen box of the glyph under a placement (not clipped). */
avs_rect avs_glyph_box(const avs_glyph *g, const avs_place *pl);
avs_rect avs_rect_clip(avs_rect r, int w, int h);
/* Draws the glyph; returns the tight box of its pixels that are at least half
 * covered (clipped to the canvas; all zero when nothing was drawn). */
avs_rect avs_glyph_draw(avs_canvas *c, const avs_glyph *g, const avs_place *pl);
/* Draws one part directly (used for clutter). */
void avs_part_draw(avs_canvas *c, const avs_part *p, const avs_place *pl);

/* Background: a two-colour gradient with low-frequency noise, then n random
 * clutter shapes. Deterministic in rng. */
void avs_draw_background(avs_canvas *c, avs_rng *rng, int n_clutter, float contrast);
/* A scene's backdrop, as every kind draws it: a new w*h*3 image (free it; NULL
 * + AVS_ENOMEM) with about clutter_mean clutter shapes (uniform over
 * [mean/2, mean*3/2]) and a contrast drawn from [contrast_lo, contrast_hi). */
float *avs_scene_backdrop(int w, int h, int clutter_mean, float contrast_lo, float contrast_hi, avs_rng *rng);
/* Random lighting map (h*w*3): overall gain, a directional gradient, a colour tint. */
void avs_light_random(float *light, int w, int h, avs_rng *rng, float strength);
/* px *= light, clamped to [0, 1]. */
void avs_light_apply(avs_canvas *c, const float *light);

/* A random textured part (shape, colours, texture) of about unit size. */
void avs_part_random(avs_part *p, avs_rng *rng);
/* Hue/saturation/value to RGB, all in [0, 1]. */
void avs_hsv(float h, float s, float v, float rgb[3]);
float avs_rng_range(avs_rng *r, float lo, float hi);

#endif
