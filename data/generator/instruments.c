/* Instrument table and each instrument's look. The looks are fixed across
 * clips (shape, colour, texture identify the category); clips vary size,
 * position, tilt, lighting and the background. */
#include "data/generator/instruments.h"

#include <string.h>

const float avs_beat_len[AVS_N_BEATS] = {0.25f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f};

/* GM programs are 0-based. Ranges stay inside what FluidR3_GM samples well. */
static const avs_instrument table[] = {
    {"accordion", 21, 53, 81, AVS_MOTION_STRETCH, {0, 3, 4, 2, 1, 0.5f}, 0.92f},
    {"acoustic_guitar", 24, 43, 74, AVS_MOTION_BOUNCE, {1, 4, 4, 1, 0.5f, 0.2f}, 1.0f},
    {"cello", 42, 36, 67, AVS_MOTION_SWAY, {0, 2, 4, 2, 1.5f, 0.5f}, 0.95f},
    {"clarinet", 71, 52, 82, AVS_MOTION_PULSE, {0, 3, 4, 2, 1, 0.5f}, 0.9f},
    {"flute", 73, 62, 93, AVS_MOTION_BOUNCE, {1, 4, 4, 2, 0.5f, 0.2f}, 0.88f},
    {"saxophone", 65, 51, 79, AVS_MOTION_SWAY, {0.5f, 3, 4, 2, 1, 0.5f}, 0.9f},
    {"trumpet", 56, 56, 81, AVS_MOTION_PULSE, {0.5f, 4, 4, 2, 0.5f, 0.2f}, 0.85f},
    {"tuba", 58, 29, 55, AVS_MOTION_BOUNCE, {0, 2, 4, 2, 1.5f, 0.5f}, 0.85f},
    {"violin", 40, 57, 91, AVS_MOTION_SWAY, {1, 4, 4, 2, 0.5f, 0.5f}, 0.95f},
    {"xylophone", 13, 65, 96, AVS_MOTION_PULSE, {2, 5, 3, 1, 0, 0}, 1.0f},
    {"piano", 0, 45, 84, AVS_MOTION_STRETCH, {1, 4, 4, 2, 0.5f, 0.2f}, 1.0f},
    {"harp", 46, 43, 88, AVS_MOTION_PULSE, {1, 4, 4, 1, 0.5f, 0.2f}, 1.0f},
};

int avs_instrument_count(void) { return (int)(sizeof table / sizeof *table); }
const avs_instrument *avs_instrument_get(int i) { return &table[i]; }

int avs_instrument_find(const char *name) {
  for (int i = 0; i < avs_instrument_count(); i++)
    if (!strcmp(table[i].name, name)) return i;
  return -1;
}

/* ---- glyph construction helpers ---- */

static avs_part *add(avs_glyph *g, avs_shape shape, float cx, float cy, float r, float g_, float b) {
  avs_part *p = &g->part[g->n++];
  memset(p, 0, sizeof *p);
  p->shape = shape;
  p->cx = cx;
  p->cy = cy;
  p->col[0] = p->col2[0] = r;
  p->col[1] = p->col2[1] = g_;
  p->col[2] = p->col2[2] = b;
  return p;
}
static avs_part *ellipse(avs_glyph *g, float cx, float cy, float rx, float ry, float r, float gg, float b) {
  avs_part *p = add(g, AVS_SHAPE_ELLIPSE, cx, cy, r, gg, b);
  p->a0 = rx, p->a1 = ry;
  return p;
}
static avs_part *box(avs_glyph *g, float cx, float cy, float hx, float hy, float rad, float r, float gg, float b) {
  avs_part *p = add(g, AVS_SHAPE_BOX, cx, cy, r, gg, b);
  p->a0 = hx, p->a1 = hy, p->r = rad;
  return p;
}
static avs_part *capsule(avs_glyph *g, float ax, float ay, float bx, float by, float rad, float r, float gg, float b) {
  avs_part *p = add(g, AVS_SHAPE_CAPSULE, 0, 0, r, gg, b);
  p->a0 = ax, p->a1 = ay, p->b0 = bx, p->b1 = by, p->r = rad;
  return p;
}
static avs_part *tri(avs_glyph *g, float ax, float ay, float bx, float by, float cx, float cy, float r, float gg,
                     float b) {
  avs_part *p = add(g, AVS_SHAPE_TRIANGLE, 0, 0, r, gg, b);
  p->a0 = ax, p->a1 = ay, p->b0 = bx, p->b1 = by, p->c0 = cx, p->c1 = cy;
  return p;
}
static avs_part *ring(avs_glyph *g, float cx, float cy, float rx, float ry, float half, float r, float gg, float b) {
  avs_part *p = add(g, AVS_SHAPE_RING, cx, cy, r, gg, b);
  p->a0 = rx, p->a1 = ry, p->r = half;
  return p;
}
static void tex(avs_part *p, avs_texture t, float p0, float p1, float r, float g, float b) {
  p->tex = t;
  p->p0 = p0;
  p->p1 = p1;
  p->col2[0] = r, p->col2[1] = g, p->col2[2] = b;
}

