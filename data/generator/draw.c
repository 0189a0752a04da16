/* Anti-aliased signed-distance drawing of textured shapes into float RGB frames. */
#include "data/generator/draw.h"

#include "av/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.2831853f

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }
static float minf(float a, float b) { return a < b ? a : b; }
static float maxf(float a, float b) { return a > b ? a : b; }

float avs_rng_range(avs_rng *r, float lo, float hi) { return lo + (hi - lo) * avs_rng_uniform(r); }

void avs_hsv(float h, float s, float v, float rgb[3]) {
  h = h - floorf(h);
  float hh = h * 6.0f, f = hh - floorf(hh);
  float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch ((int)hh % 6) {
  case 0: rgb[0] = v, rgb[1] = t, rgb[2] = p; break;
  case 1: rgb[0] = q, rgb[1] = v, rgb[2] = p; break;
  case 2: rgb[0] = p, rgb[1] = v, rgb[2] = t; break;
  case 3: rgb[0] = p, rgb[1] = q, rgb[2] = v; break;
  case 4: rgb[0] = t, rgb[1] = p, rgb[2] = v; break;
  default: rgb[0] = v, rgb[1] = p, rgb[2] = q; break;
  }
}

/* ---- signed distances (Inigo Quilez's formulas) ---- */

static float sd_ellipse(float x, float y, float rx, float ry) {
  float k0 = sqrtf((x / rx) * (x / rx) + (y / ry) * (y / ry));
  float k1 = sqrtf((x / (rx * rx)) * (x / (rx * rx)) + (y / (ry * ry)) * (y / (ry * ry)));
  if (k1 < 1e-12f) return -minf(rx, ry);
  return k0 * (k0 - 1.0f) / k1;
}

static float sd_box(float x, float y, float hx, float hy, float r) {
  float qx = fabsf(x) - hx + r, qy = fabsf(y) - hy + r;
  float ox = maxf(qx, 0), oy = maxf(qy, 0);
  return sqrtf(ox * ox + oy * oy) + minf(maxf(qx, qy), 0) - r;
}

static float sd_capsule(float x, float y, float ax, float ay, float bx, float by, float r) {
  float pax = x - ax, pay = y - ay, bax = bx - ax, bay = by - ay;
  float bb = bax * bax + bay * bay;
  float h = bb > 0 ? clampf((pax * bax + pay * bay) / bb, 0, 1) : 0;
  float dx = pax - bax * h, dy = pay - bay * h;
  return sqrtf(dx * dx + dy * dy) - r;
}

static float sd_triangle(float px, float py, const float *p0, const float *p1, const float *p2) {
  float e0x = p1[0] - p0[0], e0y = p1[1] - p0[1], e1x = p2[0] - p1[0], e1y = p2[1] - p1[1];
  float e2x = p0[0] - p2[0], e2y = p0[1] - p2[1];
  float v0x = px - p0[0], v0y = py - p0[1], v1x = px - p1[0], v1y = py - p1[1];
  float v2x = px - p2[0], v2y = py - p2[1];
  float h0 = clampf((v0x * e0x + v0y * e0y) / (e0x * e0x + e0y * e0y), 0, 1);
  float h1 = clampf((v1x * e1x + v1y * e1y) / (e1x * e1x + e1y * e1y), 0, 1);
  float h2 = clampf((v2x * e2x + v2y * e2y) / (e2x * e2x + e2y * e2y), 0, 1);
  float q0x = v0x - e0x * h0, q0y = v0y - e0y * h0;
  float q1x = v1x - e1x * h1, q1y = v1y - e1y * h1;
  float q2x = v2x - e2x * h2, q2y = v2y - e2y * h2;
  float s = e0x * e2y - e0y * e2x > 0 ? 1.0f : -1.0f;
  float d0 = q0x * q0x + q0y * q0y, s0 = s * (v0x * e0y - v0y * e0x);
  float d1 = q1x * q1x + q1y * q1y, s1 = s * (v1x * e1y - v1y * e1x);
  float d2 = q2x * q2x + q2y * q2y, s2 = s * (v2x * e2y - v2y * e2x);
  float d = minf(minf(d0, d1), d2), sg = minf(minf(s0, s1), s2);
  return -sqrtf(d) * (sg > 0 ? 1.0f : -1.0f);
}

static void part_local(const avs_part *p, float x, float y, float *lx, float *ly) {
  float dx = x - p->cx, dy = y - p->cy;
  if (p->angle != 0) {
    float c = cosf(p->angle), s = sinf(p->angle);
    *lx = c * dx + s * dy;
    *ly = -s * dx + c * dy;
  } else {
    *lx = dx;
    *ly = dy;
  }
}

