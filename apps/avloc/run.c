#include "apps/avloc/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avloc/render.h"
#include "apps/common/cli.h"
#include "av/status.h"
#include "video/png.h"
#include "video/preprocess.h"

#define QUEUE_BYTES ((size_t)96 << 20) /* pixels of the waiting frames */

typedef struct {
  avs_image im;
  double t;
  int64_t index;
  int slot;   /* its place in the batch, -1 when not processed */
  bool still; /* a --png still */
} queued;

typedef struct {
  avloc_run *r;
  avs_video *v;
  avs_prep *prep;
  queued *q;
  int nq, cap;
  /* Batch slot k, source j: window and map [k * sources + j]; cur: the maps
   * that hold until the next processed frame. */
  float **win, **heat, **cur;
  bool *silent;
  const avs_image **sub_frames;
  const float **sub_win;
  float **sub_heat;
  int nb;
  avs_image canvas;
  avloc_peaks *peaks;
  double tol, next_proc, next_still;
  app_progress pr;
} pass;

static void *alloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) app_fail("out of memory");
  return p;
}

static void check(int rc) {
  if (rc) app_fail_status(rc);
}

static bool is_due(double t, double *next, double step, double tol) {
  if (t + tol < *next) return false;
  while (*next <= t + tol) *next += step;
  return true;
}

/* Draws frame i's overlay and hands it to the video and/or a still. */
static void emit(pass *p, avs_image *im, float *const *heat, bool still, int64_t index) {
  avloc_run *r = p->r;
  check(r->sources == 1 ? avloc_render(im, heat[0], r->cmap, r->alpha)
                        : avloc_render_sources(im, (const float *const *)heat, r->sources, r->alpha));
  if (r->writer) {
    check(avs_video_writer_write(r->writer, im->px));
    int64_t n = avs_video_writer_frames(r->writer);
    check(avloc_sound_pass(r->sound, r->writer, (double)n / r->fps));
  }
  if (still) {
    char path[4096];
    snprintf(path, sizeof path, "%s/frame_%06lld.png", r->png_dir, (long long)index);
    check(avs_png_write_image(path, im));
    r->stills++;
  }
}

/* The localizer on the batch (silent windows get a flat map without it),
 * then every queued frame in order: results, overlay, outputs. */
static void flush(pass *p) {
  avloc_run *r = p->r;
  int S = r->sources, n = 0;
  size_t plane = (size_t)r->w * r->h;
  for (int i = 0; i < p->nq; i++) {
    if (p->q[i].slot < 0) continue;
    for (int j = 0; j < S; j++) {
      int k = p->q[i].slot * S + j;
      r->windows++;
      if (p->silent[k]) {
        memset(p->heat[k], 0, plane * sizeof(float));
        r->silent++;
        continue;
      }
      p->sub_frames[n] = &p->q[i].im, p->sub_win[n] = p->win[k], p->sub_heat[n] = p->heat[k], n++;
    }
  }
  if (n) {
    check(avs_loc_heatmaps(r->ctx, r->model, n, p->sub_frames, p->sub_win, p->sub_heat));
    avs_ctx_reset(r->ctx);
  }
  float *const *heat = p->cur;
  for (int i = 0; i < p->nq; i++) {
    queued *f = &p->q[i];
    if (f->slot >= 0) {
      heat = p->heat + f->slot * S;
      avloc_peak pk[AVLOC_MAX_SOURCES][AVLOC_MAX_PEAKS];
      int np[AVLOC_MAX_SOURCES];
      for (int j = 0; j < S; j++) np[j] = avloc_peaks_find(p->peaks, heat[j], pk[j]);
      avloc_results_add(r->results, f->t, S, pk, np);
      r->processed++;
    }
    if (r->writer || f->still) emit(p, &f->im, heat, f->still, f->index);
  }
  if (heat != p->cur)
    for (int j = 0; j < S; j++) memcpy(p->cur[j], heat[j], plane * sizeof(float));
  p->nq = p->nb = 0;
}

