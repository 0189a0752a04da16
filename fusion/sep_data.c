/* Separation data from avdata manifests (see sep_data.h). */
#include "fusion/sep_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "audio/logfreq.h"
#include "av/ops.h"
#include "av/status.h"
#include "video/preprocess.h"

void avs_sep_frame_times(const avs_sep_geometry *g, int64_t s0, double *times) {
  for (int i = 0; i < g->frames; i++) times[i] = ((double)s0 + (i + 0.5) * g->samples / g->frames) / g->rate;
}

int avs_sep_crop_boxes(const avs_sep_geometry *g, const avs_image *frames, const float (*boxes)[4], float *crops) {
  avs_norm norm;
  int rc = avs_norm_preset(g->norm, &norm);
  if (rc) return rc;
  size_t per = (size_t)g->height * g->width * 3;
  for (int i = 0; i < g->frames; i++) {
    const float *b = boxes[i];
    float cx = 0.5f * (b[0] + b[2]), cy = 0.5f * (b[1] + b[3]);
    float side = 1.1f * fmaxf(fmaxf(b[2] - b[0], b[3] - b[1]), 2.0f);
    float sq[4] = {cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2};
    avs_image_crop_resize(&frames[i], sq, g->width, g->height, &norm, crops + per * i);
  }
  return AVS_OK;
}

void avs_sep_set_free(avs_sep_set **sp) {
  avs_sep_set *s = sp ? *sp : NULL;
  if (!s) return;
  for (int i = 0; i < s->n_obj; i++) free(s->obj[i].wave), free(s->obj[i].crops);
  for (int c = 0; s->background && c < s->n_clips; c++) free(s->background[c]);
  free(s->obj), free(s->first), free(s->count), free(s->background), free(s);
  *sp = NULL;
}

/* The window of a stem: samples from s0, zero past its end. */
static int read_window(const char *path, const avs_sep_geometry *g, int64_t s0, float *out) {
  avs_audio *a = NULL;
  int rc = avs_track_load(path, &(avs_track_opts){.rate = g->rate, .channels = 1}, &a);
  if (rc) return rc;
  for (int64_t i = 0; i < g->samples; i++) out[i] = s0 + i < a->frames ? a->data[s0 + i] : 0.0f;
  avs_audio_free(&a);
  return AVS_OK;
}

int64_t avs_sep_set_window_start(const avs_sep_set *s, int c) {
  const avs_manifest_clip *clip = &s->mf->clips[c];
  const avs_sep_geometry *g = &s->g;
  int64_t n = clip->samples > 0 && clip->sample_rate > 0 ? clip->samples * g->rate / clip->sample_rate : g->samples;
  return n > g->samples ? (n - g->samples) / 2 : 0;
}

/* The frames of clip c's window and their times. */
static int window_frames(const avs_sep_set *s, int c, double *times, avs_image *frames) {
  const avs_sep_geometry *g = &s->g;
  if (g->frames > 64) return avs_seterr(AVS_EINVAL, "at most 64 frames per source");
  avs_sep_frame_times(g, avs_sep_set_window_start(s, c), times);
  return avs_image_frames_at(s->mf->clips[c].video, times, g->frames, frames);
}

/* Object ob's box on the video frame nearest time t (the whole frame of width w without boxes). */
static void object_box(const avs_manifest_object *ob, double fps, double t, int w, float box[4]) {
  int f = (int)floor(t * fps + 0.5);
  f = f < 0 ? 0 : f >= ob->n_boxes ? ob->n_boxes - 1 : f;
  for (int j = 0; j < 4; j++) box[j] = f >= 0 ? (float)ob->boxes[f][j] : (j < 2 ? 0.0f : (float)w);
}

/* Share of square a's area inside box b. */
static float covered(const float *a, const float *b) {
  float ix = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), iy = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
  return ix > 0 && iy > 0 ? ix * iy / ((a[2] - a[0]) * (a[3] - a[1])) : 0.0f;
}

bool avs_sep_background_square(const float (*boxes)[4], int n, int w, int h, avs_rng *rng, float sq[4]) {
  float shorter = (float)(w < h ? w : h);
  for (int tries = 0; tries < 50; tries++) {
    float side = (0.2f + 0.4f * avs_rng_uniform(rng)) * shorter;
    float x0 = avs_rng_uniform(rng) * ((float)w - side), y0 = avs_rng_uniform(rng) * ((float)h - side);
    float a[4] = {x0, y0, x0 + side, y0 + side};
    bool clear = true;
    for (int k = 0; clear && k < n; k++) clear = covered(a, boxes[k]) <= 0.1f;
    if (clear) {
      memcpy(sq, a, sizeof a);
      return true;
    }
  }
  return false;
}

