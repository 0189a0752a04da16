/* Source discovery by candidate regions (see discover.h). */
#include "fusion/discover.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_data.h"
#include "fusion/sep_nmf.h"
#include "fusion/separate.h"
#include "nn/fold.h"

#define N_SCALES 3
/* Sides of the squares, of the frame's shorter side. A square holding several
 * objects gets the union of their masks: at {0.4, 0.6, 0.85} discovery found
 * one source in most two- and three-source clips (the benchmark's objects are
 * 0.1-0.55 of the side). {0.2, 0.3, 0.45}, on 24 validation clips (seed 21)
 * and 40 test clips (seed 12): discovered SDR 0.09 -> 1.33 and -0.90 -> 0.51 dB,
 * the count right in 22 -> 22 % and 13 -> 27 % of the clips. */
static const float scales[N_SCALES] = {0.2f, 0.3f, 0.45f};
#define N_CAND (AVS_DISCOVER_GRID * AVS_DISCOVER_GRID * N_SCALES)
/* Regions per forward. Per region a forward costs the same from 4 to 32 of them (5.3-5.7 ms with the shipped
 * model on 2 cores), but the arena's first pass faults in its pages: 380 ms more than the next for 32, 140 for 8. */
#define CHUNK 8
/* An instrument class the NMF prior hears holds at least this share of the window's energy. On 300
 * validation clips of 1-3 instruments the count is right in 67 % (FluidR3 model, FluidR3 clips) and
 * 55 % (the default model, clips of three soundfonts) of them at 0.15 (0.12: 64 and 45 %; 0.2: 58
 * and 46 %), and in 61 and 57 % of those with 2-3 (always 2: 51 %); the candidates' 10 %
 * mask-share rule got 24 % of music1000's natural test clips (docs/BENCHMARK.md). */
#define CLASS_SHARE 0.15f

typedef struct {
  float box[4];
  int cell;
  float share;
  float *mask; /* (freq, time) */
} candidate;

/* The square of size scales[scale] centred on grid cell (gx, gy), shifted inside the frame where it would stick
 * out (so that near the edges the large squares of neighbouring cells can be the same). */
static void place(candidate *c, int w, int h, int gx, int gy, int scale) {
  float side = scales[scale] * (float)(w < h ? w : h);
  float x0 = fminf(fmaxf((gx + 0.5f) * w / AVS_DISCOVER_GRID - 0.5f * side, 0.0f), (float)w - side);
  float y0 = fminf(fmaxf((gy + 0.5f) * h / AVS_DISCOVER_GRID - 0.5f * side, 0.0f), (float)h - side);
  c->box[0] = x0, c->box[1] = y0, c->box[2] = x0 + side, c->box[3] = y0 + side;
  c->cell = gy * AVS_DISCOVER_GRID + gx;
}

/* Scores candidates against one window: the window analysed and the mixture's energy on the net's rows. */
typedef struct {
  const avs_model *m;
  avs_sep_audio *fe;
  avs_sep_window w;
  avs_ctx *ctx;
  float *energy; /* (freq, time) */
  double total;
} scorer;

static void scorer_close(scorer *s) {
  avs_sep_window_release(&s->w);
  avs_ctx_free(&s->ctx);
  avs_sep_audio_free(&s->fe);
  free(s->energy);
}

/* With audio_count not NULL and a model with the NMF prior, also how many instruments the prior hears in the
 * window (avs_sep_nmf_count); 0 otherwise. Close it whatever this returns. */
static int scorer_open(scorer *s, const avs_model *m, const float *window, int *audio_count) {
  *s = (scorer){.m = m};
  int rc = avs_sep_audio_new(m, &s->fe);
  if (rc) return rc;
  const avs_sep_geometry *g = avs_sep_audio_geometry(s->fe);
  size_t plane = (size_t)g->freq * g->time;
  s->ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  s->energy = malloc(sizeof(float) * plane);
  if (!s->ctx || !s->energy) rc = s->ctx ? avs_seterr(AVS_ENOMEM, "out of memory") : avs_errcode();
  if (!rc) rc = avs_sep_window_alloc(s->fe, &s->w);
  if (!rc) rc = avs_sep_analyze(s->fe, window, &s->w);
  if (audio_count)
    *audio_count = !rc && g->channels > 1 ? avs_sep_nmf_count(g, g->channels - 1, s->w.linear, s->w.mag, CLASS_SHARE)
                                          : 0;
  /* Energy on the warped rows: exp(2 logmag) as the net sees the mixture (channel 0 of its input). */
  for (size_t e = 0; !rc && e < plane; e++) s->total += s->energy[e] = expf(2 * s->w.input[e * g->channels]);
  return rc;
}

