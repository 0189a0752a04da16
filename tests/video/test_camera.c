/* Live input: a lavfi source and a video file stand in for a camera, paced at
 * real time (reading 1 s of frames takes about 1 s), looping, dropping frames
 * when the reader falls behind; a missing V4L2 device fails with one line. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tests/video/vtest.h"

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Reads n frames; returns elapsed seconds, and the last sampling time. */
static double read_n(avs_video *v, int n, int *got, double *last_t) {
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){.fps = 0, .geom = {32, 24, 0, AVS_FIT_STRETCH}}, &r);
  float buf[32 * 24 * 3];
  double t0 = vt_now();
  *got = 0;
  for (int i = 0; i < n; i++) {
    if (avs_clip_reader_next(r, buf, NULL, last_t) != 1) break;
    ++*got;
  }
  double dt = vt_now() - t0;
  avs_clip_reader_free(&r);
  return dt;
}

int main(void) {
  vt_dir("camera");
  /* lavfi generator at 25 fps: 26 frames span 1 s. */
  avs_video *v = NULL;
  int rc = avs_camera_open("lavfi:testsrc2=size=160x120:rate=25", NULL, &v);
  if (tst_true(rc == 0, "open a lavfi stand-in: %s", rc ? avs_errmsg() : "ok")) {
    const avs_video_info *in = avs_video_info_get(v);
    tst_true(in->live && in->width == 160 && in->height == 120 && fabs(in->fps - 25) < 1e-6,
             "lavfi source: live, 160x120, 25 fps");
    int got;
    double last, dt = read_n(v, 26, &got, &last);
    tst_true(got == 26 && dt > 0.9 && dt < 1.6, "26 frames at 25 fps take %.3f s (about 1 s)", dt);
    tst_true(fabs(last - 1.0) < 1e-6, "the 26th frame is at %.3f s", last);
    tst_true(avs_video_seek(v, 0) == AVS_EUNSUPPORTED, "a live source cannot seek: %s", avs_errmsg());
    avs_video_free(&v);
  }
  /* A 1 s file at 10 fps loops: 15 frames take 1.4 s and times keep rising. */
  const char *f = vt_path("loop.mp4");
  rc = vt_make_indexed(f, 64, 48, 10, 10, false);
  if (!tst_true(rc == 0, "wrote the 1 s stand-in %s (%s)", f, rc ? avs_errmsg() : "ok")) return tst_finish();
  rc = avs_camera_open(f, NULL, &v);
  if (tst_true(rc == 0, "a file opens as a looping stand-in (%s)", rc ? avs_errmsg() : "ok")) {
    int got;
    double last, dt = read_n(v, 15, &got, &last);
    tst_true(got == 15 && dt > 1.3 && dt < 2.0, "a 1 s file loops: 15 frames in %.3f s", dt);
    tst_true(fabs(last - 1.4) < 1e-6, "times continue across the loop (15th at %.3f s)", last);
    avs_video_free(&v);
  }
  /* Falling behind: a reader at 4 frames/s on a 10 fps stand-in sees frames dropped, as a camera would. */
  rc = avs_camera_open(f, &(avs_camera_params){.once = true}, &v);
  if (tst_true(rc == 0, "a file opens as a play-once stand-in (%s)", rc ? avs_errmsg() : "ok")) {
    avs_clip_reader *r = NULL;
    avs_clip_reader_new(v, &(avs_clip_params){0}, &r);
    uint8_t rgb[64 * 48 * 3];
    double t = 0, t0 = vt_now();
    int n = 0;
    while (avs_clip_reader_next(r, NULL, rgb, &t) == 1) {
      n++;
      sleep_s(0.25);
    }
    avs_video_stats st;
    avs_video_stats_get(v, &st);
    tst_true(st.dropped > 0 && n + st.dropped == 10, "slow reader: %d frames read, %lld dropped (of 10) in %.2f s", n,
             (long long)st.dropped, vt_now() - t0);
    avs_clip_reader_free(&r);
    avs_video_free(&v);
  }
  /* No camera here: one clear line. */
  rc = avs_camera_open("/dev/video-avs-none", NULL, &v);
  tst_true(rc < 0 && !v && strstr(avs_errmsg(), "/dev/video-avs-none") && !strchr(avs_errmsg(), '\n'),
           "missing V4L2 device: %s", avs_errmsg());
  rc = avs_camera_open("lavfi:nosuchfilter=1", NULL, &v);
  tst_true(rc < 0 && !v, "bad lavfi graph: %s", avs_errmsg());
  rc = avs_camera_open("v4l2:/dev/null", &(avs_camera_params){.width = 640, .height = 480, .fps = 30}, &v);
  tst_true(rc < 0 && !v, "/dev/null is not a camera: %s", avs_errmsg());
  rc = avs_camera_open("lavfi:testsrc", &(avs_camera_params){.width = 640, .height = 0}, &v);
  tst_true(rc == AVS_EINVAL, "640x0 is refused: %s", avs_errmsg());
  return tst_finish();
}
