/* "music": solos, duets and trios of instruments side by side. Each player
 * moves with its own notes and glows with its own loudness; an optional
 * silent instrument in view only idles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/instruments.h"
#include "data/generator/internal.h"

#define ONSET_TAU 0.12f

int avs_music_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p) {
  const avs_data_config *cfg = &g->cfg;
  int n_inst = avs_instrument_count();
  int ns = cfg->min_sources + (int)avs_rng_below(rng, (uint32_t)(cfg->max_sources - cfg->min_sources + 1));
  int nd = ns < 3 && avs_rng_uniform(rng) < cfg->distractor_prob ? 1 : 0;
  /* distinct instruments: a partial Fisher-Yates shuffle */
  int order[32];
  for (int i = 0; i < n_inst; i++) order[i] = i;
  for (int i = 0; i < ns + nd; i++) {
    int j = i + (int)avs_rng_below(rng, (uint32_t)(n_inst - i));
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  bool ensemble = avs_rng_uniform(rng) < 0.5f;
  avs_melody_style shared;
  avs_melody_style_random(&shared, rng);
  p->n = ns + nd;
  p->n_sounding = ns;
  for (int i = 0; i < ns + nd; i++) {
    avs_data_source_plan *s = &p->src[i];
    s->class_id = order[i];
    s->sounding = i < ns;
    if (!s->sounding) continue;
    avs_melody_style st = shared;
    if (!ensemble) avs_melody_style_random(&st, rng);
    /* most players start at once; some come in later */
    s->start = avs_rng_uniform(rng) < 0.2f ? avs_rng_range(rng, 0.5f, 0.4f * cfg->seconds)
                                           : avs_rng_range(rng, 0.0f, 0.5f);
    avs_melody_random(&s->melody, avs_instrument_get(s->class_id), &st, s->start, cfg->seconds, rng);
    s->gain_db = ns > 1 ? avs_rng_range(rng, -3.0f, 3.0f) : 0.0f;
    s->content = s->melody.fingerprint;
    /* drawn only from several, so that one soundfont's data sets stay as they were */
    s->soundfont = g->n_fluid > 1 ? (int)avs_rng_below(rng, (uint32_t)g->n_fluid) : 0;
  }
  return AVS_OK;
}

typedef struct {
  avs_glyph glyph;
  float cx, cy, scale, tilt;
  float idle_amp, idle_period, idle_phase;
  avs_motion motion;
  float *env, *loud;
  int *last;
} player;

