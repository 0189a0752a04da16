/* One video's sources (see sources.h): given boxes, the region of a point, or
 * found in the picture (fusion/discover.h) on the loudest window; each is
 * separated over the whole audio by its box (fusion/sep_video.h), brought to
 * the output rate, optionally completed so that the tracks add up to the
 * soundtrack, and written as a WAV, a heatmap PNG and, if asked, an MP4. */
#include "apps/avsep/sources.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/common/cli.h"
#include "apps/common/progress.h"
#include "audio/audio_file.h"
#include "audio/audio_track.h"
#include "av/status.h"
#include "fusion/sep_video.h"
#include "fusion/separate.h"
#include "video/overlay.h"
#include "video/png.h"
#include "video/redraw.h"

static void on_progress(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

/* DIR/PREFIX followed by fmt with k */
static char *in_dir(const char *dir, const char *prefix, const char *fmt, int k) {
  char name[64];
  size_t len = strlen(dir) + strlen(prefix) + 80;
  char *p = malloc(len);
  if (!p) app_fail("out of memory");
  snprintf(name, sizeof name, fmt, k);
  snprintf(p, len, "%s/%s%s", dir, prefix, name);
  return p;
}

static const uint8_t palette[AVS_DISCOVER_MAX][3] = {{255, 80, 80}, {80, 200, 255}, {120, 255, 120}, {255, 210, 60},
                                                     {220, 120, 255}, {255, 150, 60}, {60, 255, 220}, {255, 255, 255}};

static void write_heatmap(const char *path, const avs_image *frame, const float *heat, const float *box, int k) {
  avs_image im;
  if (avs_image_alloc(&im, frame->w, frame->h)) app_fail_status(avs_errcode());
  memcpy(im.px, frame->px, (size_t)frame->w * frame->h * 3);
  if (avs_overlay_heatmap(&im, heat, AVS_DISCOVER_GRID, AVS_DISCOVER_GRID, AVS_CMAP_INFERNO, 0.5f, 0, 0))
    app_fail_status(avs_errcode());
  avs_overlay_box(&im, (int)box[0], (int)box[1], (int)box[2] - 1, (int)box[3] - 1, palette[k % AVS_DISCOVER_MAX], 2);
  if (avs_png_write_image(path, &im)) app_fail_status(avs_errcode());
  avs_image_release(&im);
}

/* The source's video: everything but its region dimmed, the region boxed in its colour. */
typedef struct {
  const float *box;
  int k;
} source_frame;

static void draw_source(void *user, avs_image *im, double t) {
  (void)t;
  const source_frame *sf = user;
  static const uint8_t black[3] = {0, 0, 0};
  int x0 = (int)sf->box[0], y0 = (int)sf->box[1], x1 = (int)sf->box[2], y1 = (int)sf->box[3];
  avs_overlay_fill(im, 0, 0, im->w - 1, y0 - 1, black, 0.6f);
  avs_overlay_fill(im, 0, y1, im->w - 1, im->h - 1, black, 0.6f);
  avs_overlay_fill(im, 0, y0, x0 - 1, y1 - 1, black, 0.6f);
  avs_overlay_fill(im, x1, y0, im->w - 1, y1 - 1, black, 0.6f);
  avs_overlay_box(im, x0, y0, x1 - 1, y1 - 1, palette[sf->k % AVS_DISCOVER_MAX], 2);
}

static cJSON *loudness(const avs_audio *a) {
  cJSON *arr = cJSON_CreateArray();
  int64_t hop = (int64_t)(AVSEP_LOUDNESS_HOP * a->rate);
  for (int64_t s = 0; s < a->frames; s += hop) {
    double e = 0;
    int64_t end = s + hop < a->frames ? s + hop : a->frames;
    for (int64_t t = s; t < end; t++) e += (double)a->data[t] * a->data[t];
    double db = 10 * log10(e / (double)(end - s) + 1e-12);
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(round(db * 10) / 10));
  }
  return arr;
}

static cJSON *box_json(const float *b, int w, int h) {
  int v[4] = {(int)fmaxf(b[0], 0), (int)fmaxf(b[1], 0), (int)fminf(b[2], (float)w), (int)fminf(b[3], (float)h)};
  return cJSON_CreateIntArray(v, 4);
}


static void whole_picture(const avs_video_info *info, float box[4]) {
  box[0] = 0, box[1] = 0, box[2] = (float)info->width, box[3] = (float)info->height;
}

avs_sep_mask_rule avsep_mask_rule(const avsep_mask_opts *m) {
  avs_sep_mask_rule rule;
  if (avs_sep_mask_rule_parse(m->masks ? m->masks : "compete", m->binary, &rule)) app_usage_error("--%s", avs_errmsg());
  return rule;
}

