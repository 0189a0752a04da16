/* avinfo: what a video holds (container, duration, frame rate, displayed size,
 * rotation, streams), optionally counted frame by frame, and a PNG or JPEG
 * still at a given time; for a file without video, its audio streams. */
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

static const char *usage =
    "Usage: avinfo [options] VIDEO...\n"
    "Shows the container, duration, frame rate, frame size and streams of each VIDEO\n"
    "(any format FFmpeg reads: mp4, mkv, webm, avi, mov, gif, ...). Sizes are as displayed:\n"
    "rotation metadata (portrait video from phones) is applied and shown. A file without\n"
    "video (wav, m4a, mp3, ...) is described by its audio streams.";

static bool json, count, force;
static float still = -1;
static const char *out_path;

static const app_opt opts[] = {
    {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
    {"count", 'c', APP_FLAG, &count,
     "decode every frame: count frames and damaged packets (no frame decoded is an error)", 0, 0},
    {"still", 's', APP_FLOAT, &still, "write the frame at this time (seconds) to --out; -1: none", 0, 0},
    {"out", 'o', APP_STRING, &out_path, "file for --still: .png, or .jpg/.jpeg (JPEG)", 0, 0},
    {"force", 0, APP_FLAG, &force, "replace an existing --out file", 0, 0},
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
  if (cr->frames == 0)
    return avs_seterr(AVS_EFORMAT, "no video frame could be decoded (%lld damaged packets skipped) (%s)",
                      (long long)cr->stats.bad_packets, avs_video_path(v));
  return 0;
}

/* How stored frames are turned for display (sizes are the displayed ones). */
static void print_rotation(int degrees, bool mirrored) {
  if (degrees) printf(" (rotated %d degrees clockwise%s)", degrees, mirrored ? ", mirrored" : "");
  else if (mirrored) printf(" (mirrored)");
}

static void add_rotation(cJSON *o, int degrees, bool mirrored) {
  cJSON_AddNumberToObject(o, "rotation", degrees);
  cJSON_AddBoolToObject(o, "mirrored", mirrored);
}

static void print_text(const char *path, const avs_video_info *in, const count_result *cr) {
  printf("%s: %s", path, in->format_long);
  if (in->duration > 0) printf(", %.3f s", in->duration);
  if (in->bit_rate > 0) printf(", %.0f kbit/s", in->bit_rate / 1000.0);
  if (in->video_stream < 0) {
    printf("\n  audio only (no video stream)\n");
  } else {
    printf("\n  video: %dx%d", in->width, in->height);
    print_rotation(in->rotation, in->mirrored);
    printf(", %.3f fps%s", in->fps, in->fps_guessed ? " (assumed)" : "");
    if (in->n_frames > 0) printf(", %lld frames", (long long)in->n_frames);
    printf(" (stream %d)\n", in->video_stream);
  }
  if (cr->counted)
    printf("  decoded: %lld frames, %lld damaged packets skipped, %lld frames concealed\n", (long long)cr->frames,
           (long long)cr->stats.bad_packets, (long long)cr->stats.damaged_frames);
  for (int i = 0; i < in->n_streams && i < AVS_VIDEO_MAX_STREAMS; i++) {
    const avs_stream_info *s = &in->streams[i];
    printf("  stream %d: %s %s", s->index, s->type, s->codec);
    if (!strcmp(s->type, "video")) {
      printf(" %dx%d", s->width, s->height);
      print_rotation(s->rotation, s->mirrored);
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
  if (in->video_stream >= 0) {
    cJSON_AddNumberToObject(o, "width", in->width);
    cJSON_AddNumberToObject(o, "height", in->height);
    add_rotation(o, in->rotation, in->mirrored);
    cJSON_AddNumberToObject(o, "fps", in->fps);
    cJSON_AddBoolToObject(o, "fps_assumed", in->fps_guessed);
    cJSON_AddNumberToObject(o, "frames", (double)(cr->counted ? cr->frames : in->n_frames));
    cJSON_AddNumberToObject(o, "video_stream", in->video_stream);
  } else { /* no video: null, so readers of the video fields see it plainly */
    const char *none[] = {"width", "height", "rotation", "mirrored", "fps", "fps_assumed", "frames", "video_stream"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) cJSON_AddNullToObject(o, none[i]);
  }
  cJSON_AddBoolToObject(o, "frames_counted", cr->counted);
  if (cr->counted) {
    cJSON_AddNumberToObject(o, "damaged_packets", (double)cr->stats.bad_packets);
    cJSON_AddNumberToObject(o, "concealed_frames", (double)cr->stats.damaged_frames);
  }
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
      add_rotation(so, s->rotation, s->mirrored);
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

/* The still at t to path (its format by its extension). A write error names
 * path, not the temporary file. */
static int write_still(avs_video *v, double t, const char *path, avs_still_format format) {
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
  rc = avs_still_write(tmp, rgb, w, h, format);
  if (rc) app_fail_output(tmp, path);
  app_commit(tmp, path);
  free(tmp);
done:
  free(rgb);
  avs_clip_reader_free(&r);
  return rc;
}

/* A file without a video stream is described from its headers (its audio);
 * one with neither video nor audio keeps the error. */
static int probe_no_video(const char *path, avs_video_info *in) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", avs_errmsg());
  int rc = avs_media_probe(path, in);
  if (rc) return rc;
  if (in->video_stream < 0 && in->has_audio && still < 0) return 0;
  return avs_seterr(AVS_ENOTFOUND, "%s", msg);
}

/* One input: 0 and its description in *in (cr filled with --count), or an error. */
static int describe(const char *path, avs_video_info *in, count_result *cr, avs_still_format format) {
  avs_video *v = NULL;
  int rc = avs_video_open(path, &(avs_video_opts){.threads = app_threads()}, &v);
  if (rc == AVS_ENOTFOUND && app_file_exists(path)) return probe_no_video(path, in);
  if (!rc) *in = *avs_video_info_get(v);
  if (!rc) app_verbose_video(path, in);
  if (!rc && count) rc = count_frames(v, cr);
  if (!rc && still >= 0) rc = write_still(v, still, out_path, format);
  /* Closing may warn (damaged packets): before the error line, which comes last. */
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", rc ? avs_errmsg() : "");
  avs_video_free(&v);
  if (rc) avs_seterr(rc, "%s", msg[0] ? msg : avs_strerror(rc));
  return rc;
}

int main(int argc, char **argv) {
  app_init("avinfo", argc, argv);
  const char **inputs = malloc(sizeof *inputs * (argc > 0 ? argc : 1)); /* any number of inputs */
  if (!inputs) app_fail("out of memory");
  int n = app_parse(argc, argv, 1, opts, usage, inputs, argc, 1);
  avs_still_format format = AVS_STILL_PNG;
  if (still >= 0 && !out_path) app_usage_error("--still needs --out FILE (.png or .jpg)");
  if (out_path && still < 0) app_usage_error("--out is for --still");
  if (force && !out_path) app_usage_error("--force is for --out");
  if (still >= 0 && n != 1) app_usage_error("--still takes exactly one VIDEO");
  if (out_path && avs_still_format_of(out_path, &format)) app_usage_error("--out: %s", avs_errmsg());
  if (out_path) app_check_new_file(out_path, "--out", force);
  int failed = 0;
  cJSON *all = json && n > 1 ? cJSON_CreateArray() : NULL;
  for (int i = 0; i < n; i++) {
    avs_video_info in;
    count_result cr = {0};
    int rc = describe(inputs[i], &in, &cr, format);
    if (rc) {
      app_error("%s", avs_errmsg()[0] ? avs_errmsg() : avs_strerror(rc));
      failed++;
      continue;
    }
    if (json) {
      cJSON *o = to_json(inputs[i], &in, &cr);
      if (all) {
        cJSON_AddItemToArray(all, o);
      } else {
        char *s = cJSON_Print(o);
        if (s) puts(s);
        free(s);
        cJSON_Delete(o);
      }
    } else {
      print_text(inputs[i], &in, &cr);
    }
  }
  if (all) {
    char *s = cJSON_Print(all);
    if (s) puts(s);
    free(s);
    cJSON_Delete(all);
  }
  free(inputs);
  return failed ? APP_EXIT_FAILURE : 0;
}
