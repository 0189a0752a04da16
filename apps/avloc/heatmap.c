/* avloc heatmap VIDEO [-o OUT.mp4] [--png DIR] [--json]: where the sound
 * comes from, frame by frame over the whole video. Each processed frame and
 * the audio window centred on its time go through the localizer
 * (fusion/localization.h); the maps give an overlay video with the original
 * soundtrack, PNG stills, and peaks with boxes as JSON. Outputs appear only
 * when complete (temporary names, renamed at the end). */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apps/avloc/avloc.h"
#include "apps/avloc/run.h"
#include "apps/avloc/sources.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/probe.h"
#include "apps/common/verbose.h"
#include "av/datadir.h"
#include "av/status.h"

#include <cjson/cJSON.h>

#define DEFAULT_MODEL "models/loc.safetensors"
#define DEFAULT_SEP_MODEL "models/sep.safetensors"

static const char *usage =
    "Usage: avloc heatmap VIDEO [-o OUT.mp4] [--png DIR] [--json] [options]\n"
    "Maps where the sound of VIDEO comes from, frame by frame: each processed frame and\n"
    "the audio window centred on it go through a localization model. -o writes the video\n"
    "with the maps blended over it (same size and rate, original soundtrack); --png DIR\n"
    "writes stills of it; --json prints each processed frame's peaks (x, y, score, in\n"
    "pixels, strongest first) and their boxes. With none of them, one line per second\n"
    "gives the strongest peak. --per-source gives one map per separated sound source.\n"
    "Example: avloc heatmap data/samples/music/clips/music_test_000000/video.mp4 -o trio_heat.mp4";

typedef struct {
  const char *model, *out, *png, *cmap, *sep_model;
  float fps, png_every, alpha;
  int every, batch, sources;
  bool json, per_source;
} loc_opts;

static bool non_empty_dir_or_file(const char *path) {
  struct stat sb;
  if (stat(path, &sb)) return false;
  if (!S_ISDIR(sb.st_mode)) return true;
  DIR *d = opendir(path);
  struct dirent *e;
  bool found = false;
  while (d && !found && (e = readdir(d))) found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  if (d) closedir(d);
  return found;
}