int avs_music_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c) {
  const avs_data_config *cfg = &g->cfg;
  float *stems[AVS_DATA_MAX_OBJECTS] = {0}, *bg = NULL, *light = NULL, *buf = NULL;
  player pl[AVS_DATA_MAX_OBJECTS];
  memset(pl, 0, sizeof pl);
  int rc = avs_clip_alloc(c, cfg, p, false);
  if (rc) goto done;
  int64_t n = c->n_samples;
  int W = c->width, H = c->height, F = c->n_frames;

  /* ---- audio ---- */
  float gains[AVS_DATA_MAX_OBJECTS];
  int16_t *outs[AVS_DATA_MAX_OBJECTS];
  for (int k = 0; k < p->n_sounding; k++) {
    if (!(stems[k] = malloc((size_t)n * sizeof(float)))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    const avs_instrument *ins = avs_instrument_get(p->src[k].class_id);
    if ((rc = avs_fluid_render(g->fluid[p->src[k].soundfont], ins->program, &p->src[k].melody, stems[k], n))) goto done;
    gains[k] = p->src[k].gain_db;
    outs[k] = c->obj[k].stem;
  }
  avs_mix_stems(stems, gains, p->n_sounding, n, c->sample_rate, outs, c->mix);

  /* ---- layout ---- */
  avs_rng rng;
  avs_clip_rng(p->seed, AVS_STREAM_VISUAL, &rng);
  int slot_of[AVS_DATA_MAX_OBJECTS];
  for (int i = 0; i < p->n; i++) slot_of[i] = i;
  for (int i = p->n - 1; i > 0; i--) { /* players stand in a random order */
    int j = (int)avs_rng_below(&rng, (uint32_t)(i + 1)), t = slot_of[i];
    slot_of[i] = slot_of[j];
    slot_of[j] = t;
  }
  float slot_w = (float)W / p->n;
  for (int i = 0; i < p->n; i++) {
    player *q = &pl[i];
    avs_instrument_glyph(p->src[i].class_id, &q->glyph);
    q->motion = avs_instrument_get(p->src[i].class_id)->motion;
    float gw = q->glyph.x1 - q->glyph.x0, gh = q->glyph.y1 - q->glyph.y0;
    /* room for the motion: +20% width (stretch), +15% size (pulse), hop of 12% height */
    float aw = slot_w * 0.92f / 1.2f, ah = H * 0.9f / 1.3f;
    float s = fminf(aw / gw, ah / gh) * avs_rng_range(&rng, 0.6f, 1.0f);
    q->scale = s;
    q->tilt = avs_rng_range(&rng, -0.12f, 0.12f);
    float half_w = 0.6f * gw * s + 0.1f * gh * s, half_h = 0.58f * gh * s + 0.12f * gw * s;
    float ox = -0.5f * (q->glyph.x0 + q->glyph.x1) * s, oy = -0.5f * (q->glyph.y0 + q->glyph.y1) * s;
    float x_lo = slot_of[i] * slot_w + half_w, x_hi = (slot_of[i] + 1) * slot_w - half_w;
    float y_lo = half_h + 0.12f * gh * s, y_hi = H - half_h;
    q->cx = (x_lo < x_hi ? avs_rng_range(&rng, x_lo, x_hi) : 0.5f * (x_lo + x_hi)) + ox;
    q->cy = (y_lo < y_hi ? avs_rng_range(&rng, y_lo, y_hi) : 0.5f * H) + oy;
    q->idle_amp = avs_rng_range(&rng, 0.5f, 1.5f);
    q->idle_period = avs_rng_range(&rng, 1.5f, 4.0f);
    q->idle_phase = avs_rng_range(&rng, 0, 6.2832f);
    q->env = calloc((size_t)F, sizeof(float));
    q->loud = calloc((size_t)F, sizeof(float));
    q->last = calloc((size_t)F, sizeof(int));
    if (!q->env || !q->loud || !q->last) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    if (p->src[i].sounding) {
      const avs_melody *m = &p->src[i].melody;
      float on[AVS_MELODY_MAX_NOTES];
      for (int k = 0; k < m->n; k++) on[k] = m->note[k].t_on;
      avs_onset_envelope(on, m->n, c->fps, F, ONSET_TAU, q->env, q->last);
      avs_frame_loudness(stems[i], n, c->sample_rate, c->fps, F, q->loud);
    }
  }

  /* ---- background and light (static over the clip) ---- */
  size_t fpx = (size_t)W * H * 3;
  if ((rc = avs_scene_stage(W, H, cfg->clutter, 0.4f, 1.0f, 1.0f, &rng, &bg, &light))) goto done;

  /* ---- frames ---- */
  for (int f = 0; f < F; f++) {
    avs_canvas cv = {W, H, c->frames + (size_t)f * fpx};
    memcpy(cv.px, bg, fpx * sizeof(float));
    float t = avs_frame_time(f, c->fps);
    for (int i = 0; i < p->n; i++) {
      player *q = &pl[i];
      float e = q->env[f], idle = q->idle_amp * sinf(6.2832f * t / q->idle_period + q->idle_phase);
      float gh = q->glyph.y1 - q->glyph.y0;
      avs_place place = {q->cx, q->cy + idle, q->scale, q->scale, q->tilt, 1.0f};
      switch (q->motion) {
      case AVS_MOTION_BOUNCE: place.cy -= 0.12f * gh * q->scale * e; break;
      case AVS_MOTION_PULSE: place.scale_x = place.scale_y = q->scale * (1.0f + 0.15f * e); break;
      case AVS_MOTION_STRETCH: place.scale_x = q->scale * (1.0f + 0.2f * e); break;
      case AVS_MOTION_SWAY: place.angle += 0.15f * e * (q->last[f] % 2 ? -1.0f : 1.0f); break;
      }
      /* glow with loudness; a silent player stays at the dim level */
      place.gain = 0.62f + 0.48f * sqrtf(q->loud[f]);
      c->obj[i].box[f] = avs_glyph_draw(&cv, &q->glyph, &place);
    }
    avs_light_apply(&cv, light);
  }
done:
  for (int i = 0; i < AVS_DATA_MAX_OBJECTS; i++) {
    free(stems[i]);
    free(pl[i].env);
    free(pl[i].loud);
    free(pl[i].last);
  }
  free(bg);
  free(light);
  free(buf);
  return rc;
}