static float sdf_local(const avs_part *p, float x, float y) {
  switch (p->shape) {
  case AVS_SHAPE_ELLIPSE: return sd_ellipse(x, y, p->a0, p->a1);
  case AVS_SHAPE_BOX: return sd_box(x, y, p->a0, p->a1, p->r);
  case AVS_SHAPE_CAPSULE: return sd_capsule(x, y, p->a0, p->a1, p->b0, p->b1, p->r);
  case AVS_SHAPE_TRIANGLE: {
    float a[2] = {p->a0, p->a1}, b[2] = {p->b0, p->b1}, c[2] = {p->c0, p->c1};
    return sd_triangle(x, y, a, b, c);
  }
  case AVS_SHAPE_RING: return fabsf(sd_ellipse(x, y, p->a0, p->a1)) - p->r;
  }
  return 1e9f;
}

float avs_part_sdf(const avs_part *p, float x, float y) {
  float lx, ly;
  part_local(p, x, y, &lx, &ly);
  return sdf_local(p, lx, ly);
}

/* ---- textures ---- */

static float hash2(int x, int y, uint32_t seed) {
  uint32_t h = (uint32_t)x * 0x8da6b343u ^ (uint32_t)y * 0xd8163841u ^ seed * 0xcb1ab31fu;
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  h *= 0x297a2d39u;
  h ^= h >> 15;
  return (float)(h >> 8) * (1.0f / 16777216.0f);
}

static float value_noise(float x, float y, uint32_t seed) {
  float fx = floorf(x), fy = floorf(y);
  int ix = (int)fx, iy = (int)fy;
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  float a = hash2(ix, iy, seed), b = hash2(ix + 1, iy, seed);
  float c = hash2(ix, iy + 1, seed), d = hash2(ix + 1, iy + 1, seed);
  return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
}

static float texture(const avs_part *p, float x, float y) {
  switch (p->tex) {
  case AVS_TEX_NONE: return 0;
  case AVS_TEX_STRIPES: {
    float s = sinf(TWO_PI * p->p0 * (x * cosf(p->p1) + y * sinf(p->p1)));
    return clampf(0.5f + 1.5f * s, 0, 1);
  }
  case AVS_TEX_CHECKER: {
    float s = sinf(TWO_PI * p->p0 * x) * sinf(TWO_PI * p->p0 * y);
    return clampf(0.5f + 3.0f * s, 0, 1);
  }
  case AVS_TEX_DOTS: {
    float u = x * p->p0, v = y * p->p0;
    u -= floorf(u) + 0.5f;
    v -= floorf(v) + 0.5f;
    float d = sqrtf(u * u + v * v) - p->p1;
    return clampf(0.5f - d * 6.0f, 0, 1);
  }
  case AVS_TEX_RINGS: {
    float s = sinf(TWO_PI * p->p0 * sqrtf(x * x + y * y));
    return clampf(0.5f + 1.5f * s, 0, 1);
  }
  case AVS_TEX_GRAIN: {
    float n = value_noise(x * 3, y * 3, p->seed);
    float s = sinf(TWO_PI * p->p0 * (x + p->p1 * sinf(3.0f * y) + 0.15f * n));
    return 0.5f + 0.5f * s;
  }
  case AVS_TEX_NOISE: return value_noise(x * p->p0 + 17.0f, y * p->p0 + 31.0f, p->seed);
  case AVS_TEX_GRADIENT: return clampf(0.5f + 0.6f * (x * cosf(p->p1) + y * sinf(p->p1)), 0, 1);
  }
  return 0;
}

/* ---- extents ---- */

