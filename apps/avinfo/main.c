/* avinfo: what a video holds (container, duration, frame rate, size, streams),
 * optionally counted frame by frame, and a PNG still at a given time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/status.h"
#include "video/clip.h"
#include "video/decode.h"
#include "video/png.h"

#define MAX_INPUTS 256

static const char *usage =
    "Usage: avinfo [options] VIDEO...\n"
    "Shows the container, duration, frame rate, frame size and streams of each VIDEO\n"
    "(any format FFmpeg reads: mp4, mkv, webm, avi, mov, gif, ...).";

static bool json, count;
static float still = -1;
static const char *out_path;

static const app_opt opts[] = {
    {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
    {"count", 'c', APP_FLAG, &count, "decode every frame: count frames and damaged packets", 0, 0},
    {"still", 's', APP_FLOAT, &still, "write the frame at this time (seconds) as PNG to --out; -1: none", 0, 0},
    {"out", 'o', APP_STRING, &out_path, "PNG file for --still", 0, 0},
    {0},
};

typedef struct {
  bool counted;
  int64_t frames;
  avs_video_stats stats;
} count_result;

static int count_frames(avs_video *v, count_result *cr) {
  const avs_video_info *in = avs_video_info_get(v);
  app_progress pr;
  app_progress_start(&pr, "decoding", in->n_frames > 0 ? in->n_frames : 0);
  double t;
  int rc;
  while ((rc = avs_video_next(v, &t)) > 0) app_progress_update(&pr, ++cr->frames);
  app_progress_end(&pr);
  if (rc < 0) return rc;
  avs_video_stats_get(v, &cr->stats);
  cr->counted = true;
  return 0;
}

static void print_text(const char *path, const avs_video_info *in, const count_result *cr) {
  printf("%s: %s", path, in->format_long);
  if (in->duration > 0) printf(", %.3f s", in->duration);
  if (in->bit_rate > 0) printf(", %.0f kbit/s", in->bit_rate / 1000.0);
  printf("\n  video: %dx%d, %.3f fps%s", in->width, in->height, in->fps, in->fps_guessed ? " (assumed)" : "");
  if (in->n_frames > 0) printf(", %lld frames", (long long)in->n_frames);
  printf(" (stream %d)\n", in->video_stream);
  if (cr->counted)
    printf("  decoded: %lld frames, %lld damaged packets skipped, %lld frames concealed\n", (long long)cr->frames,
           (long long)cr->stats.bad_packets, (long long)cr->stats.damaged_frames);
  for (int i = 0; i < in->n_streams && i < AVS_VIDEO_MAX_STREAMS; i++) {
    const avs_stream_info *s = &in->streams[i];
    printf("  stream %d: %s %s", s->index, s->type, s->codec);
    if (!strcmp(s->type, "video")) {
      printf(" %dx%d", s->width, s->height);
      if (s->fps > 0) printf(" %.3f fps", s->fps);
      if (s->attached_picture) printf(" (cover art)");
    } else if (!strcmp(s->type, "audio")) {
      printf(" %d Hz %d ch", s->sample_rate, s->channels);
    }
    if (s->duration > 0) printf(" %.3f s", s->duration);
    if (s->bit_rate > 0) printf(" %.0f kbit/s", s->bit_rate / 1000.0);
    printf("\n");
  }
  if (in->n_streams > AVS_VIDEO_MAX_STREAMS) printf("  ... %d streams in all\n", in->n_streams);
}

static cJSON *to_json(const char *path, const avs_video_info *in, const count_result *cr) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", path);
  cJSON_AddStringToObject(o, "format", in->format);
  cJSON_AddStringToObject(o, "format_long", in->format_long);
  if (in->duration > 0) cJSON_AddNumberToObject(o, "duration", in->duration);
  else cJSON_AddNullToObject(o, "duration");
  cJSON_AddNumberToObject(o, "bit_rate", (double)in->bit_rate);
  cJSON_AddNumberToObject(o, "width", in->width);
  cJSON_AddNumberToObject(o, "height", in->height);
  cJSON_AddNumberToObject(o, "fps", in->fps);
  cJSON_AddBoolToObject(o, "fps_assumed", in->fps_guessed);
  cJSON_AddNumberToObject(o, "frames", (double)(cr->counted ? cr->frames : in->n_frames));
  cJSON_AddBoolToObject(o, "frames_counted", cr->counted);
  if (cr->counted) {
    cJSON_AddNumberToObject(o, "damaged_packets", (double)cr->stats.bad_packets);
    cJSON_AddNumberToObject(o, "concealed_frames", (double)cr->stats.damaged_frames);
  }
  cJSON_AddNumberToObject(o, "video_stream", in->video_stream);
  cJSON_AddBoolToObject(o, "has_audio", in->has_audio);
  cJSON *arr = cJSON_AddArrayToObject(o, "streams");
  for (int i = 0; i < in->n_streams && i < AVS_VIDEO_MAX_STREAMS; i++) {
    const avs_stream_info *s = &in->streams[i];
    cJSON *so = cJSON_CreateObject();
    cJSON_AddNumberToObject(so, "index", s->index);
    cJSON_AddStringToObject(so, "type", s->type);
    cJSON_AddStringToObject(so, "codec", s->codec);
    if (!strcmp(s->type, "video")) {
      cJSON_AddNumberToObject(so, "width", s->width);
      cJSON_AddNumberToObject(so, "height", s->height);
      cJSON_AddNumberToObject(so, "fps", s->fps);
      cJSON_AddBoolToObject(so, "cover_art", s->attached_picture);
    } else if (!strcmp(s->type, "audio")) {
      cJSON_AddNumberToObject(so, "sample_rate", s->sample_rate);
      cJSON_AddNumberToObject(so, "channels", s->channels);
    }
    if (s->duration > 0) cJSON_AddNumberToObject(so, "duration", s->duration);
    cJSON_AddNumberToObject(so, "bit_rate", (double)s->bit_rate);
    cJSON_AddItemToArray(arr, so);
  }
  return o;
}

static int write_still(avs_video *v, double t, const char *path) {
  const avs_video_info *in = avs_video_info_get(v);
  avs_clip_params cp = {.fps = in->fps};
  avs_clip_reader *r = NULL;
  uint8_t *rgb = NULL;
  int rc = avs_clip_reader_new(v, &cp, &r);
  if (rc) goto done;
  int w, h;
  avs_clip_reader_frame_size(r, &w, &h);
  if (w <= 0 || h <= 0) {
    rc = avs_seterr(AVS_EFORMAT, "the frame size is unknown (%s)", avs_video_path(v));
    goto done;
  }
  if (!(rgb = malloc((size_t)w * h * 3))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for a %dx%d frame", w, h);
    goto done;
  }
  if ((rc = avs_clip_reader_seek(r, t))) goto done;
  rc = avs_clip_reader_next(r, NULL, rgb, NULL);
  if (rc == 0) rc = avs_seterr(AVS_ENOTFOUND, "no frame at %.3f s (%s)", t, avs_video_path(v));
  if (rc < 0) goto done;
  char *tmp = app_tmp_path(path);
  rc = avs_png_write(tmp, rgb, w, h);
  if (!rc) app_commit(tmp, path);
  free(tmp);
done:
  free(rgb);
  avs_clip_reader_free(&r);
  return rc;
}

int main(int argc, char **argv) {
  app_init("avinfo", argc, argv);
  const char *inputs[MAX_INPUTS];
  int n = app_parse(argc, argv, 1, opts, usage, inputs, MAX_INPUTS, 1);
  if (still >= 0 && !out_path) app_usage_error("--still needs --out FILE.png");
  if (out_path && still < 0) app_usage_error("--out is for --still");
  if (still >= 0 && n != 1) app_usage_error("--still takes exactly one VIDEO");
  int failed = 0;
  cJSON *all = json && n > 1 ? cJSON_CreateArray() : NULL;
  for (int i = 0; i < n; i++) {
    avs_video *v = NULL;
    count_result cr = {0};
    int rc = avs_video_open(inputs[i], &(avs_video_opts){.threads = app_threads()}, &v);
    if (!rc) app_verbose_video(inputs[i], avs_video_info_get(v));
    if (!rc && count) rc = count_frames(v, &cr);
    if (!rc && still >= 0) rc = write_still(v, still, out_path);
    if (rc) {
      fprintf(stderr, "%s: error: %s\n", app_name(), avs_errmsg()[0] ? avs_errmsg() : avs_strerror(rc));
      failed++;
      avs_video_free(&v);
      continue;
    }
    const avs_video_info *in = avs_video_info_get(v);
    if (json) {
      cJSON *o = to_json(inputs[i], in, &cr);
      if (all) {
        cJSON_AddItemToArray(all, o);
      } else {
        char *s = cJSON_Print(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
      }
    } else {
      print_text(inputs[i], in, &cr);
    }
    avs_video_free(&v);
  }
  if (all) {
    char *s = cJSON_Print(all);
    if (s) puts(s);
    free(s);
    cJSON_Delete(all);
  }
  return failed ? APP_EXIT_FAILURE : 0;
}
