/* avsep coseparate A.mp4 B.mp4 [...] --out DIR: co-separation (Gao & Grauman,
 * ICCV 2019). The soundtracks are summed, as a co-separation model is trained
 * on mixtures of videos, and every object in view of every video is separated
 * from that mixture by its own region (apps/avsep/sources.h): what belongs to
 * the other videos' objects is not in its track. The folder gets
 * video_K_source_J.wav (video K's soundtrack rate, as long as the mixture),
 * their heatmaps, mixture.wav (the model's rate) and sources.json; it appears
 * only when complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avsep/avsep.h"
#include "apps/avsep/sources.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/probe.h"
#include "apps/common/verbose.h"
#include "audio/audio_file.h"
#include "audio/audio_track.h"
#include "av/datadir.h"
#include "av/files.h"
#include "av/status.h"
#include "fusion/separation.h"

#define DEFAULT_MODEL "models/cosep.safetensors"
#define MAX_VIDEOS 8

static const char *usage =
    "Usage: avsep coseparate VIDEO VIDEO [VIDEO...] --out DIR [options]\n"
    "Co-separation: mixes the soundtracks of the videos (their sum, over the shortest\n"
    "one) and separates from that mixture the sound of every object in view of every\n"
    "video, each by its own region of its own video (found in the picture, as avsep\n"
    "separate finds them). DIR (new, or an empty folder) receives video_K_source_J.wav\n"
    "(video K's soundtrack rate, time-aligned with the mixture), their heatmaps,\n"
    "mixture.wav and sources.json (per video: its file and its sources' boxes and\n"
    "loudness). Any separation model works with -m (a cosep model from avtrain cosep,\n"
    "or the pixel-level sep model, to compare).\n"
    "Example: avsep coseparate a.mp4 b.mp4 -m cosep.safetensors --out objects/";

typedef struct {
  const char *model, *out;
  int sources;
  avsep_mask_opts mask;
  bool video, json;
} cosep_opts;

int avsep_coseparate(int argc, char **argv) {
  cosep_opts o = {0};
  const app_opt opts[] = {
      {"out", 'o', APP_STRING, &o.out, "output folder, new or empty (required)", 0, 0},
      {"model", 'm', APP_STRING, &o.model, "separation model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"sources", 'n', APP_INT, &o.sources, "separate exactly this many objects per video (default: as many as are found)",
       1, AVS_DISCOVER_MAX},
      {"video", 0, APP_FLAG, &o.video, "also write video_K_source_J.mp4: the video with the object's region and its sound",
       0, 0},
      AVSEP_MASK_OPTS(o.mask),
      {"json", 0, APP_FLAG, &o.json, "print sources.json on stdout as well", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  const char *videos[MAX_VIDEOS];
  int n_videos = app_parse(argc, argv, 2, opts, usage, videos, MAX_VIDEOS, 0);
  if (n_videos < 2) app_usage_error("co-separation needs two videos or more (avsep separate takes one)");
  avs_sep_mask_rule rule = avsep_mask_rule(&o.mask);
  if (!o.out) app_usage_error("--out DIR is required (a new or empty folder for the tracks)");
  char *shipped = NULL;
  if (!o.model && avs_data_path(DEFAULT_MODEL, &shipped))
    app_fail("no co-separation model is shipped with this version: give one with -m FILE (avtrain cosep trains it)");
  if (!o.model) o.model = shipped;
  avs_model *m = NULL;
  if (avs_sep_model_load(o.model, NULL, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, o.model);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);

  /* The temporary folder goes away with a failed run: a bad input leaves nothing. */
  char *tmp = app_dir_begin(o.out), *path = malloc(strlen(tmp) + 32);
  if (!path) app_fail("out of memory");
  avs_video_info info[MAX_VIDEOS];
  avs_audio *native[MAX_VIDEOS], *at_model[MAX_VIDEOS];
  int64_t n = 0;
  for (int k = 0; k < n_videos; k++) {
    info[k] = app_probe_video(videos[k]);
    if (!info[k].has_audio) app_fail("%s has no audio track: nothing to mix", videos[k]);
    native[k] = at_model[k] = NULL;
    if (avs_track_load(videos[k], &(avs_track_opts){.channels = 1}, &native[k]) ||
        avs_audio_resample(native[k], g.rate, &at_model[k]))
      app_fail_status(avs_errcode());
    if (k == 0 || at_model[k]->frames < n) n = at_model[k]->frames;
  }
  avs_audio *mix = avs_audio_new(n, 1, g.rate);
  if (!mix) app_fail_status(avs_errcode());
  for (int k = 0; k < n_videos; k++) {
    if (at_model[k]->frames > n + g.rate / 2)
      app_warn("%s is longer than the shortest soundtrack: its first %.2f s are mixed", videos[k], (double)n / g.rate);
    for (int64_t t = 0; t < n; t++) mix->data[t] += at_model[k]->data[t];
  }
  app_info("mixture of %d soundtracks, %.2f s at %d Hz; model %s (%s)", n_videos, (double)n / g.rate, g.rate,
           m->arch->name, o.model);

  sprintf(path, "%s/mixture.wav", tmp);
  if (avs_audio_write(path, mix, AVS_SAMPLE_FLOAT)) app_fail_status(avs_errcode());
  cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "model", o.model);
  cJSON_AddStringToObject(root, "mixture", "mixture.wav");
  cJSON_AddNumberToObject(root, "mixture_rate", g.rate);
  cJSON_AddNumberToObject(root, "duration", (double)n / g.rate);
  cJSON_AddNumberToObject(root, "loudness_hop", AVSEP_LOUDNESS_HOP);
  int tracks = 0;
  for (int k = 0; k < n_videos; k++) {
    char prefix[32], label[64];
    snprintf(prefix, sizeof prefix, "video_%d_", k + 1);
    snprintf(label, sizeof label, "video %d", k + 1);
    int rate = native[k]->rate;
    avsep_sources_job job = {.m = m, .video = videos[k], .label = label, .info = &info[k], .x = mix->data, .n = n, .rate = rate,
                             .frames = (int64_t)((double)n * rate / g.rate + 0.5), .sources = o.sources,
                             .rule = rule, .video_out = o.video, .dir = tmp, .prefix = prefix};
    cJSON *found = avsep_sources_write(&job), *entry = cJSON_CreateObject();
    tracks += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(found, "sources"));
    cJSON_AddNumberToObject(entry, "index", k + 1);
    cJSON_AddStringToObject(entry, "video", videos[k]);
    cJSON_AddNumberToObject(entry, "sample_rate", rate);
    cJSON_AddNumberToObject(entry, "width", info[k].width);
    cJSON_AddNumberToObject(entry, "height", info[k].height);
    cJSON_AddItemToObject(entry, "sources", cJSON_DetachItemFromObjectCaseSensitive(found, "sources"));
    cJSON_AddItemToObject(entry, "heatmap", cJSON_DetachItemFromObjectCaseSensitive(found, "heatmap"));
    cJSON_AddItemToArray(arr, entry);
    cJSON_Delete(found);
  }
  cJSON_AddItemToObject(root, "videos", arr);
  char *text = cJSON_Print(root);
  sprintf(path, "%s/sources.json", tmp);
  if (!text || avs_write_text(path, text)) app_fail("cannot write %s", path);
  app_dir_commit(tmp, o.out);
  if (o.json) puts(text);
  app_info("%d tracks of %d videos in %s (sources.json describes them)", tracks, n_videos, o.out);
  for (int k = 0; k < n_videos; k++) avs_audio_free(&native[k]), avs_audio_free(&at_model[k]);
  avs_audio_free(&mix);
  cJSON_Delete(root);
  free(text), free(path), free(tmp), free(shipped);
  avs_model_free(&m);
  return 0;
}