#define PI 3.14159265f

static void string_body(avs_glyph *g, float s, float r, float gg, float b, float r2, float g2, float b2) {
  /* two bouts of a bowed/plucked string instrument, wood grain, centred at 0 */
  tex(ellipse(g, 0, 0.42f * s, 0.52f * s, 0.5f * s, r, gg, b), AVS_TEX_GRAIN, 4, 0.3f, r2, g2, b2);
  tex(ellipse(g, 0, -0.22f * s, 0.42f * s, 0.4f * s, r, gg, b), AVS_TEX_GRAIN, 4, 0.3f, r2, g2, b2);
}

void avs_instrument_glyph(int i, avs_glyph *g) {
  memset(g, 0, sizeof *g);
  switch (i) {
  case 0: /* accordion: red bellows with vertical folds, white keys left, black buttons right */
    tex(box(g, 0, 0, 0.6f, 0.55f, 0.04f, 0.82f, 0.1f, 0.12f), AVS_TEX_STRIPES, 4.5f, 0, 0.45f, 0.03f, 0.05f);
    tex(box(g, -0.72f, 0, 0.16f, 0.6f, 0.03f, 0.96f, 0.96f, 0.92f), AVS_TEX_STRIPES, 5, PI / 2, 0.1f, 0.1f, 0.1f);
    tex(box(g, 0.72f, 0, 0.16f, 0.6f, 0.03f, 0.08f, 0.08f, 0.1f), AVS_TEX_DOTS, 7, 0.25f, 0.95f, 0.95f, 0.95f);
    box(g, 0, -0.62f, 0.3f, 0.05f, 0.04f, 0.2f, 0.12f, 0.06f);
    break;
  case 1: /* acoustic guitar: tan body with grain, dark sound hole, long brown neck */
    box(g, 0, -0.72f, 0.07f, 0.5f, 0.02f, 0.33f, 0.18f, 0.08f);
    box(g, 0, -1.25f, 0.12f, 0.12f, 0.03f, 0.15f, 0.08f, 0.04f);
    string_body(g, 1.05f, 0.9f, 0.66f, 0.36f, 0.72f, 0.48f, 0.22f);
    ellipse(g, 0, 0.08f, 0.16f, 0.16f, 0.08f, 0.05f, 0.03f);
    box(g, 0, 0.62f, 0.2f, 0.045f, 0.02f, 0.2f, 0.1f, 0.05f);
    capsule(g, 0, -1.2f, 0, 0.62f, 0.012f, 0.9f, 0.9f, 0.85f);
    break;
  case 2: /* cello: large dark red-brown body, black fingerboard, scroll, endpin and bow */
    box(g, 0, -0.55f, 0.06f, 0.62f, 0.02f, 0.06f, 0.05f, 0.05f);
    tex(ellipse(g, 0, 0.4f, 0.55f, 0.55f, 0.52f, 0.2f, 0.08f), AVS_TEX_GRADIENT, 0, 0.8f, 0.3f, 0.1f, 0.03f);
    tex(ellipse(g, 0, -0.25f, 0.44f, 0.45f, 0.52f, 0.2f, 0.08f), AVS_TEX_GRADIENT, 0, 0.8f, 0.3f, 0.1f, 0.03f);
    capsule(g, 0, -0.4f, 0, 0.6f, 0.05f, 0.06f, 0.05f, 0.05f);
    capsule(g, -0.2f, 0.1f, -0.17f, 0.45f, 0.025f, 0.1f, 0.04f, 0.02f);
    capsule(g, 0.2f, 0.1f, 0.17f, 0.45f, 0.025f, 0.1f, 0.04f, 0.02f);
    ring(g, 0, -1.2f, 0.09f, 0.1f, 0.035f, 0.3f, 0.12f, 0.05f);
    capsule(g, 0, 0.95f, 0, 1.25f, 0.025f, 0.6f, 0.6f, 0.62f);
    capsule(g, -0.85f, 0.35f, 0.85f, 0.2f, 0.03f, 0.85f, 0.78f, 0.6f);
    break;
  case 3: /* clarinet: black tube with silver key rings, flared bell */
    tex(capsule(g, 0, -0.95f, 0, 0.7f, 0.1f, 0.06f, 0.06f, 0.07f), AVS_TEX_STRIPES, 2.2f, PI / 2, 0.78f, 0.78f, 0.84f);
    tri(g, -0.26f, 1.02f, 0.26f, 1.02f, 0, 0.55f, 0.06f, 0.06f, 0.07f);
    ellipse(g, 0, 1.02f, 0.26f, 0.05f, 0.7f, 0.7f, 0.75f);
    box(g, 0, -1.05f, 0.06f, 0.08f, 0.02f, 0.55f, 0.55f, 0.6f);
    break;
  case 4: /* flute: long silver tube, lying almost flat, with dark key dots */
    tex(capsule(g, -1.0f, -0.1f, 1.0f, 0.1f, 0.12f, 0.85f, 0.86f, 0.9f), AVS_TEX_DOTS, 4, 0.22f, 0.35f, 0.35f, 0.4f);
    ellipse(g, -0.72f, -0.15f, 0.09f, 0.07f, 0.55f, 0.55f, 0.6f);
    ring(g, 0.45f, 0.045f, 0.05f, 0.15f, 0.02f, 0.6f, 0.62f, 0.66f);
    ring(g, 0.15f, 0.015f, 0.05f, 0.15f, 0.02f, 0.6f, 0.62f, 0.66f);
    break;
  case 5: /* saxophone: gold J-shaped body with key dots, dark bell mouth, thin neck */
    capsule(g, 0.05f, -0.95f, -0.3f, -1.12f, 0.05f, 0.2f, 0.18f, 0.12f);
    tex(capsule(g, 0.05f, -0.95f, 0.05f, 0.55f, 0.15f, 0.92f, 0.72f, 0.16f), AVS_TEX_DOTS, 5, 0.2f, 0.98f, 0.93f, 0.7f);
    capsule(g, 0.05f, 0.55f, 0.42f, 0.8f, 0.17f, 0.85f, 0.64f, 0.12f);
    capsule(g, 0.42f, 0.8f, 0.55f, 0.2f, 0.19f, 0.92f, 0.72f, 0.16f);
    ellipse(g, 0.56f, 0.05f, 0.24f, 0.09f, 0.35f, 0.22f, 0.05f);
    break;
  case 6: /* trumpet: bright brass tubes, flared bell to the right, three silver valves */
    capsule(g, -1.0f, 0, 0.45f, 0, 0.06f, 0.97f, 0.82f, 0.32f);
    capsule(g, -0.45f, 0.28f, 0.25f, 0.28f, 0.055f, 0.9f, 0.74f, 0.28f);
    capsule(g, -0.45f, 0, -0.45f, 0.28f, 0.055f, 0.9f, 0.74f, 0.28f);
    tex(tri(g, 0.3f, 0, 1.0f, -0.38f, 1.0f, 0.38f, 0.97f, 0.82f, 0.32f), AVS_TEX_GRADIENT, 0, 0, 0.75f, 0.55f, 0.15f);
    ellipse(g, 1.0f, 0, 0.07f, 0.38f, 0.6f, 0.42f, 0.1f);
    for (int k = -1; k <= 1; k++) box(g, 0.18f * k - 0.05f, -0.16f, 0.05f, 0.16f, 0.02f, 0.8f, 0.8f, 0.84f);
    break;
  case 7: /* tuba: big brass body, coiled ring, wide dark bell on top */
    tex(capsule(g, 0.2f, -0.55f, 0.2f, 0.55f, 0.3f, 0.78f, 0.58f, 0.22f), AVS_TEX_RINGS, 3, 0, 0.6f, 0.42f, 0.12f);
    ring(g, -0.25f, 0.4f, 0.42f, 0.42f, 0.09f, 0.85f, 0.65f, 0.25f);
    ellipse(g, 0.25f, -0.75f, 0.55f, 0.2f, 0.85f, 0.65f, 0.25f);
    ellipse(g, 0.25f, -0.75f, 0.44f, 0.13f, 0.22f, 0.14f, 0.05f);
    for (int k = 0; k < 3; k++) box(g, -0.25f + 0.14f * k, -0.05f, 0.045f, 0.14f, 0.02f, 0.8f, 0.8f, 0.84f);
    break;
  case 8: { /* violin: small orange body held tilted, black fingerboard, long light bow */
    int first = g->n;
    box(g, 0, -0.55f, 0.05f, 0.55f, 0.02f, 0.05f, 0.05f, 0.05f);
    string_body(g, 0.7f, 0.88f, 0.42f, 0.1f, 0.66f, 0.26f, 0.05f);
    capsule(g, 0, -0.25f, 0, 0.35f, 0.035f, 0.05f, 0.05f, 0.05f);
    ring(g, 0, -1.13f, 0.07f, 0.08f, 0.03f, 0.6f, 0.28f, 0.08f);
    for (int k = first; k < g->n; k++) {
      avs_part *p = &g->part[k];
      /* tilt the whole instrument by -50 degrees about the origin */
      float c = 0.6428f, s = -0.766f, x = p->cx, y = p->cy;
      p->cx = c * x - s * y;
      p->cy = s * x + c * y;
      p->angle += -0.8727f;
      if (p->shape == AVS_SHAPE_CAPSULE) {
        float ax = p->a0, ay = p->a1, bx = p->b0, by = p->b1;
        p->a0 = c * ax - s * ay, p->a1 = s * ax + c * ay;
        p->b0 = c * bx - s * by, p->b1 = s * bx + c * by;
        p->angle -= -0.8727f; /* capsule ends already rotated */
      }
    }
    capsule(g, -0.9f, -0.55f, 0.9f, 0.45f, 0.035f, 0.93f, 0.9f, 0.78f);
    capsule(g, -0.9f, -0.62f, 0.9f, 0.38f, 0.02f, 0.35f, 0.2f, 0.08f);
    break;
  }
  case 9: { /* xylophone: rainbow bars shortening to the right on a dark frame, two mallets */
    capsule(g, -0.95f, -0.45f, 0.95f, -0.25f, 0.05f, 0.25f, 0.15f, 0.08f);
    capsule(g, -0.95f, 0.5f, 0.95f, 0.3f, 0.05f, 0.25f, 0.15f, 0.08f);
    static const float cols[7][3] = {{0.9f, 0.15f, 0.15f}, {0.95f, 0.5f, 0.1f}, {0.95f, 0.85f, 0.1f},
                                     {0.2f, 0.75f, 0.25f}, {0.15f, 0.55f, 0.9f}, {0.35f, 0.25f, 0.8f},
                                     {0.7f, 0.25f, 0.75f}};
    for (int k = 0; k < 7; k++) {
      float h = 0.58f - 0.045f * k, x = -0.78f + 0.26f * k;
      box(g, x, 0.02f - 0.015f * k, 0.095f, h, 0.03f, cols[k][0], cols[k][1], cols[k][2]);
    }
    capsule(g, -0.4f, -0.95f, -0.1f, -0.35f, 0.03f, 0.85f, 0.8f, 0.7f);
    ellipse(g, -0.1f, -0.33f, 0.09f, 0.09f, 0.95f, 0.45f, 0.6f);
    capsule(g, 0.5f, -0.95f, 0.25f, -0.38f, 0.03f, 0.85f, 0.8f, 0.7f);
    ellipse(g, 0.25f, -0.36f, 0.09f, 0.09f, 0.95f, 0.45f, 0.6f);
    break;
  }
  case 10: /* piano: glossy black case with raised lid, black/white keys in front */
    tex(tri(g, -0.95f, -0.15f, 0.95f, -0.15f, 0.55f, -0.95f, 0.1f, 0.1f, 0.12f), AVS_TEX_GRADIENT, 0, -PI / 4, 0.35f,
        0.35f, 0.4f);
    box(g, 0, 0.15f, 0.95f, 0.32f, 0.03f, 0.07f, 0.07f, 0.08f);
    tex(box(g, 0, 0.14f, 0.85f, 0.1f, 0, 0.97f, 0.97f, 0.95f), AVS_TEX_STRIPES, 6.5f, 0, 0.05f, 0.05f, 0.05f);
    box(g, 0, 0.33f, 0.85f, 0.09f, 0, 0.97f, 0.97f, 0.95f);
    capsule(g, -0.8f, 0.5f, -0.8f, 0.9f, 0.05f, 0.07f, 0.07f, 0.08f);
    capsule(g, 0.8f, 0.5f, 0.8f, 0.9f, 0.05f, 0.07f, 0.07f, 0.08f);
    break;
  case 11: { /* harp: gold pillar and neck, wooden soundboard, translucent red/white strings */
    avs_part *s = tri(g, -0.5f, -0.9f, 0.55f, -0.55f, -0.5f, 0.9f, 0.95f, 0.95f, 0.9f);
    tex(s, AVS_TEX_STRIPES, 9, 0, 0.8f, 0.15f, 0.15f);
    s->alpha = 0.55f;
    capsule(g, -0.6f, -1.0f, -0.6f, 1.0f, 0.09f, 0.93f, 0.78f, 0.25f);
    capsule(g, -0.6f, -1.0f, 0.65f, -0.6f, 0.08f, 0.93f, 0.78f, 0.25f);
    tex(capsule(g, -0.55f, 1.0f, 0.65f, -0.55f, 0.12f, 0.6f, 0.38f, 0.18f), AVS_TEX_GRAIN, 5, 0.2f, 0.45f, 0.26f,
        0.1f);
    ellipse(g, -0.6f, 1.05f, 0.2f, 0.07f, 0.93f, 0.78f, 0.25f);
    break;
  }
  }
  avs_glyph_bounds(g);
}