/* Clip c's background region on its window's frames (times as window_frames gives them). */
static int background_of_clip(avs_sep_set *s, int c, const avs_image *frames, const double *times, avs_rng *rng) {
  const avs_manifest_clip *clip = &s->mf->clips[c];
  const avs_sep_geometry *g = &s->g;
  /* every object (sounding or not) on every frame the crops use */
  int n = clip->n_objects * g->frames, rc = AVS_OK;
  float(*boxes)[4] = malloc(sizeof *boxes * (size_t)(n ? n : 1)), sq[4];
  if (!boxes) return avs_seterr(AVS_ENOMEM, "out of memory");
  double fps = clip->fps > 0 ? clip->fps : 8;
  for (int k = 0; k < clip->n_objects; k++)
    for (int i = 0; i < g->frames; i++)
      object_box(&clip->objects[k], fps, times[i], frames[i].w, boxes[k * g->frames + i]);
  if (avs_sep_background_square((const float(*)[4])boxes, n, frames[0].w, frames[0].h, rng, sq)) {
    /* avs_sep_crop_boxes widens a box by 10 %: give it the square shrunk by as much */
    float cx = 0.5f * (sq[0] + sq[2]), cy = 0.5f * (sq[1] + sq[3]), half = (sq[2] - sq[0]) / 2.2f, each[64][4];
    for (int i = 0; i < g->frames; i++)
      each[i][0] = cx - half, each[i][1] = cy - half, each[i][2] = cx + half, each[i][3] = cy + half;
    float *crops = malloc(sizeof(float) * (size_t)g->frames * g->height * g->width * 3);
    if (!crops) rc = avs_seterr(AVS_ENOMEM, "out of memory");
    else if ((rc = avs_sep_crop_boxes(g, frames, (const float(*)[4])each, crops))) free(crops);
    else s->background[c] = crops;
  }
  free(boxes);
  return rc;
}

