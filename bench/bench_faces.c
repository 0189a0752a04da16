/* Face detection speed (video/faces/): avs_faces_detect on one 640x360 grey
 * frame (opencv-doc's messi5.jpg resized, written by bench/cv_faces.py) with
 * the Haar frontalface_default and LBP frontalface_improved cascades, scale
 * factor 1.1, 3 neighbours, against python3-opencv's detectMultiScale on the
 * same frame in the same run (cv_faces.py, popen'd first, cv2.setNumThreads
 * as --threads). Reports ms per frame, the ratio to OpenCV and frames/s
 * (goal: >= 30 frames/s at 640x360 on 2 threads). Also, without a reference,
 * the Haar cascade with a 48-pixel minimum face (--min-size 48 of avsep faces):
 * the smallest scales are most of the work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "bench_common.h"
#include "video/faces/detect.h"

#define W 640
#define H 360
#define GOAL_FPS 30 /* issue 13: frames/s at 640x360 on the 2 cores */

typedef struct {
  avs_faces *d;
  const uint8_t *gray;
  int n;
} faces_case;

static int run_detect(void *arg) {
  faces_case *c = arg;
  const avs_face_rect *r;
  return avs_faces_detect(c->d, c->gray, W, H, W, &r, &c->n);
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 7, .warmup = 2};
  bench_init(argc, argv, &o, "face detection at 640x360 against OpenCV's detectMultiScale", NULL, NULL);
  bench_print_env("faces");
  static const char *names[] = {"haar_frontalface_default", "lbp_frontalface_improved"};
  static const char *paths[] = {AVS_CASCADE_DIR "/haarcascades/haarcascade_frontalface_default.xml",
                                AVS_CASCADE_DIR "/lbpcascades/lbpcascade_frontalface_improved.xml"};
  bench_set_torch_script("cv_faces.py"); /* OpenCV's side */
  const char *frame_path = "/tmp/avs-bench-faces-640x360.gray";
  char args[1024];
  snprintf(args, sizeof args, "--frame %s --cascade %s=%s --cascade %s=%s", frame_path, names[0], paths[0], names[1],
           paths[1]);
  bench_kv kv[8];
  int nkv = bench_torch(&(bench_opts){.threads = o.threads, .reps = o.reps, .warmup = o.warmup, .torch = true}, args,
                        kv, 8);
  static uint8_t gray[W * H];
  FILE *f = fopen(frame_path, "rb");
  if (!f || fread(gray, 1, sizeof gray, f) != sizeof gray) {
    /* No python3-opencv/opencv-doc: a textured frame of our own, no reference. */
    fprintf(stderr, "bench_faces: no frame at %s (python3-opencv and opencv-doc make it); timing a pattern\n",
            frame_path);
    for (int i = 0; i < W * H; i++) gray[i] = (uint8_t)((i % W) * 7 ^ (i / W) * 13);
    nkv = -1;
  }
  if (f) fclose(f);
  for (int i = 0; i < 3; i++) {
    avs_cascade *c = NULL;
    if (avs_cascade_load(paths[i % 2], &c)) bench_die("cascade");
    faces_case fc = {.gray = gray};
    avs_faces_params p = {AVS_FACES_DEFAULTS};
    if (i == 2) p.min_w = p.min_h = 48;
    if (avs_faces_new(c, &p, &fc.d)) bench_die("detector");
    double ms = bench_time(&o, run_detect, &fc);
    double cv = nkv > 0 && i < 2 ? bench_kv_get(kv, nkv, names[i]) : -1;
    const char *name = i < 2 ? names[i] : "haar_frontalface_default, min size 48";
    const char *verdict = 1000.0 / ms >= GOAL_FPS ? "met" : "MISSED";
    if (cv > 0)
      printf("%s (%d faces): avs %.1f ms, OpenCV %.1f ms, ratio %.2f; %.1f frames/s (goal >= %d) %s\n", name, fc.n,
             ms, cv, ms / cv, 1000.0 / ms, GOAL_FPS, verdict);
    else
      printf("%s (%d faces): avs %.1f ms, OpenCV n/a; %.1f frames/s (goal >= %d) %s\n", name, fc.n, ms, 1000.0 / ms,
             GOAL_FPS, verdict);
    avs_faces_free(&fc.d);
    avs_cascade_free(&c);
  }
  return 0;
}