static void part_extent(const avs_part *p, float *x0, float *y0, float *x1, float *y1) {
  float lx0, ly0, lx1, ly1;
  switch (p->shape) {
  case AVS_SHAPE_ELLIPSE: lx0 = -p->a0, lx1 = p->a0, ly0 = -p->a1, ly1 = p->a1; break;
  case AVS_SHAPE_RING:
    lx0 = -p->a0 - p->r, lx1 = p->a0 + p->r, ly0 = -p->a1 - p->r, ly1 = p->a1 + p->r;
    break;
  case AVS_SHAPE_BOX: lx0 = -p->a0, lx1 = p->a0, ly0 = -p->a1, ly1 = p->a1; break;
  case AVS_SHAPE_CAPSULE:
    lx0 = minf(p->a0, p->b0) - p->r, lx1 = maxf(p->a0, p->b0) + p->r;
    ly0 = minf(p->a1, p->b1) - p->r, ly1 = maxf(p->a1, p->b1) + p->r;
    break;
  default:
    lx0 = minf(minf(p->a0, p->b0), p->c0), lx1 = maxf(maxf(p->a0, p->b0), p->c0);
    ly0 = minf(minf(p->a1, p->b1), p->c1), ly1 = maxf(maxf(p->a1, p->b1), p->c1);
    break;
  }
  /* rotate the local box's corners into the glyph frame */
  float c = cosf(p->angle), s = sinf(p->angle);
  float xs[4] = {lx0, lx1, lx0, lx1}, ys[4] = {ly0, ly0, ly1, ly1};
  *x0 = *y0 = 1e9f;
  *x1 = *y1 = -1e9f;
  for (int i = 0; i < 4; i++) {
    float gx = p->cx + c * xs[i] - s * ys[i], gy = p->cy + s * xs[i] + c * ys[i];
    *x0 = minf(*x0, gx), *x1 = maxf(*x1, gx), *y0 = minf(*y0, gy), *y1 = maxf(*y1, gy);
  }
}

void avs_glyph_bounds(avs_glyph *g) {
  g->x0 = g->y0 = 1e9f;
  g->x1 = g->y1 = -1e9f;
  for (int i = 0; i < g->n; i++) {
    float a, b, c, d;
    part_extent(&g->part[i], &a, &b, &c, &d);
    g->x0 = minf(g->x0, a), g->y0 = minf(g->y0, b), g->x1 = maxf(g->x1, c), g->y1 = maxf(g->y1, d);
  }
}

static avs_rect box_of(float x0, float y0, float x1, float y1, const avs_place *pl) {
  float c = cosf(pl->angle), s = sinf(pl->angle);
  float xs[4] = {x0, x1, x0, x1}, ys[4] = {y0, y0, y1, y1};
  avs_rect r = {1e9f, 1e9f, -1e9f, -1e9f};
  for (int i = 0; i < 4; i++) {
    float u = xs[i] * pl->scale_x, v = ys[i] * pl->scale_y;
    float X = pl->cx + c * u - s * v, Y = pl->cy + s * u + c * v;
    r.x0 = minf(r.x0, X), r.x1 = maxf(r.x1, X), r.y0 = minf(r.y0, Y), r.y1 = maxf(r.y1, Y);
  }
  return r;
}

avs_rect avs_glyph_box(const avs_glyph *g, const avs_place *pl) { return box_of(g->x0, g->y0, g->x1, g->y1, pl); }

avs_rect avs_rect_clip(avs_rect r, int w, int h) {
  r.x0 = clampf(r.x0, 0, (float)w), r.x1 = clampf(r.x1, 0, (float)w);
  r.y0 = clampf(r.y0, 0, (float)h), r.y1 = clampf(r.y1, 0, (float)h);
  if (r.x1 < r.x0) r.x1 = r.x0;
  if (r.y1 < r.y0) r.y1 = r.y0;
  return r;
}

/* ---- drawing ---- */

