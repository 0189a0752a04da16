/* The speaker pool of the "speech" kind and each speaker's face. The pool is
 * drawn from a fixed seed, so speaker 7 has the same voice and face in every
 * run and every split. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/avdata.h"
#include "data/generator/speech.h"

static const char *bases[] = {"en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan"};
/* espeak-ng variants that sound like people (the robots, whispers and
 * effects are left out); f* and some names are female-sounding. A pool uses the
 * first `timbres` (24 by default: the pools made before the list grew are
 * unchanged). m8, adam, benjamin, caleb, john and Jacky are left out: they are
 * the voices the speech models are scored on as never heard (scripts/train_speech.sh). */
static const char *variants[AVS_DATA_TIMBRES_MAX] = {
    "m1",     "f1",    "m2",       "f2",     "m3",      "f3",      "m4",     "f4",      "m5",      "f5",
    "m6",     "Annie", "m7",       "linda",  "Andy",    "aunty",   "david",  "steph",   "edward",  "belinda",
    "max",    "anika", "paul",     "Alicia", "Alex",    "Andrea",  "Denis",  "Diogo",   "Gene",    "Henrique",
    "Hugo",   "Lee",   "Marco",    "Mario",  "Michael", "Mike",    "Nguyen", "Storm",   "antonio", "boris",
    "ed",     "edward2", "gustave", "grandma", "grandpa", "iven",   "iven2",  "kaukovalta", "klatt", "klatt3",
    "marcelo", "michel", "miguel",  "norbert", "pablo",  "pedro",   "quincy", "rob",     "robert",  "sandro",
    "shelby", "steph2", "steph3",   "travis", "victor",  "zac"};
static bool female_variant(const char *v) {
  static const char *female[] = {"Annie", "linda", "aunty", "steph", "belinda", "anika", "Alicia",
                                 "Andrea", "grandma", "steph2", "steph3"};
  if (v[0] == 'f' && v[1] >= '0' && v[1] <= '9') return true;
  for (size_t i = 0; i < sizeof female / sizeof *female; i++)
    if (!strcmp(v, female[i])) return true;
  return false;
}

#define POOL_SEED 0x5eed5eedull

static const float skins[][3] = {{0.98f, 0.84f, 0.72f}, {0.94f, 0.76f, 0.6f}, {0.87f, 0.66f, 0.5f},
                                  {0.76f, 0.55f, 0.4f},  {0.6f, 0.42f, 0.3f},   {0.45f, 0.31f, 0.22f},
                                  {0.99f, 0.87f, 0.8f},  {0.82f, 0.62f, 0.48f}};
static const float hairs[][3] = {{0.1f, 0.08f, 0.06f}, {0.3f, 0.18f, 0.1f}, {0.55f, 0.35f, 0.15f},
                                  {0.85f, 0.7f, 0.4f},  {0.6f, 0.2f, 0.08f}, {0.75f, 0.75f, 0.75f},
                                  {0.95f, 0.95f, 0.92f}, {0.35f, 0.35f, 0.4f}};
static const float eyes[][3] = {{0.3f, 0.2f, 0.1f}, {0.2f, 0.4f, 0.7f}, {0.25f, 0.5f, 0.3f}, {0.1f, 0.1f, 0.1f}};

