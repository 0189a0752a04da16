/* "speech": one or two talking faces; each mouth opens with its speaker's own
 * speech (the per-frame loudness of the speaker's stem), heads drift and
 * blink on their own, independently of the speech. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/internal.h"

static uint64_t hash_text(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h ? h : 1;
}

int avs_speech_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p) {
  const avs_data_config *cfg = &g->cfg;
  int ns = cfg->min_sources + (int)avs_rng_below(rng, (uint32_t)(cfg->max_sources - cfg->min_sources + 1));
  p->n = p->n_sounding = ns;
  for (int i = 0; i < ns; i++) {
    avs_data_source_plan *s = &p->src[i];
    int spk;
    bool again;
    do { /* distinct speakers */
      spk = (int)avs_rng_below(rng, (uint32_t)g->n_speakers);
      again = false;
      for (int j = 0; j < i; j++) again |= p->src[j].class_id == spk;
    } while (again);
    s->class_id = spk;
    s->sounding = true;
    s->start = avs_rng_range(rng, 0.1f, 0.6f);
    s->gain_db = ns > 1 ? avs_rng_range(rng, -3.0f, 3.0f) : 0.0f;
    /* as many words as the speaker's rate fits in the clip, with some room */
    float room = cfg->seconds - s->start - 0.4f;
    int max_words = (int)(room * g->speakers[spk].rate / 60.0f * 0.8f);
    avs_sentence_random(rng, max_words, s->text, AVS_DATA_TEXT);
    s->content = hash_text(s->text);
  }
  return AVS_OK;
}

static void body_glyph(const avs_speaker *s, avs_glyph *g) {
  memset(g, 0, sizeof *g);
  avs_part *p = &g->part[g->n++];
  *p = (avs_part){.shape = AVS_SHAPE_ELLIPSE, .cy = 1.75f, .a0 = 1.15f, .a1 = 0.6f};
  memcpy(p->col, s->shirt, sizeof p->col);
  for (int k = 0; k < 3; k++) p->col2[k] = s->shirt[k] * 0.7f;
  p->tex = AVS_TEX_GRADIENT;
  p->p1 = 1.57f;
  p = &g->part[g->n++];
  *p = (avs_part){.shape = AVS_SHAPE_BOX, .cy = 1.0f, .a0 = 0.26f, .a1 = 0.35f, .r = 0.05f};
  for (int k = 0; k < 3; k++) p->col[k] = p->col2[k] = s->skin[k] * 0.85f;
  avs_glyph_bounds(g);
}

typedef struct {
  float cx, cy, scale;
  float drift[4], tilt_phase, tilt_period;
  float blink_at[16];
  int n_blink;
  float *loud;
} face;