/* Returns the tight box of the pixels at least half covered by some part. */
static avs_rect draw_parts(avs_canvas *c, const avs_part *parts, int n, const avs_place *pl, avs_rect box) {
  int bx0 = c->w, by0 = c->h, bx1 = -1, by1 = -1;
  float ca = cosf(pl->angle), sa = sinf(pl->angle);
  float isx = 1.0f / pl->scale_x, isy = 1.0f / pl->scale_y;
  float px_per_unit = minf(fabsf(pl->scale_x), fabsf(pl->scale_y));
  float gain = pl->gain > 0 ? pl->gain : 1.0f;
  /* each part's extent in glyph units, one pixel wider: pixels outside it skip the part */
  float ext[AVS_GLYPH_MAX_PARTS][4], pad = 1.5f / px_per_unit;
  for (int i = 0; i < n && i < AVS_GLYPH_MAX_PARTS; i++) {
    part_extent(&parts[i], &ext[i][0], &ext[i][1], &ext[i][2], &ext[i][3]);
    ext[i][0] -= pad, ext[i][1] -= pad, ext[i][2] += pad, ext[i][3] += pad;
  }
  int X0 = (int)floorf(box.x0) - 1, X1 = (int)ceilf(box.x1) + 1;
  int Y0 = (int)floorf(box.y0) - 1, Y1 = (int)ceilf(box.y1) + 1;
  if (X0 < 0) X0 = 0;
  if (Y0 < 0) Y0 = 0;
  if (X1 > c->w) X1 = c->w;
  if (Y1 > c->h) Y1 = c->h;
  for (int y = Y0; y < Y1; y++)
    for (int x = X0; x < X1; x++) {
      float dx = x + 0.5f - pl->cx, dy = y + 0.5f - pl->cy;
      float u = (ca * dx + sa * dy) * isx, v = (-sa * dx + ca * dy) * isy;
      float *o = c->px + ((size_t)y * c->w + x) * 3;
      for (int i = 0; i < n; i++) {
        const avs_part *p = &parts[i];
        if (u < ext[i][0] || u > ext[i][2] || v < ext[i][1] || v > ext[i][3]) continue;
        float lx, ly;
        part_local(p, u, v, &lx, &ly);
        float d = sdf_local(p, lx, ly) * px_per_unit;
        float cov = clampf(0.5f - d, 0, 1);
        if (cov <= 0) continue;
        if (p->alpha > 0) cov *= p->alpha;
        if (cov >= 0.5f) {
          if (x < bx0) bx0 = x;
          if (x > bx1) bx1 = x;
          if (y < by0) by0 = y;
          if (y > by1) by1 = y;
        }
        float t = texture(p, lx, ly);
        for (int k = 0; k < 3; k++) {
          float col = (p->col[k] + (p->col2[k] - p->col[k]) * t) * gain;
          o[k] += (col - o[k]) * cov;
        }
      }
    }
  if (bx1 < 0) return (avs_rect){0, 0, 0, 0};
  return (avs_rect){(float)bx0, (float)by0, (float)bx1 + 1, (float)by1 + 1};
}

avs_rect avs_glyph_draw(avs_canvas *c, const avs_glyph *g, const avs_place *pl) {
  return draw_parts(c, g->part, g->n, pl, avs_glyph_box(g, pl));
}

void avs_part_draw(avs_canvas *c, const avs_part *p, const avs_place *pl) {
  float x0, y0, x1, y1;
  part_extent(p, &x0, &y0, &x1, &y1);
  (void)draw_parts(c, p, 1, pl, box_of(x0, y0, x1, y1, pl));
}

void avs_part_random(avs_part *p, avs_rng *rng) {
  memset(p, 0, sizeof *p);
  p->shape = (avs_shape)avs_rng_below(rng, 5);
  switch (p->shape) {
  case AVS_SHAPE_ELLIPSE:
    p->a0 = avs_rng_range(rng, 0.35f, 0.6f), p->a1 = avs_rng_range(rng, 0.35f, 0.6f);
    break;
  case AVS_SHAPE_BOX:
    p->a0 = avs_rng_range(rng, 0.3f, 0.55f), p->a1 = avs_rng_range(rng, 0.3f, 0.55f);
    p->r = avs_rng_range(rng, 0, 0.2f);
    break;
  case AVS_SHAPE_CAPSULE:
    p->a0 = -avs_rng_range(rng, 0.2f, 0.45f), p->a1 = avs_rng_range(rng, -0.2f, 0.2f);
    p->b0 = avs_rng_range(rng, 0.2f, 0.45f), p->b1 = avs_rng_range(rng, -0.2f, 0.2f);
    p->r = avs_rng_range(rng, 0.1f, 0.25f);
    break;
  case AVS_SHAPE_TRIANGLE:
    for (int i = 0; i < 3; i++) {
      float a = TWO_PI * (i / 3.0f + avs_rng_range(rng, -0.08f, 0.08f));
      float rr = avs_rng_range(rng, 0.4f, 0.6f);
      float *xy = i == 0 ? &p->a0 : i == 1 ? &p->b0 : &p->c0;
      xy[0] = rr * cosf(a);
      xy[1] = rr * sinf(a);
    }
    break;
  case AVS_SHAPE_RING:
    p->a0 = avs_rng_range(rng, 0.3f, 0.5f), p->a1 = avs_rng_range(rng, 0.3f, 0.5f);
    p->r = avs_rng_range(rng, 0.05f, 0.12f);
    break;
  }
  p->angle = avs_rng_range(rng, 0, TWO_PI);
  avs_hsv(avs_rng_uniform(rng), avs_rng_range(rng, 0.2f, 0.9f), avs_rng_range(rng, 0.3f, 0.95f), p->col);
  avs_hsv(avs_rng_uniform(rng), avs_rng_range(rng, 0.1f, 0.9f), avs_rng_range(rng, 0.2f, 0.95f), p->col2);
  p->tex = (avs_texture)avs_rng_below(rng, 8);
  p->p0 = avs_rng_range(rng, 1.5f, 5.0f);
  p->p1 = p->tex == AVS_TEX_DOTS ? avs_rng_range(rng, 0.15f, 0.35f) : avs_rng_range(rng, 0, TWO_PI);
  p->seed = (uint32_t)avs_rng_u64(rng);
}