static bool same_file(const char *a, const char *b) {
  char ra[PATH_MAX], rb[PATH_MAX];
  return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

int avloc_heatmap(int argc, char **argv) {
  loc_opts o = {.every = 1, .batch = 8, .alpha = 0.5f, .png_every = 1.0f, .cmap = "jet"};
  const app_opt opts[] = {
      {"out", 'o', APP_STRING, &o.out, "overlay video (.mp4, .mov or .mkv) with the original soundtrack", 0, 0},
      {"png", 0, APP_STRING, &o.png, "folder (new or empty) for PNG stills of the overlay", 0, 0},
      {"png-every", 0, APP_FLOAT, &o.png_every, "seconds between stills; 0: every processed frame", 0, 1e6},
      {"json", 0, APP_FLAG, &o.json, "print the peaks and boxes of every processed frame as JSON", 0, 0},
      {"model", 'm', APP_STRING, &o.model, "localization model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"fps", 0, APP_FLOAT, &o.fps, "process this many frames per second; 0: every frame", 1e-3, 1e3},
      {"every", 0, APP_INT, &o.every, "process every Nth frame", 1, 1e6},
      {"batch", 0, APP_INT, &o.batch, "frames per model call", 1, 64},
      {"alpha", 0, APP_FLOAT, &o.alpha, "opacity of the heatmap over the frame", 0, 1},
      {"cmap", 0, APP_STRING, &o.cmap, "colour map: jet, inferno or gray", 0, 0},
      {"per-source", 0, APP_FLAG, &o.per_source,
       "one map per sound source, each in its colour: the sources are found and separated with a separation model",
       0, 0},
      {"sep-model", 0, APP_STRING, &o.sep_model,
       "separation model for --per-source (default: the shipped " DEFAULT_SEP_MODEL ")", 0, 0},
      {"sources", 'n', APP_INT, &o.sources, "--per-source: exactly this many sources (1-8); unset: as many as are found",
       1, AVLOC_MAX_SOURCES},
      APP_PRECISION_OPT,
      {0},
  };
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *video = pos[0];
  if ((o.sep_model || o.sources) && !o.per_source) app_usage_error("--sep-model and --sources go with --per-source");
  if (o.fps > 0 && o.every > 1) app_usage_error("--fps and --every cannot be combined");
  avs_cmap cmap;
  if (avs_cmap_parse(o.cmap, &cmap)) app_usage_error("--cmap: '%s' is not jet, inferno or gray", o.cmap);
  if (o.out && !o.out[0]) app_usage_error("-o: empty file name");

  /* The inputs first: nothing is created before they are known to be good. */
  avs_video_info info = app_probe_video(video);
  if (info.live) app_fail("%s is a live source: avloc heatmap takes a video file", video);
  if (!info.has_audio) app_fail("%s has no audio track: there is no sound to localize", video);
  if (o.out && same_file(o.out, video)) app_fail("-o %s is the input video: choose another name", o.out);
  if (o.png && non_empty_dir_or_file(o.png))
    app_fail("--png %s already exists and is not an empty folder: choose another (nothing is overwritten)", o.png);
  char *shipped = NULL;
  if (!o.model && avs_data_path(DEFAULT_MODEL, &shipped))
    app_fail("no localization model given (-m FILE) and %s", avs_errmsg());
  if (!o.model) o.model = shipped;
  avs_model *m = NULL;
  if (avs_loc_model_load(o.model, NULL, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, o.model);

  avloc_run r = {.video = video, .model = m, .w = info.width, .h = info.height, .fps = info.fps,
                 .proc_fps = o.fps, .every = o.every, .batch = o.batch, .png_every = o.png_every,
                 .cmap = cmap, .alpha = o.alpha};
  avs_loc_model_geometry(m, &r.g);
  char *sep_shipped = NULL;
  avloc_sources src = {0};
  if (o.per_source) {
    if (!o.sep_model && avs_data_path(DEFAULT_SEP_MODEL, &sep_shipped))
      app_fail("no separation model given (--sep-model FILE) and %s", avs_errmsg());
    if (!o.sep_model) o.sep_model = sep_shipped;
    avloc_sources_separate(video, o.sep_model, o.sources, r.g.rate, &src);
    r.sources = src.n;
    r.batch = o.batch / src.n > 0 ? o.batch / src.n : 1;
    for (int j = 0; j < src.n; j++)
      if (avloc_audio_memory(src.track[j], src.frames, r.g.samples, &r.audio[j])) app_fail_status(avs_errcode());
  } else {
    r.sources = 1;
    if (avloc_audio_open(video, r.g.rate, r.g.samples, &r.audio[0])) app_fail_status(avs_errcode());
  }
  if (!(r.ctx = avs_ctx_new(&(avs_ctx_params){.train = false}))) app_fail_status(avs_errcode());
  app_info("%s: %dx%d at %.3g fps; model %s (%s), %.2f s of audio per frame", video, info.width, info.height,
           info.fps, m->arch->name, o.model, (double)r.g.samples / r.g.rate);

  char *out_tmp = NULL, *png_tmp = NULL;
  if (o.png) r.png_dir = png_tmp = app_dir_begin(o.png);
  if (o.out) {
    out_tmp = app_tmp_path(o.out);
    if (avloc_sound_open(video, &r.sound)) app_fail_status(avs_errcode());
    avs_writer_params wp = {.width = info.width, .height = info.height, .fps = info.fps,
                            .sample_rate = avloc_sound_rate(r.sound), .channels = avloc_sound_channels(r.sound)};
    if (avs_video_writer_open(out_tmp, &wp, &r.writer)) app_fail_output(out_tmp, o.out);
  }
  r.results = avloc_results_new(o.json, !o.out && !o.png && !o.json, o.per_source);

  double t0 = app_now();
  avloc_run_video(&r);
  double secs = app_now() - t0;
  if (!r.frames) app_fail("%s has no video frames", video);

  if (r.writer) {
    if (avloc_sound_pass(r.sound, r.writer, -1) || avs_video_writer_close(&r.writer))
      app_fail_output(out_tmp, o.out);
    app_commit(out_tmp, o.out);
  }
  if (png_tmp) app_dir_commit(png_tmp, o.png);
  if (r.silent == r.windows)
    app_warn("the soundtrack is silent: every map is flat (all zeros)");
  else if (r.silent)
    app_info("%lld of %lld maps had silent audio: flat", (long long)r.silent, (long long)r.windows);
  cJSON *extra = NULL;
  if (o.per_source) {
    extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "sep_model", o.sep_model);
    cJSON_AddItemToObject(extra, "sources", avloc_sources_json(&src, info.width, info.height));
  }
  avloc_results_finish(r.results, video, o.model, info.width, info.height, info.fps, extra);
  app_info("%lld of %lld frames localized in %.1f s (%.1f frames/s)%s%s%s%s", (long long)r.processed,
           (long long)r.frames, secs, r.processed / (secs > 0 ? secs : 1), o.out ? "; video " : "",
           o.out ? o.out : "", o.png ? "; stills in " : "", o.png ? o.png : "");

  avloc_results_free(&r.results);
  avloc_sound_free(&r.sound);
  for (int j = 0; j < r.sources; j++) avloc_audio_free(&r.audio[j]);
  avloc_sources_free(&src);
  avs_ctx_free(&r.ctx);
  avs_model_free(&m);
  free(out_tmp), free(png_tmp), free(shipped), free(sep_shipped);
  return 0;
}