int avs_speech_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c) {
  const avs_data_config *cfg = &g->cfg;
  float *stems[AVS_DATA_MAX_OBJECTS] = {0}, *bg = NULL, *light = NULL;
  face fc[AVS_DATA_MAX_OBJECTS];
  memset(fc, 0, sizeof fc);
  int rc = avs_clip_alloc(c, cfg, p, true);
  if (rc) goto done;
  int64_t n = c->n_samples;
  int W = c->width, H = c->height, F = c->n_frames;

  /* ---- audio ---- */
  float gains[AVS_DATA_MAX_OBJECTS];
  int16_t *outs[AVS_DATA_MAX_OBJECTS];
  for (int k = 0; k < p->n_sounding; k++) {
    const avs_speaker *sp = &g->speakers[p->src[k].class_id];
    float *speech = NULL;
    int64_t ns = 0;
    if ((rc = avs_tts_say(sp, p->src[k].text, c->sample_rate, &speech, &ns))) goto done;
    if (!(stems[k] = calloc((size_t)n, sizeof(float)))) {
      free(speech);
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    int64_t at = (int64_t)(p->src[k].start * c->sample_rate), fade = c->sample_rate / 30;
    for (int64_t i = 0; i < ns && at + i < n; i++) {
      float w = 1.0f;
      if (ns > n - at && i > n - at - fade) w = (float)(n - at - i) / (float)fade; /* cut: fade out */
      stems[k][at + i] = speech[i] * w;
    }
    free(speech);
    gains[k] = p->src[k].gain_db;
    outs[k] = c->obj[k].stem;
  }
  avs_mix_stems(stems, gains, p->n_sounding, n, c->sample_rate, outs, c->mix);

  /* ---- layout ---- */
  avs_rng rng;
  avs_clip_rng(p->seed, AVS_STREAM_VISUAL, &rng);
  int slot_of[AVS_DATA_MAX_OBJECTS] = {0, 1, 2, 3};
  if (p->n == 2 && avs_rng_uniform(&rng) < 0.5f) slot_of[0] = 1, slot_of[1] = 0;
  float slot_w = (float)W / p->n;
  for (int i = 0; i < p->n; i++) {
    face *q = &fc[i];
    /* head about 2.3 units tall (hair to chin), 2 units wide with ears */
    float s = fminf(H * avs_rng_range(&rng, 0.45f, 0.62f) / 2.3f, slot_w * 0.8f / 2.0f);
    q->scale = s;
    float x_lo = slot_of[i] * slot_w + 1.1f * s, x_hi = (slot_of[i] + 1) * slot_w - 1.1f * s;
    q->cx = x_lo < x_hi ? avs_rng_range(&rng, x_lo, x_hi) : (slot_of[i] + 0.5f) * slot_w;
    float y_lo = 1.3f * s, y_hi = H - 1.2f * s;
    q->cy = y_lo < y_hi ? avs_rng_range(&rng, y_lo, y_hi) : 0.5f * H;
    for (int k = 0; k < 4; k++) q->drift[k] = avs_rng_range(&rng, 0, 6.2832f);
    q->tilt_phase = avs_rng_range(&rng, 0, 6.2832f);
    q->tilt_period = avs_rng_range(&rng, 2.5f, 5.0f);
    for (float t = avs_rng_range(&rng, 0.3f, 3.0f); t < cfg->seconds && q->n_blink < 16;
         t += avs_rng_range(&rng, 1.5f, 4.5f))
      q->blink_at[q->n_blink++] = t;
    if (!(q->loud = calloc((size_t)F, sizeof(float)))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    avs_frame_loudness(stems[i], n, c->sample_rate, c->fps, F, q->loud);
  }

  /* ---- background and light (static over the clip) ---- */
  size_t fpx = (size_t)W * H * 3;
  if ((rc = avs_scene_stage(W, H, cfg->clutter, 0.3f, 0.8f, 0.8f, &rng, &bg, &light))) goto done;

  /* ---- frames ---- */
  for (int f = 0; f < F; f++) {
    avs_canvas cv = {W, H, c->frames + (size_t)f * fpx};
    memcpy(cv.px, bg, fpx * sizeof(float));
    float t = avs_frame_time(f, c->fps);
    for (int i = 0; i < p->n; i++) {
      face *q = &fc[i];
      const avs_speaker *sp = &g->speakers[p->src[i].class_id];
      float l = q->loud[f], open = l > 0.08f ? powf((l - 0.08f) / 0.92f, 0.6f) : 0.0f;
      int blink = 0;
      for (int k = 0; k < q->n_blink; k++) blink |= t >= q->blink_at[k] && t < q->blink_at[k] + 0.15f;
      avs_glyph body, head;
      body_glyph(sp, &body);
      int mouth = avs_face_glyph(sp, open, 0, blink, &head);
      float dx = 0.04f * q->scale * (sinf(1.3f * t + q->drift[0]) + sinf(0.7f * t + q->drift[1]));
      float dy = 0.03f * q->scale * (sinf(1.1f * t + q->drift[2]) + sinf(0.5f * t + q->drift[3]));
      float tilt = 0.05f * sinf(6.2832f * t / q->tilt_period + q->tilt_phase);
      avs_place pb = {q->cx + 0.3f * dx, q->cy, q->scale, q->scale, 0, 1};
      avs_place ph = {q->cx + dx, q->cy + dy, q->scale, q->scale, tilt, 1};
      avs_glyph_draw(&cv, &body, &pb);
      c->obj[i].box[f] = avs_glyph_draw(&cv, &head, &ph);
      avs_glyph lips = {.n = 1};
      lips.part[0] = head.part[mouth];
      avs_glyph_bounds(&lips);
      c->obj[i].mouth[f] = avs_rect_clip(avs_glyph_box(&lips, &ph), W, H);
    }
    avs_light_apply(&cv, light);
  }
done:
  for (int i = 0; i < AVS_DATA_MAX_OBJECTS; i++) {
    free(stems[i]);
    free(fc[i].loud);
  }
  free(bg);
  free(light);
  return rc;
}
