/* avsep separate VIDEO --out DIR: one track per visible sound source.
 * Sources come from --box, --point, or are found in the picture
 * (fusion/discover.h) on the loudest window; each is separated over the
 * whole soundtrack by its box (fusion/sep_video.h), brought back to the
 * soundtrack's own rate, and completed so that the tracks add up to it. The
 * folder gets source_K.wav, source_K_heatmap.png, sources.json and, with
 * --video, source_K.mp4; it appears only when complete. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avsep/avsep.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "audio/audio_file.h"
#include "audio/audio_track.h"
#include "av/files.h"
#include "av/datadir.h"
#include "av/status.h"
#include "fusion/discover.h"
#include "fusion/sep_video.h"
#include "video/decode.h"
#include "video/encode.h"
#include "video/overlay.h"
#include "video/png.h"

#define DEFAULT_MODEL "models/sep.safetensors"
#define LOUDNESS_HOP 0.1 /* seconds per loudness value in sources.json */

static const char *usage =
    "Usage: avsep separate VIDEO --out DIR [options]\n"
    "Splits the soundtrack of VIDEO into one track per visible sound source. Without\n"
    "--box or --point the sounding things are found in the picture. DIR (new, or an\n"
    "empty folder) receives source_1.wav ... (the soundtrack's own rate, time-aligned,\n"
    "adding up to the soundtrack), source_K_heatmap.png (where the sound is), and\n"
    "sources.json (boxes, heatmaps, loudness over time); --video adds source_K.mp4.\n"
    "Example: avsep separate data/samples/music/clips/music_test_000000/video.mp4 --out voices/";

int avsep_not_yet(int argc, char **argv) {
  (void)argc;
  app_fail("'%s' needs a model this version does not have yet (see 'avsep --help')", argv[1]);
}

typedef struct {
  const char *model, *out, *point, *boxes;
  int sources;
  bool video, binary, json;
} sep_opts;

int avsep_parse_floats(const char *s, float *v, int max) {
  int n = 0;
  char *end;
  while (n < max) {
    v[n++] = strtof(s, &end);
    if (end == s || !isfinite(v[n - 1])) return -1;
    if (!*end) return n;
    if (*end != ',') return -1;
    s = end + 1;
  }
  return -1;
}

int avsep_parse_boxes(const char *s, const char *opt, int w, int h, int max, float (*boxes)[4]) {
  int n = 0;
  char *copy = strdup(s), *save = NULL;
  if (!copy) app_fail("out of memory");
  for (char *b = strtok_r(copy, ";", &save); b; b = strtok_r(NULL, ";", &save)) {
    if (n == max) app_usage_error("%s: at most %d boxes", opt, max);
    float *v = boxes[n];
    if (avsep_parse_floats(b, v, 4) != 4 || v[2] <= v[0] || v[3] <= v[1] || v[2] <= 0 || v[3] <= 0 || v[0] >= w || v[1] >= h)
      app_usage_error("%s '%s' is not x0,y0,x1,y1 with x0 < x1, y0 < y1 inside the %dx%d picture", opt, b, w, h);
    n++;
  }
  free(copy);
  if (!n) app_usage_error("%s needs x0,y0,x1,y1", opt);
  return n;
}