int avs_speakers_make(const char *voices, int n, int timbres, avs_speaker **out) {
  *out = NULL;
  if (timbres < 1 || timbres > AVS_DATA_TIMBRES_MAX)
    return avs_seterr(AVS_EINVAL, "%d voice timbres outside 1..%d", timbres, AVS_DATA_TIMBRES_MAX);
  char *list = NULL;
  const char *names[256];
  int nv = 0;
  if (voices) {
    if (!(list = strdup(voices))) return avs_seterr(AVS_ENOMEM, "out of memory");
    for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok && nv < 256; tok = strtok_r(NULL, ", ", &save))
      names[nv++] = tok;
    if (nv == 0) {
      free(list);
      return avs_seterr(AVS_EINVAL, "empty voice list");
    }
  }
  avs_speaker *sp = calloc((size_t)n, sizeof *sp);
  if (!sp) {
    free(list);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  avs_rng r;
  avs_rng_seed(&r, POOL_SEED);
  int nvar = timbres, nbase = (int)(sizeof bases / sizeof *bases);
  for (int i = 0; i < n; i++) {
    avs_speaker *s = &sp[i];
    bool female;
    const char *base = bases[avs_rng_below(&r, (uint32_t)nbase)];
    if (nv) {
      snprintf(s->voice, sizeof s->voice, "%s", names[i % nv]);
      const char *plus = strchr(s->voice, '+');
      female = plus ? female_variant(plus + 1) : avs_rng_uniform(&r) < 0.5f;
    } else {
      const char *v = variants[i % nvar];
      snprintf(s->voice, sizeof s->voice, "%s+%s", base, v);
      female = female_variant(v);
    }
    s->pitch = 25 + (int)avs_rng_below(&r, 51) + (female ? 10 : 0);
    s->range = 30 + (int)avs_rng_below(&r, 51);
    s->rate = 145 + (int)avs_rng_below(&r, 46);
    const float *sk = skins[avs_rng_below(&r, 8)];
    for (int k = 0; k < 3; k++) s->skin[k] = sk[k] * avs_rng_range(&r, 0.95f, 1.05f);
    const float *hr = hairs[avs_rng_below(&r, 8)];
    for (int k = 0; k < 3; k++) s->hair[k] = hr[k];
    const float *ey = eyes[avs_rng_below(&r, 4)];
    for (int k = 0; k < 3; k++) s->eye[k] = ey[k];
    avs_hsv(avs_rng_range(&r, 0.95f, 1.02f), avs_rng_range(&r, 0.35f, 0.7f), avs_rng_range(&r, 0.55f, 0.8f), s->lip);
    avs_hsv(avs_rng_uniform(&r), avs_rng_range(&r, 0.3f, 0.9f), avs_rng_range(&r, 0.3f, 0.9f), s->shirt);
    float u = avs_rng_uniform(&r); /* 0 bald, 1 short, 2 long, 3 bun, 4 spiky */
    s->hair_style = female ? (u < 0.7f ? 2 : 3) : (u < 0.15f ? 0 : u < 0.75f ? 1 : 4);
    s->glasses = avs_rng_uniform(&r) < 0.25f;
    s->beard = !female && avs_rng_uniform(&r) < 0.3f;
    s->ears = avs_rng_uniform(&r) < 0.7f;
    s->head_w = avs_rng_range(&r, 0.68f, 0.86f);
    s->head_h = avs_rng_range(&r, 0.9f, 1.02f);
    s->eye_size = avs_rng_range(&r, 0.1f, 0.16f);
    s->eye_gap = avs_rng_range(&r, 0.26f, 0.36f);
    s->brow = avs_rng_range(&r, 0.02f, 0.05f);
    s->nose = avs_rng_range(&r, 0.08f, 0.16f);
  }
  free(list);
  *out = sp;
  return AVS_OK;
}

void avs_speaker_describe(const avs_speaker *s, char *buf, int size) {
  snprintf(buf, (size_t)size, "%s pitch %d range %d rate %d", s->voice, s->pitch, s->range, s->rate);
}

/* ---- the face ---- */

static avs_part *add(avs_glyph *g, avs_shape shape, float cx, float cy, const float *col) {
  avs_part *p = &g->part[g->n++];
  memset(p, 0, sizeof *p);
  p->shape = shape;
  p->cx = cx;
  p->cy = cy;
  memcpy(p->col, col, sizeof p->col);
  memcpy(p->col2, col, sizeof p->col2);
  return p;
}
static avs_part *ell(avs_glyph *g, float cx, float cy, float rx, float ry, const float *col) {
  avs_part *p = add(g, AVS_SHAPE_ELLIPSE, cx, cy, col);
  p->a0 = rx, p->a1 = ry;
  return p;
}
static avs_part *cap(avs_glyph *g, float ax, float ay, float bx, float by, float r, const float *col) {
  avs_part *p = add(g, AVS_SHAPE_CAPSULE, 0, 0, col);
  p->a0 = ax, p->a1 = ay, p->b0 = bx, p->b1 = by, p->r = r;
  return p;
}

