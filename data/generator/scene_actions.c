/* "actions": one textured object moving in one of the avs_action ways, with a
 * few static look-alike objects and clutter around it. Video only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/actions.h"
#include "data/generator/internal.h"

#define PI 3.14159265f

static const char *names[AVS_ACT_COUNT] = {"translate_left", "translate_right", "translate_up", "translate_down",
                                           "rotate_cw",      "rotate_ccw",      "zoom_in",      "zoom_out",
                                           "bounce",         "shake",           "orbit_cw",     "orbit_ccw"};

int avs_action_count(void) { return AVS_ACT_COUNT; }
const char *avs_action_name(int i) { return i >= 0 && i < AVS_ACT_COUNT ? names[i] : "?"; }

int avs_actions_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p) {
  (void)g;
  p->n = 1;
  p->n_sounding = 0;
  p->src[0].class_id = (int)avs_rng_below(rng, AVS_ACT_COUNT);
  p->src[0].sounding = false;
  p->src[0].content = 0;
  return AVS_OK;
}

/* An object of 2-3 random textured parts; the off-centre parts make its
 * orientation visible. */
static void random_object(avs_glyph *o, avs_rng *rng) {
  memset(o, 0, sizeof *o);
  avs_part_random(&o->part[0], rng);
  o->n = 1;
  int extra = 1 + (int)avs_rng_below(rng, 2);
  for (int k = 0; k < extra; k++) {
    avs_part *q = &o->part[o->n++];
    avs_part_random(q, rng);
    float sc = avs_rng_range(rng, 0.35f, 0.6f), a = avs_rng_range(rng, 0, 2 * PI), r = avs_rng_range(rng, 0.4f, 0.6f);
    /* shrink the part about its own centre, then move it off the object's centre */
    q->a0 *= sc, q->a1 *= sc, q->b0 *= sc, q->b1 *= sc, q->c0 *= sc, q->c1 *= sc, q->r *= sc;
    q->cx = r * cosf(a);
    q->cy = r * sinf(a);
  }
  avs_glyph_bounds(o);
}

