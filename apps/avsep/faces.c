/* avsep faces IMAGE|VIDEO: the face detector alone (video/faces/): boxes per
 * image, or per frame with its time and a track id for a video. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "apps/avsep/avsep.h"
#include "apps/common/cli.h"
#include "av/status.h"
#include "video/decode.h"
#include "video/faces/detect.h"
#include "video/faces/pyramid.h"
#include "video/faces/track.h"
#include "video/preprocess.h"

static const char *usage =
    "Usage: avsep faces IMAGE|VIDEO [options]\n"
    "Finds faces with an OpenCV cascade, as OpenCV's CascadeClassifier::detectMultiScale\n"
    "does (the same boxes for the same parameters). Boxes are [x0, y0, x1, y1] in pixels\n"
    "(x1, y1 excluded). For a video: the boxes of every frame with its time in seconds and\n"
    "a track id that follows a face from frame to frame (overlap IoU >= 0.3).\n"
    "The default cascade is Debian's opencv-data " AVS_CASCADE_DEFAULT ";\n"
    "--cascade takes any OpenCV cascade XML, Haar or LBP (e.g. " AVS_CASCADE_DIR
    "/lbpcascades/lbpcascade_frontalface_improved.xml).\n"
    "Example: avsep faces photo.jpg --json";

typedef struct {
  const char *cascade;
  float scale_factor;
  int min_neighbors, min_size;
  bool json;
} faces_opts;

/* An image file (one picture) rather than a video: FFmpeg's image readers. */
static bool is_still(const avs_video_info *in) {
  return strstr(in->format, "image2") || strstr(in->format, "_pipe");
}

static cJSON *box_json(const avs_face_rect *r) {
  int b[4] = {r->x, r->y, r->x + r->w, r->y + r->h};
  return cJSON_CreateIntArray(b, 4);
}

static void print_text(const avs_face_rect *r, int n, const int *ids, double t, bool still) {
  for (int i = 0; i < n; i++) {
    if (!still) printf("%.3f #%d ", t, ids[i]);
    printf("[%d, %d, %d, %d]\n", r[i].x, r[i].y, r[i].x + r[i].w, r[i].y + r[i].h);
  }
}

static cJSON *frame_json(const avs_face_rect *r, int n, const int *ids, double t, int64_t index, bool still) {
  cJSON *f = cJSON_CreateObject(), *faces = cJSON_CreateArray();
  if (!still) {
    cJSON_AddNumberToObject(f, "frame", (double)index);
    cJSON_AddNumberToObject(f, "time", t);
  }
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "box", box_json(&r[i]));
    if (!still) cJSON_AddNumberToObject(o, "track", ids[i]);
    cJSON_AddItemToArray(faces, o);
  }
  cJSON_AddItemToObject(f, "faces", faces);
  return f;
}

int avsep_faces(int argc, char **argv) {
  faces_opts o = {.cascade = AVS_CASCADE_DEFAULT, .scale_factor = 1.1f, .min_neighbors = 3};
  const app_opt opts[] = {
      {"cascade", 'c', APP_STRING, &o.cascade, "OpenCV cascade XML (Haar or LBP)", 0, 0},
      {"scale-factor", 0, APP_FLOAT, &o.scale_factor, "size ratio between scanned scales (> 1)", 1.001, 4},
      {"min-neighbors", 0, APP_INT, &o.min_neighbors, "a face needs more overlapping hits than this (0: raw hits)", 0,
       10000},
      {"min-size", 0, APP_INT, &o.min_size, "smallest face side in pixels (0: the cascade's window)", 0, 100000},
      {"json", 0, APP_FLAG, &o.json, "print the result as JSON", 0, 0},
      {0},
  };
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *input = pos[0];

  if (!app_given(&o.cascade) && access(o.cascade, F_OK))
    app_fail("no face cascade at %s (install Debian's opencv-data, or give --cascade FILE)", o.cascade);
  avs_cascade *cascade = NULL;
  if (avs_cascade_load(o.cascade, &cascade)) app_fail("%s", avs_errmsg());
  avs_faces *det = NULL;
  avs_faces_params fp = {.scale_factor = o.scale_factor, .min_neighbors = o.min_neighbors, .min_w = o.min_size,
                         .min_h = o.min_size};
  if (avs_faces_new(cascade, &fp, &det)) app_fail_status(avs_errcode());

  avs_video *v = NULL;
  if (avs_video_open(input, NULL, &v)) app_fail("%s", avs_errmsg());
  const avs_video_info *in = avs_video_info_get(v);
  bool still = is_still(in);
  avs_prep *prep = NULL;
  avs_face_tracker *tracker = NULL;
  if (avs_prep_new(&(avs_geom){0}, NULL, &prep) || avs_face_tracker_new(AVS_FACE_TRACK_IOU, AVS_FACE_TRACK_MISSED, &tracker))
    app_fail_status(avs_errcode());
  cJSON *root = cJSON_CreateObject(), *frames = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "input", input);
  cJSON_AddNumberToObject(root, "width", in->width);
  cJSON_AddNumberToObject(root, "height", in->height);
  if (!still) cJSON_AddNumberToObject(root, "fps", in->fps);
  cJSON_AddStringToObject(root, "cascade", o.cascade);

  uint8_t *rgb = NULL, *gray = NULL;
  int *ids = NULL, ids_cap = 0;
  double t;
  int step;
  int64_t index = 0;
  while ((step = avs_video_next(v, &t)) > 0) {
    int w, h;
    if (!rgb) {
      if (avs_prep_set_source(prep, in->width, in->height)) app_fail_status(avs_errcode());
      avs_prep_out_size(prep, &w, &h);
      rgb = malloc((size_t)w * h * 3);
      gray = malloc((size_t)w * h);
      if (!rgb || !gray) app_fail("out of memory for %dx%d frames", w, h);
    }
    avs_prep_out_size(prep, &w, &h);
    if (avs_prep_frame(prep, v, rgb, NULL)) app_fail_status(avs_errcode());
    avs_faces_gray(rgb, (int64_t)w * h, gray);
    const avs_face_rect *r;
    int n;
    if (avs_faces_detect(det, gray, w, h, w, &r, &n)) app_fail_status(avs_errcode());
    if (n > ids_cap) {
      free(ids);
      ids_cap = 2 * n;
      if (!(ids = malloc((size_t)ids_cap * sizeof *ids))) app_fail("out of memory");
    }
    if (!still && avs_face_tracker_update(tracker, r, n, ids)) app_fail_status(avs_errcode());
    if (o.json) cJSON_AddItemToArray(frames, frame_json(r, n, ids, t, index, still));
    else print_text(r, n, ids, t, still);
    index++;
    if (still) break;
  }
  if (step < 0) app_fail("%s", avs_errmsg());
  if (!index) app_fail("no frame could be decoded (%s)", input);
  if (o.json) {
    if (still) cJSON_AddItemToObject(root, "faces", cJSON_DetachItemFromObject(cJSON_GetArrayItem(frames, 0), "faces"));
    else cJSON_AddItemToObject(root, "frames", frames), frames = NULL;
    char *s = cJSON_Print(root);
    if (!s) app_fail("out of memory");
    puts(s);
    cJSON_free(s);
  }
  fflush(stdout);
  cJSON_Delete(frames);
  cJSON_Delete(root);
  free(rgb);
  free(gray);
  free(ids);
  avs_face_tracker_free(&tracker);
  avs_prep_free(&prep);
  avs_video_free(&v);
  avs_faces_free(&det);
  avs_cascade_free(&cascade);
  return 0;
}