static int load_clip(avs_sep_set *s, int c, const avs_sep_load_opts *opts) {
  const avs_manifest_clip *clip = &s->mf->clips[c];
  const avs_sep_geometry *g = &s->g;
  int64_t s0 = avs_sep_set_window_start(s, c);
  double times[64];
  avs_image frames[64];
  int rc = window_frames(s, c, times, frames);
  if (rc) return rc;
  size_t per = (size_t)g->frames * g->height * g->width * 3;
  double fps = clip->fps > 0 ? clip->fps : 8;
  for (int k = 0; !rc && k < clip->n_objects; k++) {
    const avs_manifest_object *ob = &clip->objects[k];
    avs_sep_object *o = &s->obj[s->first[c] + k];
    o->clip = c, o->cls = ob->cls;
    float boxes[64][4];
    for (int i = 0; i < g->frames; i++) object_box(ob, fps, times[i], frames[i].w, boxes[i]);
    if (!(o->crops = malloc(sizeof(float) * per))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
    if (!rc) rc = avs_sep_crop_boxes(g, frames, (const float(*)[4])boxes, o->crops);
    if (!rc && ob->sounding && ob->stem) {
      if (!(o->wave = malloc(sizeof(float) * (size_t)g->samples))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
      else rc = read_window(ob->stem, g, s0, o->wave);
    }
  }
  if (!rc && opts && opts->backgrounds) {
    avs_rng rng; /* one stream per clip: the same regions whatever the threads */
    avs_rng_seed(&rng, opts->seed * 1000003u + (uint64_t)c);
    rc = background_of_clip(s, c, frames, times, &rng);
  }
  for (int i = 0; i < g->frames; i++) avs_image_release(&frames[i]);
  return rc;
}

int avs_sep_set_load(const avs_manifest *mf, const avs_sep_geometry *g, const avs_sep_load_opts *o,
                     avs_sep_progress_fn progress, void *user, avs_sep_set **out) {
  *out = NULL;
  avs_sep_set *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  s->g = *g, s->mf = mf, s->n_clips = mf->n;
  int total = 0;
  for (int c = 0; c < mf->n; c++) total += mf->clips[c].n_objects;
  s->first = calloc((size_t)mf->n, sizeof *s->first);
  s->count = calloc((size_t)mf->n, sizeof *s->count);
  s->obj = calloc((size_t)(total ? total : 1), sizeof *s->obj);
  if (o && o->backgrounds) s->background = calloc((size_t)mf->n, sizeof *s->background);
  bool ok = s->first && s->count && s->obj && (!o || !o->backgrounds || s->background);
  int rc = ok ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int c = 0, k = 0; !rc && c < mf->n; c++) s->first[c] = k, s->count[c] = mf->clips[c].n_objects, k += s->count[c];
  s->n_obj = total;
  /* Clips are independent: two threads decode them. */
  int done = 0;
#pragma omp parallel for schedule(dynamic) num_threads(2)
  for (int c = 0; c < mf->n; c++) {
    if (rc) continue;
    int r = load_clip(s, c, o);
#pragma omp critical
    {
      if (r && !rc) rc = avs_errprefix(r, mf->clips[c].id);
      done++;
      if (progress) progress(user, done, mf->n);
    }
  }
  if (rc) avs_sep_set_free(&s);
  *out = s;
  return rc;
}

bool avs_sep_set_shares_category(const avs_sep_set *s, int a, int b) {
  for (int i = 0; i < s->count[a]; i++)
    for (int j = 0; j < s->count[b]; j++) {
      int ca = s->obj[s->first[a] + i].cls, cb = s->obj[s->first[b] + j].cls;
      if (ca >= 0 && ca == cb) return true;
    }
  return false;
}

int avs_sep_warp(const avs_sep_geometry *g, const float *lin, float *out) {
  avs_logfreq_shape sh = {.n = 1, .in_bins = g->bins, .frames = g->time, .channels = 1, .out_bins = g->freq,
                          .align_corners = true};
  return avs_logfreq_warp(&sh, lin, out);
}

void avs_sep_ideal_mask(const float *src, const float *mix, size_t n, bool ratio, float max_ratio, float *mask) {
  for (size_t e = 0; e < n; e++) {
    float r = mix[e] > 1e-10f ? src[e] / mix[e] : 0.0f;
    mask[e] = ratio ? fminf(fmaxf(r, 0.0f), max_ratio) : (float)(src[e] > 0.5f * mix[e]);
  }
}

/* The loss weight of every bin: clamp(log1p(mixture), 1e-3, 10), Sound of Pixels' weighting. */
static void bin_weights(const float *wmix, size_t plane, float *wt) {
  for (size_t e = 0; e < plane; e++) wt[e] = fminf(fmaxf(log1pf(wmix[e]), 1e-3f), 10.0f);
}

/* Co-separation's targets of video v (clip c in a mixture of warped magnitude
 * wmix): the ratio of the magnitude of the clip's own sound, the sum of its
 * stems (silent objects add nothing), to the mixture's, and the weight. */
static int video_targets(avs_sep_audio *fe, const avs_sep_set *s, int c, const float *wmix, int v, float *wave,
                         float *mag, float *wclip, avs_sep_batch *b) {
  const avs_sep_geometry *g = &s->g;
  size_t plane = (size_t)g->freq * g->time;
  memset(wave, 0, sizeof(float) * (size_t)g->samples);
  for (int q = 0; q < s->count[c]; q++) {
    const avs_sep_object *ob = &s->obj[s->first[c] + q];
    for (int64_t t = 0; ob->wave && t < g->samples; t++) wave[t] += ob->wave[t];
  }
  int rc = avs_sep_magnitude(fe, wave, mag);
  if (!rc) rc = avs_sep_warp(g, mag, wclip);
  if (rc) return rc;
  b->clip_of_video[v] = c;
  avs_sep_ideal_mask(wclip, wmix, plane, true, 5.0f, b->video_target->data + plane * v);
  bin_weights(wmix, plane, b->video_weight->data + plane * v);
  return AVS_OK;
}

int avs_sep_batch_make(avs_ctx *ctx, avs_sep_audio *fe, const avs_sep_set *s, const avs_sep_batch_opts *o, int n,
                       avs_rng *rng, avs_sep_batch *b) {
  const avs_sep_geometry *g = &s->g;
  int mix = o->mix < 1 ? 1 : o->mix, clips[16];
  if (mix > 16 || mix > s->n_clips) return avs_seterr(AVS_EINVAL, "cannot mix %d clips of a set of %d", mix, s->n_clips);
  if (o->backgrounds > 0 && (o->videos || !s->background))
    return avs_seterr(AVS_EINVAL, o->videos ? "background sources need per-object targets"
                                            : "background sources need a set loaded with backgrounds");
  int *chosen = malloc(sizeof(int) * (size_t)n * (mix + 1)), *bg = chosen + (size_t)n * mix;
  if (!chosen) return avs_seterr(AVS_ENOMEM, "out of memory");
  int m = 0;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < mix; k++) {
      int c = 0;
      for (int tries = 0; tries < 20; tries++) {
        c = (int)avs_rng_below(rng, (uint32_t)s->n_clips);
        bool ok = true;
        for (int j = 0; j < k; j++) ok = ok && c != clips[j] && !avs_sep_set_shares_category(s, c, clips[j]);
        if (ok) break;
      }
      clips[k] = chosen[i * mix + k] = c;
      m += s->count[c];
    }
    /* the rng draws nothing more without backgrounds: such batches are as before */
    bg[i] = -1;
    if (o->backgrounds > 0 && avs_rng_uniform(rng) < o->backgrounds) {
      int c = clips[avs_rng_below(rng, (uint32_t)mix)];
      if (s->background[c]) bg[i] = c, m++;
    }
  }
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  size_t per_crop = (size_t)g->frames * g->height * g->width * 3;
  int v = n * mix;
  *b = (avs_sep_batch){.n_mix = n, .n_src = m};
  b->input = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, g->freq, g->time, g->channels));
  b->crops = avs_ctx_tensor(ctx, 5, AVS_SHAPE(m, g->frames, g->height, g->width, 3));
  b->mix_of = avs_ctx_alloc(ctx, sizeof(int) * (size_t)m);
  bool ok = b->input && b->crops && b->mix_of;
  if (o->videos) {
    b->n_videos = v;
    b->video_target = avs_ctx_tensor(ctx, 3, AVS_SHAPE(v, g->freq, g->time));
    b->video_weight = avs_ctx_tensor(ctx, 3, AVS_SHAPE(v, g->freq, g->time));
    b->mixmag = avs_ctx_tensor(ctx, 3, AVS_SHAPE(n, g->freq, g->time));
    b->video_of = avs_ctx_alloc(ctx, sizeof(int) * (size_t)m);
    b->labels = avs_ctx_alloc(ctx, sizeof(int) * (size_t)m);
    b->clip_of_video = avs_ctx_alloc(ctx, sizeof(int) * (size_t)v);
    ok = ok && b->video_target && b->video_weight && b->mixmag && b->video_of && b->labels && b->clip_of_video;
  } else {
    b->target = avs_ctx_tensor(ctx, 3, AVS_SHAPE(m, g->freq, g->time));
    b->weight = avs_ctx_tensor(ctx, 3, AVS_SHAPE(m, g->freq, g->time));
    ok = ok && b->target && b->weight;
  }
  float *wave = malloc(sizeof(float) * (size_t)g->samples * n), *mag = malloc(sizeof(float) * lin);
  float *mixmags = malloc(sizeof(float) * lin * n);
  float *wmix = malloc(sizeof(float) * plane), *wsrc = malloc(sizeof(float) * plane);
  float *clip_wave = malloc(sizeof(float) * (size_t)g->samples);
  int rc = ok ? AVS_OK : avs_errcode();
  if (!rc && (!wave || !mag || !mixmags || !wmix || !wsrc || !clip_wave)) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  /* the mixtures' waves, then their net inputs all at once */
  for (int i = 0; !rc && i < n; i++) {
    float *x = wave + (size_t)g->samples * i;
    memset(x, 0, sizeof(float) * (size_t)g->samples);
    for (int k = 0; k < mix; k++) {
      int c = chosen[i * mix + k];
      for (int q = 0; q < s->count[c]; q++) {
        const avs_sep_object *ob = &s->obj[s->first[c] + q];
        for (int64_t t = 0; ob->wave && t < g->samples; t++) x[t] += ob->wave[t];
      }
    }
  }
  if (!rc) rc = avs_sep_analyze_batch(fe, wave, n, mixmags, b->input->data);
  for (int i = 0, j = 0; !rc && i < n; i++) {
    if ((rc = avs_sep_warp(g, mixmags + lin * i, wmix))) break;
    for (int k = 0; !rc && k < mix; k++) {
      int c = chosen[i * mix + k];
      if (o->videos) rc = video_targets(fe, s, c, wmix, i * mix + k, clip_wave, mag, wsrc, b);
      if (o->videos && k == 0)
        for (size_t e = 0; e < plane; e++) b->mixmag->data[plane * i + e] = wmix[e] + 1e-10f;
      for (int q = 0; !rc && q < s->count[c]; q++, j++) {
        const avs_sep_object *ob = &s->obj[s->first[c] + q];
        b->mix_of[j] = i;
        memcpy(b->crops->data + per_crop * j, ob->crops, sizeof(float) * per_crop);
        if (o->videos) {
          b->video_of[j] = i * mix + k, b->labels[j] = ob->cls;
          continue;
        }
        float *tg = b->target->data + plane * j, *wt = b->weight->data + plane * j;
        if (ob->wave) rc = avs_sep_magnitude(fe, ob->wave, mag);
        else memset(mag, 0, sizeof(float) * lin);
        if (!rc) rc = avs_sep_warp(g, mag, wsrc);
        if (!rc) avs_sep_ideal_mask(wsrc, wmix, plane, o->ratio, 5.0f, tg);
        if (!rc) bin_weights(wmix, plane, wt);
      }
    }
    if (!rc && bg[i] >= 0) {
      b->mix_of[j] = i;
      memcpy(b->crops->data + per_crop * j, s->background[bg[i]], sizeof(float) * per_crop);
      memset(b->target->data + plane * j, 0, sizeof(float) * plane);
      bin_weights(wmix, plane, b->weight->data + plane * j);
      j++;
    }
  }
  free(chosen), free(wave), free(mag), free(mixmags), free(wmix), free(wsrc), free(clip_wave);
  return rc;
}