/* Every candidate's score: the energy share of its mask on the window. */
static int score(scorer *s, const avs_image *frames, candidate *const *c, int n) {
  const avs_sep_geometry *g = avs_sep_audio_geometry(s->fe);
  size_t plane = (size_t)g->freq * g->time, per = (size_t)g->frames * g->height * g->width * 3;
  int rc = AVS_OK;
  int mix_of[CHUNK] = {0}; /* every candidate separates the one window */
  for (int i0 = 0; !rc && i0 < n; i0 += CHUNK) {
    int k = n - i0 < CHUNK ? n - i0 : CHUNK;
    avs_ctx_reset(s->ctx); /* each chunk reuses the arena the previous one grew (no fresh pages) */
    avs_tensor *logmag = avs_sep_window_tensor(s->ctx, g, &s->w);
    avs_tensor *crops = avs_ctx_tensor(s->ctx, 5, AVS_SHAPE(k, g->frames, g->height, g->width, 3));
    if (!logmag || !crops) return avs_errcode();
    for (int i = 0; !rc && i < k; i++) {
      float boxes[64][4];
      for (int f = 0; f < g->frames && f < 64; f++) memcpy(boxes[f], c[i0 + i]->box, sizeof boxes[f]);
      rc = avs_sep_crop_boxes(g, frames, (const float(*)[4])boxes, crops->data + per * i);
    }
    avs_tensor *logits = rc ? NULL : avs_sep_model_forward(s->ctx, s->m, logmag, crops, mix_of);
    if (!rc && !logits) rc = avs_errcode();
    for (int i = 0; !rc && i < k; i++) {
      double kept = 0;
      float *mk = c[i0 + i]->mask;
      for (size_t e = 0; e < plane; e++) {
        mk[e] = 1.0f / (1.0f + expf(-logits->data[plane * i + e]));
        kept += mk[e] * s->energy[e];
      }
      c[i0 + i]->share = s->total > 0 ? (float)(kept / s->total) : 0.0f;
    }
  }
  return rc;
}

static float iou(const float *a, const float *b) {
  float ix = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), iy = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
  if (ix <= 0 || iy <= 0) return 0;
  float inter = ix * iy, ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return inter / ua;
}

static float cosine(const float *a, const float *b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
  return aa > 0 && bb > 0 ? (float)(ab / sqrt(aa * bb)) : 0.0f;
}

static int by_share(const void *x, const void *y) {
  float a = ((const candidate *)x)->share, b = ((const candidate *)y)->share;
  return a < b ? 1 : a > b ? -1 : 0;
}

