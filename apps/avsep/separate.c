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
#include "apps/avsep/sources.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/probe.h"
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

static const char *usage =
    "Usage: avsep separate VIDEO --out DIR [options]\n"
    "Splits the soundtrack of VIDEO into one track per visible sound source. Without\n"
    "--box or --point the sounding things are found in the picture: as many as the\n"
    "instruments the model hears in the loudest window when it has the NMF prior (the\n"
    "shipped one does), or --sources N. DIR (new, or an empty folder) receives\n"
    "source_1.wav ... (the soundtrack's own rate, time-aligned, adding up to the\n"
    "soundtrack), source_K_heatmap.png (where the sound is), and sources.json (boxes,\n"
    "heatmaps, loudness over time); --video adds source_K.mp4.\n"
    "Example: avsep separate data/samples/music/clips/music_test_000000/video.mp4 --out voices/";

typedef struct {
  const char *model, *out, *point, *boxes;
  int sources;
  avsep_mask_opts mask;
  bool video, json;
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
      AVSEP_MASK_OPTS(o.mask),
      {"json", 0, APP_FLAG, &o.json, "print sources.json on stdout as well", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  avs_sep_mask_rule rule = avsep_mask_rule(&o.mask);
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

  avs_video_info info = app_probe_video(video);
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
  app_info("%s: %dx%d, %.2f s, soundtrack %d Hz; model %s (%s)", video, info.width, info.height,
           (double)native->frames / native->rate, native->rate, m->arch->name, o.model);
  avsep_sources_job job = {.m = m, .video = video, .label = video, .info = &info, .x = x->data, .n = x->frames, .rate = native->rate,
                           .frames = native->frames, .complete = native->data, .boxes = (const float(*)[4])boxes,
                           .n_boxes = n_src, .point = o.point ? point : NULL, .sources = o.sources,
                           .rule = rule, .video_out = o.video, .dir = tmp, .prefix = ""};
  cJSON *found = avsep_sources_write(&job);
  int n_out = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(found, "sources"));

  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "video", video);
  cJSON_AddStringToObject(root, "model", o.model);
  cJSON_AddNumberToObject(root, "sample_rate", native->rate);
  cJSON_AddNumberToObject(root, "duration", (double)native->frames / native->rate);
  cJSON_AddNumberToObject(root, "width", info.width);
  cJSON_AddNumberToObject(root, "height", info.height);
  cJSON_AddNumberToObject(root, "loudness_hop", AVSEP_LOUDNESS_HOP);
  cJSON_AddItemToObject(root, "sources", cJSON_DetachItemFromObjectCaseSensitive(found, "sources"));
  cJSON_AddItemToObject(root, "heatmap", cJSON_DetachItemFromObjectCaseSensitive(found, "heatmap"));
  cJSON_Delete(found);
  char *text = cJSON_Print(root), *manifest = malloc(strlen(tmp) + 16);
  if (!text || !manifest) app_fail("out of memory");
  sprintf(manifest, "%s/sources.json", tmp);
  if (avs_write_text(manifest, text)) app_fail("cannot write %s", manifest);
  app_dir_commit(tmp, o.out);
  if (o.json) puts(text);
  app_info("%d track%s in %s (sources.json describes them)", n_out, n_out == 1 ? "" : "s", o.out);
  cJSON_Delete(root);
  free(text), free(manifest), free(tmp);
  avs_audio_free(&native), avs_audio_free(&x);
  avs_model_free(&m);
  free(shipped);
  return 0;
}