void avs_draw_background(avs_canvas *c, avs_rng *rng, int n_clutter, float contrast) {
  float c0[3], c1[3];
  float hue = avs_rng_uniform(rng);
  avs_hsv(hue, avs_rng_range(rng, 0.05f, 0.5f), avs_rng_range(rng, 0.25f, 0.8f), c0);
  avs_hsv(hue + avs_rng_range(rng, -0.25f, 0.25f), avs_rng_range(rng, 0.05f, 0.5f),
          avs_rng_range(rng, 0.2f, 0.8f), c1);
  float ang = avs_rng_range(rng, 0, TWO_PI), ga = cosf(ang), gb = sinf(ang);
  float nf = avs_rng_range(rng, 2.0f, 6.0f), na = avs_rng_range(rng, 0.05f, 0.25f);
  uint32_t ns = (uint32_t)avs_rng_u64(rng);
  for (int y = 0; y < c->h; y++)
    for (int x = 0; x < c->w; x++) {
      float u = (x + 0.5f) / c->w - 0.5f, v = (y + 0.5f) / c->h - 0.5f;
      float t = clampf(0.5f + ga * u + gb * v, 0, 1);
      float n = 1.0f + na * (2.0f * value_noise(u * nf + 5, v * nf + 9, ns) - 1.0f);
      float *o = c->px + ((size_t)y * c->w + x) * 3;
      for (int k = 0; k < 3; k++) o[k] = clampf((c0[k] + (c1[k] - c0[k]) * t) * n, 0, 1);
    }
  float side = (float)(c->w < c->h ? c->w : c->h);
  for (int i = 0; i < n_clutter; i++) {
    avs_part p;
    avs_part_random(&p, rng);
    /* pull clutter colours toward the background mean to set its contrast */
    for (int k = 0; k < 3; k++) {
      float m = 0.5f * (c0[k] + c1[k]);
      p.col[k] = m + (p.col[k] - m) * contrast;
      p.col2[k] = m + (p.col2[k] - m) * contrast;
    }
    float s = side * avs_rng_range(rng, 0.06f, 0.3f);
    avs_place pl = {avs_rng_range(rng, 0, (float)c->w), avs_rng_range(rng, 0, (float)c->h), s, s, 0, 1};
    avs_part_draw(c, &p, &pl);
  }
}

float *avs_scene_backdrop(int w, int h, int clutter_mean, float contrast_lo, float contrast_hi, avs_rng *rng) {
  float *bg = malloc((size_t)w * h * 3 * sizeof(float));
  if (!bg) {
    avs_seterr(AVS_ENOMEM, "out of memory");
    return NULL;
  }
  avs_canvas c = {w, h, bg};
  int n_clutter = clutter_mean ? (int)avs_rng_below(rng, (uint32_t)clutter_mean + 1) + clutter_mean / 2 : 0;
  avs_draw_background(&c, rng, n_clutter, avs_rng_range(rng, contrast_lo, contrast_hi));
  return bg;
}

void avs_light_random(float *light, int w, int h, avs_rng *rng, float strength) {
  float gain = 1.0f + strength * avs_rng_range(rng, -0.35f, 0.15f);
  float ang = avs_rng_range(rng, 0, TWO_PI), amp = strength * avs_rng_range(rng, 0, 0.5f);
  float tint[3];
  for (int k = 0; k < 3; k++) tint[k] = 1.0f + strength * 0.08f * avs_rng_normal(rng);
  float ga = cosf(ang), gb = sinf(ang);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float u = (x + 0.5f) / w - 0.5f, v = (y + 0.5f) / h - 0.5f;
      float l = gain * (1.0f + amp * (ga * u + gb * v) * 2.0f);
      for (int k = 0; k < 3; k++) light[((size_t)y * w + x) * 3 + k] = l * tint[k];
    }
}

void avs_light_apply(avs_canvas *c, const float *light) {
  size_t n = (size_t)c->w * c->h * 3;
  for (size_t i = 0; i < n; i++) c->px[i] = clampf(c->px[i] * light[i], 0, 1);
}