/* n candidates with room for their masks, one block that starts at c[0].mask (free it, then c). */
static candidate *candidates(const avs_model *m, int n, size_t *plane) {
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  *plane = (size_t)g.freq * g.time;
  candidate *c = calloc((size_t)n, sizeof *c);
  float *masks = malloc(sizeof(float) * *plane * (size_t)n);
  if (!c || !masks) {
    free(c), free(masks);
    avs_seterr(AVS_ENOMEM, "out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) c[i].mask = masks + *plane * i;
  return c;
}

int avs_sep_discover(const avs_model *m, const float *window, const avs_image *frames, const avs_discover_opts *o,
                     avs_discover_result *r) {
  memset(r, 0, sizeof *r);
  size_t plane;
  candidate *c = candidates(m, N_CAND, &plane);
  if (!c) return avs_errcode();
  float *masks = c[0].mask;
  int n = 0, audio_count = 0;
  for (int s = 0; s < N_SCALES; s++)
    for (int gy = 0; gy < AVS_DISCOVER_GRID; gy++)
      for (int gx = 0; gx < AVS_DISCOVER_GRID; gx++) place(&c[n++], frames[0].w, frames[0].h, gx, gy, s);
  /* Each distinct square once (164 of the 192 on a square frame); a repeated one takes its first's score and mask. */
  candidate *distinct[N_CAND];
  int first[N_CAND], n_distinct = 0;
  for (int i = 0; i < n; i++) {
    first[i] = i;
    for (int j = 0; j < i && first[i] == i; j++)
      if (!memcmp(c[j].box, c[i].box, sizeof c[i].box)) first[i] = j;
    if (first[i] == i) distinct[n_distinct++] = &c[i];
  }
  scorer sc;
  int rc = scorer_open(&sc, m, window, o->sources || o->min_share > 0 ? NULL : &audio_count);
  if (!rc) rc = score(&sc, frames, distinct, n_distinct);
  scorer_close(&sc);
  for (int i = 0; !rc && i < n; i++) {
    c[i].share = c[first[i]].share, c[i].mask = c[first[i]].mask;
    r->heat[c[i].cell] = fmaxf(r->heat[c[i].cell], c[i].share);
  }
  if (!rc) qsort(c, n, sizeof *c, by_share);
  float min_share = o->min_share > 0 ? o->min_share : 0.1f;
  int count = o->sources > 0 ? o->sources : audio_count; /* 0: as many as pass the share rule */
  int want = count > 0 ? (count < AVS_DISCOVER_MAX ? count : AVS_DISCOVER_MAX) : AVS_DISCOVER_MAX;
  int picked[AVS_DISCOVER_MAX];
  bool taken[N_CAND] = {false};
  /* A known count relaxes the rules pass by pass: distinct masks and places,
   * then distinct places only, then the next best. */
  for (int pass = 0; !rc && pass < (count ? 3 : 1); pass++)
    for (int i = 0; i < n && r->n < want; i++) {
      if (taken[i] || (!count && c[i].share < min_share)) continue;
      bool fresh = true;
      for (int k = 0; fresh && k < r->n; k++)
        fresh = (pass > 1 || iou(c[i].box, c[picked[k]].box) < 0.3f) &&
                (pass > 0 || cosine(c[i].mask, c[picked[k]].mask, plane) < 0.85f);
      if (!fresh) continue;
      taken[i] = true;
      picked[r->n] = i;
      memcpy(r->src[r->n].box, c[i].box, sizeof c[i].box);
      r->src[r->n++].share = c[i].share;
    }
  /* A sounding window always has a source: the best region, if none stood out. */
  if (!rc && r->n == 0 && want > 0 && c[0].share > 0) {
    memcpy(r->src[0].box, c[0].box, sizeof c[0].box);
    r->src[r->n++].share = c[0].share;
  }
  free(masks), free(c);
  return rc;
}

int avs_sep_region_at(const avs_model *m, const float *window, const avs_image *frames, float x, float y,
                      avs_found_source *out) {
  size_t plane;
  candidate *c = candidates(m, N_SCALES, &plane);
  if (!c) return avs_errcode();
  /* The candidates centred on the cell of (x, y), one per size; the best one wins. */
  int gx = (int)(x * AVS_DISCOVER_GRID / frames[0].w), gy = (int)(y * AVS_DISCOVER_GRID / frames[0].h);
  gx = gx < 0 ? 0 : gx >= AVS_DISCOVER_GRID ? AVS_DISCOVER_GRID - 1 : gx;
  gy = gy < 0 ? 0 : gy >= AVS_DISCOVER_GRID ? AVS_DISCOVER_GRID - 1 : gy;
  candidate *at[N_SCALES];
  for (int s = 0; s < N_SCALES; s++) place(at[s] = &c[s], frames[0].w, frames[0].h, gx, gy, s);
  scorer sc;
  int rc = scorer_open(&sc, m, window, NULL);
  if (!rc) rc = score(&sc, frames, at, N_SCALES);
  scorer_close(&sc);
  int best = 0;
  for (int i = 1; !rc && i < N_SCALES; i++)
    if (c[i].share > c[best].share) best = i;
  if (!rc) {
    /* centred on the point itself, shifted inside the frame */
    float side = c[best].box[2] - c[best].box[0], w = (float)frames[0].w, h = (float)frames[0].h;
    float x0 = fminf(fmaxf(x - 0.5f * side, 0.0f), w - side), y0 = fminf(fmaxf(y - 0.5f * side, 0.0f), h - side);
    out->box[0] = x0, out->box[1] = y0, out->box[2] = x0 + side, out->box[3] = y0 + side;
    out->share = c[best].share;
  }
  free(c[0].mask), free(c);
  return rc;
}

int avs_sep_loudest_window(const avs_model *m, const char *video, const float *x, int64_t n,
                           avs_discover_window *w) {
  memset(w, 0, sizeof *w);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  if (g.frames > AVS_DISCOVER_MAX_FRAMES)
    return avs_seterr(AVS_EINVAL, "the separation model wants %d frames per window (at most %d)", g.frames,
                      AVS_DISCOVER_MAX_FRAMES);
  int64_t best = 0, windows = avs_sep_windows(&g, n);
  double best_e = -1;
  for (int64_t k = 0; k < windows; k++) {
    int64_t s0 = avs_sep_window_start(&g, n, k);
    double e = 0;
    for (int64_t t = s0 < 0 ? 0 : s0; t < s0 + g.samples && t < n; t++) e += (double)x[t] * x[t];
    if (e > best_e) best_e = e, best = k;
  }
  w->start = avs_sep_window_start(&g, n, best);
  if (!(w->samples = malloc(sizeof(float) * (size_t)g.samples))) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int64_t t = 0; t < g.samples; t++) w->samples[t] = w->start + t >= 0 && w->start + t < n ? x[w->start + t] : 0.0f;
  double times[AVS_DISCOVER_MAX_FRAMES];
  avs_sep_frame_times(&g, w->start, times);
  for (int i = 0; i < g.frames; i++) times[i] = times[i] < 0 ? 0 : times[i];
  int rc = avs_image_frames_at(video, times, g.frames, w->frames);
  if (rc) {
    avs_discover_window_release(w);
    return rc;
  }
  w->n_frames = g.frames;
  return AVS_OK;
}

void avs_discover_window_release(avs_discover_window *w) {
  for (int i = 0; i < w->n_frames; i++) avs_image_release(&w->frames[i]);
  free(w->samples);
  memset(w, 0, sizeof *w);
}