cJSON *avsep_sources_write(const avsep_sources_job *j) {
  float boxes[AVS_DISCOVER_MAX][4], share[AVS_DISCOVER_MAX] = {0};
  float heat[AVS_DISCOVER_GRID * AVS_DISCOVER_GRID] = {0};
  int n_src = j->n_boxes;
  for (int k = 0; k < n_src; k++) memcpy(boxes[k], j->boxes[k], sizeof boxes[k]);
  float peak = 0;
  for (int64_t t = 0; t < j->n; t++) peak = fmaxf(peak, fabsf(j->x[t]));
  avs_sep_geometry g;
  avs_sep_model_geometry(j->m, &g);

  /* The sources: given, at a point, or found on the loudest window. */
  avs_discover_window dw;
  if (avs_sep_loudest_window(j->m, j->video, j->x, j->n, &dw)) app_fail_status(avs_errcode());
  if (peak < 1e-4f && !n_src) {
    app_warn("%s: the sound is silent: one silent track for the whole picture", j->label);
    whole_picture(j->info, boxes[0]), n_src = 1;
  } else if (j->point) {
    avs_found_source f;
    if (avs_sep_region_at(j->m, dw.samples, dw.frames, j->point[0], j->point[1], &f)) app_fail_status(avs_errcode());
    memcpy(boxes[0], f.box, sizeof f.box), share[0] = f.share, n_src = 1;
  } else if (!n_src) {
    avs_discover_result r;
    if (avs_sep_discover(j->m, dw.samples, dw.frames, &(avs_discover_opts){.sources = j->sources}, &r))
      app_fail_status(avs_errcode());
    memcpy(heat, r.heat, sizeof heat);
    for (int k = 0; k < r.n; k++) memcpy(boxes[k], r.src[k].box, sizeof boxes[k]), share[k] = r.src[k].share;
    n_src = r.n;
    if (!n_src) {
      app_warn("%s: no sound source stands out in the picture: the whole picture is one source", j->label);
      whole_picture(j->info, boxes[0]), n_src = 1;
    } else if (n_src == 1 && !j->sources && j->complete) {
      app_warn("%s: one sound source found: its track is the whole soundtrack", j->label);
    }
  }
  app_info("%d source%s", n_src, n_src == 1 ? "" : "s");

  /* Separation at the model's rate, then to the output rate. */
  float *tracks[AVS_DISCOVER_MAX];
  for (int k = 0; k < n_src; k++)
    if (!(tracks[k] = malloc(sizeof(float) * (size_t)j->n))) app_fail("out of memory");
  app_progress pr;
  app_progress_start(&pr, "separating", avs_sep_windows(&g, j->n));
  avs_sep_video_job job = {.sources = n_src, .boxes = (const float(*)[4])boxes, .rule = j->rule,
                           .progress = on_progress, .progress_user = &pr};
  if (avs_sep_separate_video(j->m, j->video, j->x, j->n, &job, tracks)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  avs_audio *out[AVS_DISCOVER_MAX];
  float *outp[AVS_DISCOVER_MAX];
  for (int k = 0; k < n_src; k++) {
    avs_audio model_rate = {.data = tracks[k], .frames = j->n, .channels = 1, .rate = g.rate}, *up = NULL;
    if (avs_audio_resample(&model_rate, j->rate, &up)) app_fail_status(avs_errcode());
    if (!(out[k] = avs_audio_new(j->frames, 1, j->rate))) app_fail_status(avs_errcode());
    memcpy(out[k]->data, up->data, sizeof(float) * (size_t)(up->frames < j->frames ? up->frames : j->frames));
    outp[k] = out[k]->data;
    avs_audio_free(&up);
    free(tracks[k]);
  }
  if (j->complete) avs_sep_complete(outp, n_src, j->complete, j->frames, j->rate / 20);

  cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "sources");
  const avs_image *middle = &dw.frames[g.frames / 2];
  for (int k = 0; k < n_src; k++) {
    char *wav = in_dir(j->dir, j->prefix, "source_%d.wav", k + 1);
    char *png = in_dir(j->dir, j->prefix, "source_%d_heatmap.png", k + 1);
    if (avs_audio_write(wav, out[k], AVS_SAMPLE_FLOAT)) app_fail_status(avs_errcode());
    write_heatmap(png, middle, heat, boxes[k], k);
    cJSON *s = cJSON_CreateObject();
    char name[96];
    cJSON_AddNumberToObject(s, "index", k + 1);
    snprintf(name, sizeof name, "%ssource_%d.wav", j->prefix, k + 1);
    cJSON_AddStringToObject(s, "file", name);
    cJSON_AddItemToObject(s, "box", box_json(boxes[k], j->info->width, j->info->height));
    cJSON_AddNumberToObject(s, "share", round(share[k] * 1000) / 1000);
    snprintf(name, sizeof name, "%ssource_%d_heatmap.png", j->prefix, k + 1);
    cJSON_AddStringToObject(s, "heatmap", name);
    cJSON_AddItemToObject(s, "loudness_db", loudness(out[k]));
    if (j->video_out) {
      char *mp4 = in_dir(j->dir, j->prefix, "source_%d.mp4", k + 1);
      if (avs_video_redraw(j->video, mp4, out[k]->data, out[k]->frames, out[k]->rate, draw_source,
                           &(source_frame){.box = boxes[k], .k = k}))
        app_fail_status(avs_errcode());
      snprintf(name, sizeof name, "%ssource_%d.mp4", j->prefix, k + 1);
      cJSON_AddStringToObject(s, "video", name);
      free(mp4);
    }
    cJSON_AddItemToArray(arr, s);
    free(wav), free(png);
    avs_audio_free(&out[k]);
  }
  cJSON *hm = cJSON_AddArrayToObject(root, "heatmap");
  for (int i = 0; i < AVS_DISCOVER_GRID * AVS_DISCOVER_GRID; i++)
    cJSON_AddItemToArray(hm, cJSON_CreateNumber(round(heat[i] * 1000) / 1000));
  avs_discover_window_release(&dw);
  return root;
}