static void on_progress(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

static char *in_dir(const char *dir, const char *fmt, int k) {
  char name[64], *p = malloc(strlen(dir) + 80);
  if (!p) app_fail("out of memory");
  snprintf(name, sizeof name, fmt, k);
  sprintf(p, "%s/%s", dir, name);
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

static void write_video(const char *path, const char *video, const avs_video_info *info, const float *box, int k,
                        const avs_audio *track) {
  avs_video *v = NULL;
  avs_prep *prep = NULL;
  avs_video_writer *w = NULL;
  if (avs_video_open(video, NULL, &v) || avs_prep_new(&(avs_geom){0}, NULL, &prep)) app_fail_status(avs_errcode());
  avs_writer_params wp = {.width = info->width, .height = info->height, .fps = info->fps,
                          .sample_rate = track->rate, .channels = 1};
  if (avs_video_writer_open(path, &wp, &w)) app_fail_status(avs_errcode());
  avs_image im;
  if (avs_image_alloc(&im, info->width, info->height)) app_fail_status(avs_errcode());
  double t;
  int step;
  while ((step = avs_video_next(v, &t)) > 0) {
    if (avs_prep_frame(prep, v, im.px, NULL)) app_fail_status(avs_errcode());
    /* Dim everything but the source's region. */
    static const uint8_t black[3] = {0, 0, 0};
    int x0 = (int)box[0], y0 = (int)box[1], x1 = (int)box[2], y1 = (int)box[3];
    avs_overlay_fill(&im, 0, 0, im.w - 1, y0 - 1, black, 0.6f);
    avs_overlay_fill(&im, 0, y1, im.w - 1, im.h - 1, black, 0.6f);
    avs_overlay_fill(&im, 0, y0, x0 - 1, y1 - 1, black, 0.6f);
    avs_overlay_fill(&im, x1, y0, im.w - 1, y1 - 1, black, 0.6f);
    avs_overlay_box(&im, x0, y0, x1 - 1, y1 - 1, palette[k % AVS_DISCOVER_MAX], 2);
    if (avs_video_writer_write(w, im.px)) app_fail_status(avs_errcode());
  }
  if (step < 0) app_fail_status(step);
  if (avs_video_writer_write_audio(w, track->data, track->frames) || avs_video_writer_close(&w))
    app_fail_status(avs_errcode());
  avs_image_release(&im);
  avs_prep_free(&prep);
  avs_video_free(&v);
}

static cJSON *loudness(const avs_audio *a) {
  cJSON *arr = cJSON_CreateArray();
  int64_t hop = (int64_t)(LOUDNESS_HOP * a->rate);
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

int avsep_separate(int argc, char **argv) {
  sep_opts o = {0};
  const app_opt opts[] = {
      {"out", 'o', APP_STRING, &o.out, "output folder, new or empty (required)", 0, 0},
      {"model", 'm', APP_STRING, &o.model, "separation model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"sources", 'n', APP_INT, &o.sources, "separate exactly this many sources (default: as many as are found)", 1,
       AVS_DISCOVER_MAX},
      {"point", 0, APP_STRING, &o.point, "X,Y: separate the sound of this spot of the picture (pixels)", 0, 0},
      {"box", 0, APP_STRING, &o.boxes, "X0,Y0,X1,Y1[;...]: separate the sound of these boxes (pixels)", 0, 0},
      {"video", 0, APP_FLAG, &o.video, "also write source_K.mp4: the video with the source's region and its sound", 0, 0},
      {"binary", 0, APP_FLAG, &o.binary, "binary masks (mask > 0.5) instead of soft ones", 0, 0},
      {"json", 0, APP_FLAG, &o.json, "print sources.json on stdout as well", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *video = pos[0];
  if (!o.out) app_usage_error("--out DIR is required (a new or empty folder for the tracks)");
  if (o.point && o.boxes) app_usage_error("--point and --box cannot be combined");
  if ((o.point || o.boxes) && o.sources) app_usage_error("--sources goes with discovery, not with --point or --box");
  char *shipped = NULL;
  if (!o.model && avs_data_path(DEFAULT_MODEL, &shipped))
    app_fail("no separation model given (-m FILE) and %s", avs_errmsg());
  if (!o.model) o.model = shipped;
  avs_model *m = NULL;
  if (avs_sep_model_load(o.model, NULL, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, o.model);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);

  avs_video *v = NULL;
  if (avs_video_open(video, NULL, &v)) app_fail_status(avs_errcode());
  avs_video_info info = *avs_video_info_get(v);
  app_verbose_video(video, &info);
  avs_video_free(&v);
  if (!info.has_audio) app_fail("%s has no audio track: nothing to separate", video);
  float boxes[AVS_DISCOVER_MAX][4], point[2] = {0, 0};
  int n_src = 0;
  if (o.boxes) n_src = avsep_parse_boxes(o.boxes, "--box", info.width, info.height, AVS_DISCOVER_MAX, boxes);
  if (o.point && (avsep_parse_floats(o.point, point, 2) != 2 || point[0] < 0 || point[1] < 0 || point[0] >= info.width ||
                  point[1] >= info.height))
    app_usage_error("--point '%s' is not X,Y inside the %dx%d picture", o.point, info.width, info.height);
  char *tmp = app_dir_begin(o.out);

  avs_audio *native = NULL, *x = NULL;
  if (avs_track_load(video, &(avs_track_opts){.channels = 1}, &native)) app_fail_status(avs_errcode());
  if (avs_audio_resample(native, g.rate, &x)) app_fail_status(avs_errcode());
  float peak = 0;
  for (int64_t t = 0; t < native->frames; t++) peak = fmaxf(peak, fabsf(native->data[t]));
  app_info("%s: %dx%d, %.2f s, soundtrack %d Hz; model %s (%s)", video, info.width, info.height,
           (double)native->frames / native->rate, native->rate, m->arch->name, o.model);

  /* The sources: given, at a point, or found on the loudest window. */
  float heat[AVS_DISCOVER_GRID * AVS_DISCOVER_GRID] = {0};
  float share[AVS_DISCOVER_MAX] = {0};
  avs_discover_window dw;
  if (avs_sep_loudest_window(m, video, x->data, x->frames, &dw)) app_fail_status(avs_errcode());
  const float *win = dw.samples;
  const avs_image *frames = dw.frames;
  if (peak < 1e-4f && !o.boxes) {
    app_warn("the soundtrack is silent: one silent track for the whole picture");
    n_src = 1;
    float whole[4] = {0, 0, (float)info.width, (float)info.height};
    memcpy(boxes[0], whole, sizeof whole);
  } else if (o.point) {
    avs_found_source f;
    if (avs_sep_region_at(m, win, frames, point[0], point[1], &f)) app_fail_status(avs_errcode());
    memcpy(boxes[0], f.box, sizeof f.box), share[0] = f.share, n_src = 1;
  } else if (!o.boxes) {
    avs_discover_result r;
    if (avs_sep_discover(m, win, frames, &(avs_discover_opts){.sources = o.sources}, &r)) app_fail_status(avs_errcode());
    memcpy(heat, r.heat, sizeof heat);
    for (int k = 0; k < r.n; k++) memcpy(boxes[k], r.src[k].box, sizeof boxes[k]), share[k] = r.src[k].share;
    n_src = r.n;
    if (!n_src) {
      app_warn("no sound source stands out in the picture: the whole picture is one source");
      float whole[4] = {0, 0, (float)info.width, (float)info.height};
      memcpy(boxes[0], whole, sizeof whole), n_src = 1;
    } else if (n_src == 1 && !o.sources) {
      app_warn("one sound source found: its track is the whole soundtrack");
    }
  }
  app_info("%d source%s", n_src, n_src == 1 ? "" : "s");

  /* Separation at the model's rate, then back to the soundtrack's rate. */
  float *tracks[AVS_DISCOVER_MAX];
  for (int j = 0; j < n_src; j++)
    if (!(tracks[j] = malloc(sizeof(float) * (size_t)x->frames))) app_fail("out of memory");
  app_progress pr;
  app_progress_start(&pr, "separating", avs_sep_windows(&g, x->frames));
  avs_sep_video_job job = {.sources = n_src, .boxes = (const float(*)[4])boxes, .binary = o.binary,
                           .progress = on_progress, .progress_user = &pr};
  if (avs_sep_separate_video(m, video, x->data, x->frames, &job, tracks)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  avs_audio *out[AVS_DISCOVER_MAX];
  float *outp[AVS_DISCOVER_MAX];
  for (int j = 0; j < n_src; j++) {
    avs_audio model_rate = {.data = tracks[j], .frames = x->frames, .channels = 1, .rate = g.rate}, *up = NULL;
    if (avs_audio_resample(&model_rate, native->rate, &up)) app_fail_status(avs_errcode());
    if (!(out[j] = avs_audio_new(native->frames, 1, native->rate))) app_fail_status(avs_errcode());
    memcpy(out[j]->data, up->data, sizeof(float) * (size_t)(up->frames < native->frames ? up->frames : native->frames));
    outp[j] = out[j]->data;
    avs_audio_free(&up);
  }
  avs_sep_complete(outp, n_src, native->data, native->frames, native->rate / 20);

  cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "video", video);
  cJSON_AddStringToObject(root, "model", o.model);
  cJSON_AddNumberToObject(root, "sample_rate", native->rate);
  cJSON_AddNumberToObject(root, "duration", (double)native->frames / native->rate);
  cJSON_AddNumberToObject(root, "width", info.width);
  cJSON_AddNumberToObject(root, "height", info.height);
  cJSON_AddNumberToObject(root, "loudness_hop", LOUDNESS_HOP);
  int middle = g.frames / 2;
  for (int j = 0; j < n_src; j++) {
    char *wav = in_dir(tmp, "source_%d.wav", j + 1), *png = in_dir(tmp, "source_%d_heatmap.png", j + 1);
    if (avs_audio_write(wav, out[j], AVS_SAMPLE_FLOAT)) app_fail_status(avs_errcode());
    write_heatmap(png, &frames[middle], heat, boxes[j], j);
    cJSON *s = cJSON_CreateObject();
    char name[64];
    cJSON_AddNumberToObject(s, "index", j + 1);
    snprintf(name, sizeof name, "source_%d.wav", j + 1);
    cJSON_AddStringToObject(s, "file", name);
    cJSON_AddItemToObject(s, "box", box_json(boxes[j], info.width, info.height));
    cJSON_AddNumberToObject(s, "share", round(share[j] * 1000) / 1000);
    snprintf(name, sizeof name, "source_%d_heatmap.png", j + 1);
    cJSON_AddStringToObject(s, "heatmap", name);
    cJSON_AddItemToObject(s, "loudness_db", loudness(out[j]));
    if (o.video) {
      char *mp4 = in_dir(tmp, "source_%d.mp4", j + 1);
      write_video(mp4, video, &info, boxes[j], j, out[j]);
      snprintf(name, sizeof name, "source_%d.mp4", j + 1);
      cJSON_AddStringToObject(s, "video", name);
      free(mp4);
    }
    cJSON_AddItemToArray(arr, s);
    free(wav), free(png);
  }
  cJSON_AddItemToObject(root, "sources", arr);
  cJSON *hm = cJSON_AddArrayToObject(root, "heatmap");
  for (int i = 0; i < AVS_DISCOVER_GRID * AVS_DISCOVER_GRID; i++)
    cJSON_AddItemToArray(hm, cJSON_CreateNumber(round(heat[i] * 1000) / 1000));
  char *text = cJSON_Print(root), *manifest = in_dir(tmp, "sources.json", 0);
  if (!text || avs_write_text(manifest, text)) app_fail("cannot write %s", manifest);
  app_dir_commit(tmp, o.out);
  if (o.json) puts(text);
  app_info("%d track%s in %s (sources.json describes them)", n_src, n_src == 1 ? "" : "s", o.out);
  for (int j = 0; j < n_src; j++) avs_audio_free(&out[j]), free(tracks[j]);
  avs_discover_window_release(&dw);
  cJSON_Delete(root);
  free(text), free(manifest), free(tmp);
  avs_audio_free(&native), avs_audio_free(&x);
  avs_model_free(&m);
  free(shipped);
  return 0;
}
