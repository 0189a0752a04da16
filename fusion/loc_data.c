/* Localization training data (see loc_data.h). */
#include "fusion/loc_data.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "av/status.h"
#include "video/image.h"

#define LOC_MAX_FRAMES 64

void avs_loc_set_free(avs_loc_set **sp) {
  avs_loc_set *s = *sp;
  if (!s) return;
  for (int c = 0; c < s->n_clips; c++) {
    avs_loc_clip *k = &s->clips[c];
    free(k->wave), free(k->images), free(k->times), free(k->boxes), free(k->n_boxes), free(k->silent), free(k->n_silent);
  }
  free(s->clips), free(s);
  *sp = NULL;
}

/* The sounding (or the silent) objects' boxes on each kept frame, scaled to the model's image. */
static void keep_boxes(const avs_manifest_clip *mc, const avs_loc_geometry *g, int frames, const double *times,
                       bool sounding, float (*boxes)[4], int *n_boxes) {
  if (mc->width < 1 || mc->height < 1) return;
  float sx = (float)g->width / (float)mc->width, sy = (float)g->height / (float)mc->height;
  for (int k = 0; k < frames; k++) {
    int f = mc->fps > 0 ? (int)(times[k] * mc->fps + 0.5) : 0; /* the frame nearest to the time, as decoded */
    for (int o = 0; o < mc->n_objects && n_boxes[k] < AVS_LOC_MAX_BOXES; o++) {
      const avs_manifest_object *ob = &mc->objects[o];
      if (ob->sounding != sounding || ob->n_boxes < 1) continue;
      const int *b = ob->boxes[f < ob->n_boxes ? f : ob->n_boxes - 1];
      float *out = boxes[k * AVS_LOC_MAX_BOXES + n_boxes[k]++];
      out[0] = (float)b[0] * sx, out[1] = (float)b[1] * sy, out[2] = (float)b[2] * sx, out[3] = (float)b[3] * sy;
    }
  }
}

static int load_clip(avs_loc_set *s, const avs_manifest_clip *mc, avs_loc_clip *c) {
  const avs_loc_geometry *g = &s->g;
  avs_audio *a = NULL;
  int rc = avs_track_load(mc->audio, &(avs_track_opts){.rate = g->rate, .channels = 1}, &a);
  if (rc) return rc;
  c->wave = a->data, c->n = a->frames;
  a->data = NULL;
  avs_audio_free(&a);
  if (c->n < 1) return avs_seterr(AVS_EFORMAT, "%s: no audio samples", mc->audio);
  double dur = mc->frames > 0 && mc->fps > 0 ? mc->frames / mc->fps : (double)c->n / g->rate;
  c->times = malloc(sizeof(double) * (size_t)s->frames);
  c->images = malloc((size_t)s->frames * g->height * g->width * 3);
  c->boxes = calloc((size_t)s->frames * AVS_LOC_MAX_BOXES, sizeof *c->boxes);
  c->n_boxes = calloc((size_t)s->frames, sizeof(int));
  c->silent = calloc((size_t)s->frames * AVS_LOC_MAX_BOXES, sizeof *c->silent);
  c->n_silent = calloc((size_t)s->frames, sizeof(int));
  if (!c->times || !c->images || !c->boxes || !c->n_boxes || !c->silent || !c->n_silent)
    return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int k = 0; k < s->frames; k++) c->times[k] = dur * (k + 0.5) / s->frames;
  keep_boxes(mc, g, s->frames, c->times, true, c->boxes, c->n_boxes);
  keep_boxes(mc, g, s->frames, c->times, false, c->silent, c->n_silent);
  avs_image frames[LOC_MAX_FRAMES];
  if ((rc = avs_image_frames_at(mc->video, c->times, s->frames, frames))) return rc;
  size_t per = (size_t)g->height * g->width * 3;
  float *tmp = malloc(sizeof(float) * per);
  for (int k = 0; k < s->frames; k++) {
    if (tmp) {
      float box[4] = {0, 0, (float)frames[k].w, (float)frames[k].h};
      avs_image_crop_resize(&frames[k], box, g->width, g->height, NULL, tmp);
      for (size_t i = 0; i < per; i++) c->images[k * per + i] = (uint8_t)(tmp[i] + 0.5f);
    }
    avs_image_release(&frames[k]);
  }
  free(tmp);
  return tmp ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
}