static void setup(pass *p, avloc_run *r) {
  memset(p, 0, sizeof *p);
  p->r = r;
  size_t plane = (size_t)r->w * r->h, frame = plane * 3;
  p->cap = (int)(QUEUE_BYTES / frame);
  if (p->cap > 4 * r->batch) p->cap = 4 * r->batch;
  if (p->cap < 1) p->cap = 1;
  if (r->batch > p->cap) r->batch = p->cap;
  p->q = alloc(sizeof *p->q * (size_t)p->cap);
  size_t slots = (size_t)r->batch * r->sources;
  p->win = alloc(sizeof *p->win * slots);
  p->heat = alloc(sizeof *p->heat * slots);
  p->silent = alloc(sizeof *p->silent * slots);
  p->sub_frames = alloc(sizeof *p->sub_frames * slots);
  p->sub_win = alloc(sizeof *p->sub_win * slots);
  p->sub_heat = alloc(sizeof *p->sub_heat * slots);
  for (size_t k = 0; k < slots; k++) {
    p->win[k] = alloc(sizeof(float) * (size_t)r->g.samples);
    p->heat[k] = alloc(sizeof(float) * plane);
  }
  p->cur = alloc(sizeof *p->cur * (size_t)r->sources);
  for (int j = 0; j < r->sources; j++) p->cur[j] = alloc(sizeof(float) * plane);
  if (!(p->peaks = avloc_peaks_new(r->w, r->h))) app_fail("out of memory");
  if (r->writer) check(avs_image_alloc(&p->canvas, r->w, r->h));
  check(avs_video_open(r->video, NULL, &p->v));
  check(avs_prep_new(&(avs_geom){0}, NULL, &p->prep));
  check(avs_prep_set_source(p->prep, r->w, r->h));
  p->tol = 0.5 / r->fps;
}

static void teardown(pass *p) {
  for (int i = 0; i < p->cap; i++) avs_image_release(&p->q[i].im);
  for (int k = 0; k < p->r->batch * p->r->sources; k++) free(p->win[k]), free(p->heat[k]);
  for (int j = 0; j < p->r->sources; j++) free(p->cur[j]);
  free(p->q), free(p->win), free(p->heat), free(p->silent), free(p->cur);
  free(p->sub_frames), free(p->sub_win), free(p->sub_heat);
  avs_image_release(&p->canvas);
  avloc_peaks_free(&p->peaks);
  avs_prep_free(&p->prep);
  avs_video_free(&p->v);
}

void avloc_run_video(avloc_run *r) {
  pass p;
  setup(&p, r);
  app_progress_start(&p.pr, "localizing", avs_video_info_get(p.v)->n_frames);
  double t;
  int step;
  while ((step = avs_video_next(p.v, &t)) > 0) {
    int64_t index = r->frames++;
    bool process = r->proc_fps > 0 ? is_due(t, &p.next_proc, 1.0 / r->proc_fps, p.tol) : index % r->every == 0;
    bool still = false;
    if (process && r->png_dir) still = r->png_every <= 0 || is_due(t, &p.next_still, r->png_every, p.tol);
    if (process || (r->writer && p.nb)) {
      queued *f = &p.q[p.nq++];
      if (!f->im.px) check(avs_image_alloc(&f->im, r->w, r->h));
      check(avs_prep_frame(p.prep, p.v, f->im.px, NULL));
      f->t = t, f->index = index, f->still = still, f->slot = process ? p.nb++ : -1;
      int64_t start = llround(t * r->g.rate) - r->g.samples / 2;
      for (int j = 0; process && j < r->sources; j++) {
        int k = f->slot * r->sources + j;
        check(avloc_audio_window(r->audio[j], start, p.win[k], &p.silent[k]));
      }
      if (p.nb == r->batch || p.nq == p.cap) flush(&p);
    } else if (r->writer) { /* between batches: the latest map */
      check(avs_prep_frame(p.prep, p.v, p.canvas.px, NULL));
      emit(&p, &p.canvas, p.cur, false, index);
    }
    /* The container's frame count may be an estimate: never 100% before the end. */
    app_progress_update(&p.pr, r->frames < p.pr.total ? r->frames : p.pr.total - 1);
  }
  if (step < 0) app_fail_status(step);
  flush(&p);
  if (r->frames) app_progress_update(&p.pr, p.pr.total);
  app_progress_end(&p.pr);
  teardown(&p);
}