int avs_actions_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c) {
  const avs_data_config *cfg = &g->cfg;
  float *bg = NULL, *light = NULL;
  int rc = avs_clip_alloc(c, cfg, p, false);
  if (rc) goto done;
  int W = c->width, H = c->height, F = c->n_frames, cls = p->src[0].class_id;
  avs_rng rng;
  avs_clip_rng(p->seed, AVS_STREAM_VISUAL, &rng);
  size_t fpx = (size_t)W * H * 3;
  if (!(bg = avs_scene_backdrop(W, H, cfg->clutter, 0.5f, 1.0f, &rng)) || !(light = malloc(fpx * sizeof(float)))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  avs_canvas bgc = {W, H, bg};
  float side = (float)(W < H ? W : H);
  /* static look-alikes: objects of the same family that do not move */
  int n_static = (int)avs_rng_below(&rng, 3);
  for (int k = 0; k < n_static; k++) {
    avs_glyph o;
    random_object(&o, &rng);
    float ext = fmaxf(o.x1 - o.x0, o.y1 - o.y0), s = side * avs_rng_range(&rng, 0.15f, 0.3f) / ext;
    avs_place pl = {avs_rng_range(&rng, 0, (float)W), avs_rng_range(&rng, 0, (float)H), s, s,
                    avs_rng_range(&rng, 0, 2 * PI), avs_rng_range(&rng, 0.8f, 1.1f)};
    avs_glyph_draw(&bgc, &o, &pl);
  }
  avs_light_random(light, W, H, &rng, 1.0f);

  avs_glyph obj;
  random_object(&obj, &rng);
  float ext = fmaxf(obj.x1 - obj.x0, obj.y1 - obj.y0);
  float size = side * avs_rng_range(&rng, 0.26f, 0.4f); /* pixels across the object */
  float s0 = size / ext, half = 0.75f * size;             /* room for any turn */
  float ox = -0.5f * (obj.x0 + obj.x1), oy = -0.5f * (obj.y0 + obj.y1);
  float angle0 = avs_rng_range(&rng, 0, 2 * PI), gain = avs_rng_range(&rng, 0.85f, 1.15f);
  float T = cfg->seconds;
  /* class parameters */
  float dist = 0, omega = 0, zoom = 1, period = 1, amp = 0, radius = 0, freq = 0, phase = avs_rng_range(&rng, 0, 2 * PI);
  float margin = half;
  switch (cls) {
  case AVS_ACT_LEFT: case AVS_ACT_RIGHT: dist = avs_rng_range(&rng, 0.3f, 0.5f) * W; break;
  case AVS_ACT_UP: case AVS_ACT_DOWN: dist = avs_rng_range(&rng, 0.3f, 0.5f) * H; break;
  case AVS_ACT_ROTATE_CW: case AVS_ACT_ROTATE_CCW: omega = avs_rng_range(&rng, 1.2f, 3.0f); break;
  case AVS_ACT_ZOOM_IN: case AVS_ACT_ZOOM_OUT:
    zoom = logf(avs_rng_range(&rng, 1.8f, 2.6f));
    margin = half * expf(0.5f * zoom);
    break;
  case AVS_ACT_BOUNCE:
    period = avs_rng_range(&rng, 0.5f, 0.9f);
    amp = avs_rng_range(&rng, 0.2f, 0.32f) * H;
    break;
  case AVS_ACT_SHAKE:
    freq = avs_rng_range(&rng, 2.0f, 3.0f);
    amp = avs_rng_range(&rng, 0.05f, 0.1f) * W;
    break;
  default: /* orbits: half to a whole turn over the clip */
    radius = avs_rng_range(&rng, 0.14f, 0.22f) * side;
    omega = avs_rng_range(&rng, 0.5f, 1.0f) * 2 * PI / T;
    break;
  }
  /* a centre that keeps the whole path inside the frame */
  float rx = margin + 0.5f * (cls == AVS_ACT_LEFT || cls == AVS_ACT_RIGHT ? dist : 0) + amp * (cls == AVS_ACT_SHAKE) +
             radius;
  float ry = margin + 0.5f * (cls == AVS_ACT_UP || cls == AVS_ACT_DOWN ? dist : 0) + radius;
  float cx0 = rx < W - rx ? avs_rng_range(&rng, rx, W - rx) : 0.5f * W;
  float cy0 = ry < H - ry ? avs_rng_range(&rng, ry, H - ry) : 0.5f * H;
  float floor_y = 0;
  if (cls == AVS_ACT_BOUNCE) {
    float lo = margin + amp, hi = H - margin;
    floor_y = lo < hi ? avs_rng_range(&rng, lo, hi) : 0.5f * (lo + hi);
  }
  for (int f = 0; f < F; f++) {
    avs_canvas cv = {W, H, c->frames + (size_t)f * fpx};
    memcpy(cv.px, bg, fpx * sizeof(float));
    float t = avs_frame_time(f, c->fps), u = t / T - 0.5f;
    float x = cx0, y = cy0, a = angle0, s = s0;
    switch (cls) {
    case AVS_ACT_LEFT: x -= dist * u; break;
    case AVS_ACT_RIGHT: x += dist * u; break;
    case AVS_ACT_UP: y -= dist * u; break;
    case AVS_ACT_DOWN: y += dist * u; break;
    case AVS_ACT_ROTATE_CW: a += omega * t; break; /* y points down: a growing angle turns clockwise */
    case AVS_ACT_ROTATE_CCW: a -= omega * t; break;
    case AVS_ACT_ZOOM_IN: s *= expf(zoom * u); break;
    case AVS_ACT_ZOOM_OUT: s *= expf(-zoom * u); break;
    case AVS_ACT_BOUNCE: y = floor_y - amp * fabsf(sinf(PI * t / period + phase)); break;
    case AVS_ACT_SHAKE: x += amp * sinf(2 * PI * freq * t + phase); break;
    case AVS_ACT_ORBIT_CW:
      x += radius * cosf(phase + omega * t);
      y += radius * sinf(phase + omega * t);
      break;
    case AVS_ACT_ORBIT_CCW:
      x += radius * cosf(phase - omega * t);
      y += radius * sinf(phase - omega * t);
      break;
    }
    /* place the object's centre (not its glyph origin) at (x, y) */
    float ca = cosf(a), sa = sinf(a);
    avs_place pl = {x + s * (ca * ox - sa * oy), y + s * (sa * ox + ca * oy), s, s, a, gain};
    c->obj[0].box[f] = avs_glyph_draw(&cv, &obj, &pl);
    avs_light_apply(&cv, light);
  }
done:
  free(bg);
  free(light);
  return rc;
}