int avs_loc_set_load(const avs_manifest *mf, const avs_loc_geometry *g, int frames, avs_loc_progress_fn progress,
                     void *user, avs_loc_set **out) {
  *out = NULL;
  if (frames < 1 || frames > LOC_MAX_FRAMES)
    return avs_seterr(AVS_EINVAL, "frames per clip %d is outside [1, %d]", frames, LOC_MAX_FRAMES);
  avs_loc_set *s = calloc(1, sizeof *s);
  if (!s || !(s->clips = calloc((size_t)(mf->n ? mf->n : 1), sizeof *s->clips))) {
    free(s);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  s->g = *g, s->frames = frames, s->n_clips = mf->n;
  /* Clips decode independently: spread over the threads (the first error wins). */
  int rc = AVS_OK, done = 0;
  char msg[1024] = ""; /* errors are per thread: the worker's message, set again on this one */
#pragma omp parallel for schedule(dynamic)
  for (int c = 0; c < mf->n; c++) {
    int r;
#pragma omp atomic read
    r = rc;
    if (r) continue;
    if (!mf->clips[c].audio) r = avs_seterr(AVS_EFORMAT, "%s line %d: clip %s has no audio", mf->path,
                                            mf->clips[c].line, mf->clips[c].id);
    else r = load_clip(s, &mf->clips[c], &s->clips[c]);
#pragma omp critical(loc_set_load)
    {
      if (r && !rc) rc = r, snprintf(msg, sizeof msg, "%s", avs_errmsg());
      if (progress) progress(user, ++done, mf->n);
    }
  }
  if (rc) {
    avs_loc_set_free(&s);
    avs_seterr(rc, "%s", msg);
  }
  *out = s;
  return rc;
}

void avs_loc_box_grid(const float (*boxes)[4], int n, int size_w, int size_h, int h, int w, float *grid) {
  for (int i = 0; i < h; i++)
    for (int j = 0; j < w; j++) {
      /* the cell's pixels, one by one: a union of boxes has no closed-form area */
      int y0 = i * size_h / h, y1 = (i + 1) * size_h / h, x0 = j * size_w / w, x1 = (j + 1) * size_w / w, in = 0;
      for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
          for (int k = 0; k < n; k++)
            if (x + 0.5f >= boxes[k][0] && x + 0.5f < boxes[k][2] && y + 0.5f >= boxes[k][1] && y + 0.5f < boxes[k][3]) {
              in++;
              break;
            }
      int cells = (y1 - y0) * (x1 - x0);
      grid[i * w + j] = cells ? (float)in / (float)cells : 0.0f;
    }
}

/* Frame k's boxes (AVS_LOC_MAX_BOXES per frame), mirrored when the image is, on the grid. */
static void boxes_on_grid(const avs_loc_geometry *g, const float (*all)[4], const int *count, int k, bool flip,
                          int grid_h, int grid_w, float *grid) {
  float boxes[AVS_LOC_MAX_BOXES][4];
  for (int o = 0; o < count[k]; o++) {
    const float *bx = all[k * AVS_LOC_MAX_BOXES + o];
    boxes[o][0] = flip ? (float)g->width - bx[2] : bx[0], boxes[o][2] = flip ? (float)g->width - bx[0] : bx[2];
    boxes[o][1] = bx[1], boxes[o][3] = bx[3];
  }
  avs_loc_box_grid((const float(*)[4])boxes, count[k], g->width, g->height, grid_h, grid_w, grid);
}

int avs_loc_batch_make(avs_ctx *ctx, const avs_loc_set *s, const int *idx, int n, avs_rng *rng, int grid_h,
                       int grid_w, avs_loc_batch *b) {
  const avs_loc_geometry *g = &s->g;
  avs_norm norm;
  int rc = avs_norm_preset(g->norm, &norm);
  b->images = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, g->height, g->width, 3));
  b->spec = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, g->bins, g->time, 1));
  const size_t cells = (size_t)grid_h * grid_w;
  b->gt = grid_h > 0 ? avs_ctx_alloc(ctx, sizeof(float) * n * cells) : NULL;
  b->gt_silent = grid_h > 0 ? avs_ctx_alloc(ctx, sizeof(float) * n * cells) : NULL;
  float *window = avs_ctx_alloc(ctx, sizeof(float) * (size_t)g->samples);
  uint8_t *flipped = avs_ctx_alloc(ctx, (size_t)g->height * g->width * 3);
  if (!rc && (!b->images || !b->spec || !window || !flipped || (grid_h > 0 && (!b->gt || !b->gt_silent))))
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
  size_t per = (size_t)g->height * g->width * 3;
  for (int i = 0; !rc && i < n; i++) {
    const avs_loc_clip *c = &s->clips[idx[i]];
    int k = (int)avs_rng_below(rng, (uint32_t)s->frames);
    const uint8_t *px = c->images + k * per;
    bool flip = avs_rng_uniform(rng) < 0.5f;
    if (b->gt) {
      boxes_on_grid(g, (const float(*)[4])c->boxes, c->n_boxes, k, flip, grid_h, grid_w, b->gt + i * cells);
      boxes_on_grid(g, (const float(*)[4])c->silent, c->n_silent, k, flip, grid_h, grid_w, b->gt_silent + i * cells);
    }
    if (flip) {
      for (int y = 0; y < g->height; y++)
        for (int x = 0; x < g->width; x++)
          memcpy(flipped + ((size_t)y * g->width + x) * 3, px + ((size_t)y * g->width + g->width - 1 - x) * 3, 3);
      px = flipped;
    }
    avs_norm_apply(&norm, px, (int64_t)g->height * g->width, (float *)b->images->data + i * per);
    avs_loc_window_at(c->wave, c->n, (int64_t)(c->times[k] * g->rate + 0.5), g->samples, window);
    rc = avs_loc_audio_input(g, window, (float *)b->spec->data + (size_t)i * g->bins * g->time);
  }
  return rc;
}
