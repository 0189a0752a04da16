/* Memory stays bounded on a long video: a 10-minute 1080p H.264 file (made
 * here at 1.5 fps to keep the test short) is streamed frame by frame and
 * sampled as evenly spaced clips; the process's peak RSS must stay far below
 * what decoding it into memory would take (7.5 GB as RGB bytes). Also checks
 * that the clips come from the right places. Label slow. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/video/vtest.h"

static double peak_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int main(void) {
  vt_dir("long");
  const char *p = vt_path("long.mp4");
  const int W = 1920, H = 1080, N = 900;
  const double FPS = 1.5;
  double t0 = vt_now();
  /* Written by a child process, so the encoder's memory does not count in our peak. */
  pid_t pid = fork();
  if (pid == 0) {
    avs_video_writer *w = NULL;
    avs_writer_params wp = {.width = W, .height = H, .fps = FPS, .crf = 40, .preset = "ultrafast"};
    int rc = avs_video_writer_open(p, &wp, &w);
    uint8_t *rgb = malloc((size_t)W * H * 3);
    for (int i = 0; i < N && !rc; i++) {
      vt_draw_index(rgb, W, H, i);
      rc = avs_video_writer_write(w, rgb);
    }
    if (!rc) rc = avs_video_writer_close(&w);
    if (rc) printf("writer: %s\n", avs_errmsg());
    fflush(stdout);
    _exit(rc ? 1 : 0);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!tst_true(pid > 0 && rc == 0, "wrote 10 min of 1080p (%d frames) in %.1f s", N, vt_now() - t0))
    return tst_finish();
  double base = peak_mb();

  avs_video *v = NULL;
  rc = avs_video_open(p, NULL, &v);
  if (!tst_true(rc == 0, "open: %s", rc ? avs_errmsg() : "ok")) return tst_finish();
  tst_true(fabs(avs_video_info_get(v)->duration - 600) < 1, "duration %.1f s", avs_video_info_get(v)->duration);
  /* Stream the whole video at 1 fps as 112x112 frames. */
  avs_norm kin;
  avs_norm_preset("kinetics", &kin);
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){.fps = 1, .geom = {112, 112, 128, AVS_FIT_CROP}, .norm = &kin}, &r);
  float frame[112 * 112 * 3];
  int n = 0;
  t0 = vt_now();
  while (avs_clip_reader_next(r, frame, NULL, NULL) == 1) n++;
  tst_true(n == 600, "streamed %d frames at 1 fps in %.1f s", n, vt_now() - t0);
  avs_clip_reader_free(&r);
  /* Ten evenly spaced clips of 8 frames at 8 fps (stretched so the index bars stay readable). */
  avs_norm unit;
  avs_norm_preset("unit", &unit);
  avs_clip_reader_new(v, &(avs_clip_params){.fps = 8, .geom = {160, 90, 0, AVS_FIT_STRETCH}, .norm = &unit}, &r);
  avs_tensor *clips = NULL;
  t0 = vt_now();
  rc = avs_clip_read_evenly(r, 10, 8, 1, &clips);
  double dt = vt_now() - t0;
  if (tst_true(rc == 0, "10 evenly spaced clips in %.2f s: %s", dt, rc ? avs_errmsg() : "ok")) {
    /* Clip i starts at i * (600 - 1) / 9 s: source frame round(start * 1.5). */
    int bad = 0;
    uint8_t px[160 * 90 * 3];
    for (int i = 0; i < 10; i++) {
      avs_norm_invert(&unit, clips->data + (size_t)i * 8 * 160 * 90 * 3, 160 * 90, px);
      double start = i * (600.0 - 8.0 / 8) / 9;
      int want = (int)lround(start * FPS), got = vt_read_index(px, 160, 90);
      if (abs(got - want) > 1) {
        printf("clip %d starts with frame %d, want %d\n", i, got, want);
        bad++;
      }
    }
    tst_true(bad == 0, "each clip starts at its place in the video");
  }
  avs_tensor_free(&clips);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  double peak = peak_mb();
  tst_true(peak < 250, "peak RSS %.0f MB (%.0f MB before reading) < 250 MB", peak, base);
  return tst_finish();
}