int avs_face_glyph(const avs_speaker *s, float mouth_open, float mouth_round, int blink, avs_glyph *g) {
  memset(g, 0, sizeof *g);
  float dark[3], white[3] = {0.97f, 0.97f, 0.95f}, black[3] = {0.08f, 0.08f, 0.1f};
  for (int k = 0; k < 3; k++) dark[k] = s->skin[k] * 0.75f;
  float hw = s->head_w, hh = s->head_h;
  if (s->hair_style == 2) ell(g, 0, 0.15f, hw + 0.16f, hh + 0.12f, s->hair); /* long hair behind the head */
  if (s->ears) {
    ell(g, -hw + 0.02f, 0.05f, 0.13f, 0.2f, dark);
    ell(g, hw - 0.02f, 0.05f, 0.13f, 0.2f, dark);
  }
  avs_part *head = ell(g, 0, 0, hw, hh, s->skin);
  head->tex = AVS_TEX_GRADIENT;
  head->p1 = 1.2f;
  memcpy(head->col2, dark, sizeof dark);
  for (int k = 0; k < 3; k++) head->col2[k] = 0.5f * (s->skin[k] + dark[k]);
  switch (s->hair_style) { /* 0: bald */
  case 1: case 2: ell(g, 0, -hh * 0.72f, hw * 1.03f, hh * 0.42f, s->hair); break;
  case 3:
    ell(g, 0, -hh * 0.72f, hw * 1.03f, hh * 0.42f, s->hair);
    ell(g, 0, -hh * 1.12f, hw * 0.38f, hh * 0.25f, s->hair);
    break;
  case 4:
    for (int k = -2; k <= 2; k++) {
      avs_part *t = add(g, AVS_SHAPE_TRIANGLE, 0, 0, s->hair);
      float x = k * hw * 0.36f;
      t->a0 = x - 0.22f, t->a1 = -hh * 0.55f, t->b0 = x + 0.22f, t->b1 = -hh * 0.55f;
      t->c0 = x + 0.05f, t->c1 = -hh * 1.18f;
    }
    ell(g, 0, -hh * 0.7f, hw * 0.98f, hh * 0.34f, s->hair);
    break;
  }
  if (s->beard) {
    avs_part *b = ell(g, 0, hh * 0.5f, hw * 0.8f, hh * 0.48f, s->hair);
    b->tex = AVS_TEX_NOISE;
    b->p0 = 9;
    for (int k = 0; k < 3; k++) b->col2[k] = s->hair[k] * 0.7f;
  }
  float ey = -0.12f, eg = s->eye_gap, es = s->eye_size;
  for (int side = -1; side <= 1; side += 2) {
    float ex = side * eg;
    cap(g, ex - es, ey - es * 1.5f, ex + es, ey - es * 1.7f - 0.02f * side, s->brow, s->hair);
    if (blink) {
      cap(g, ex - es, ey, ex + es, ey, 0.018f, black);
    } else {
      ell(g, ex, ey, es, es * 0.72f, white);
      ell(g, ex, ey, es * 0.52f, es * 0.52f, s->eye);
      ell(g, ex, ey, es * 0.22f, es * 0.22f, black);
    }
    if (s->glasses) {
      avs_part *r = add(g, AVS_SHAPE_RING, ex, ey, black);
      r->a0 = es * 1.6f, r->a1 = es * 1.25f, r->r = 0.02f;
    }
  }
  if (s->glasses) cap(g, -eg + es * 1.6f, ey, eg - es * 1.6f, ey, 0.018f, black);
  avs_part *nose = add(g, AVS_SHAPE_TRIANGLE, 0, 0, dark);
  nose->a0 = 0, nose->a1 = 0.0f, nose->b0 = -s->nose * 0.6f, nose->b1 = 0.12f + s->nose, nose->c0 = s->nose * 0.6f;
  nose->c1 = 0.12f + s->nose;
  /* mouth: lips around a dark opening that grows with the speech */
  float mw = 0.26f * (1.0f - 0.35f * mouth_round), mh = 0.025f + 0.17f * mouth_open, my = 0.52f;
  if (s->beard) my = 0.5f;
  int mouth = g->n;
  ell(g, 0, my, mw + 0.04f, mh + 0.04f, s->lip);
  float inside[3] = {0.3f, 0.06f, 0.08f};
  ell(g, 0, my, mw, mh, inside);
  if (mouth_open > 0.3f) { /* teeth */
    avs_part *t = add(g, AVS_SHAPE_BOX, 0, my - mh * 0.6f, white);
    t->a0 = mw * 0.7f, t->a1 = mh * 0.25f;
  }
  avs_glyph_bounds(g);
  return mouth;
}
