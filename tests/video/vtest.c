#include "tests/video/vtest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

static char dir[1024];

const char *vt_dir(const char *name) {
  const char *b = getenv("AVS_BUILD_DIR");
  if (b)
    snprintf(dir, sizeof dir, "%s/tests/video/out/%s", b, name);
  else
    snprintf(dir, sizeof dir, "/tmp/avs-video-test-%d/%s", (int)getpid(), name);
  char cmd[2 * sizeof dir + 64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd) != 0) {
    printf("FAIL cannot make %s\n", dir);
    exit(1);
  }
  return dir;
}

const char *vt_dir_current(void) { return dir; }

const char *vt_path(const char *file) {
  static char ring[8][1200];
  static int k;
  char *p = ring[k++ % 8];
  snprintf(p, sizeof ring[0], "%s/%s", dir, file);
  return p;
}

bool vt_have_ffmpeg(void) {
  static int have = -1;
  if (have < 0) {
    have = system("ffmpeg -hide_banner -version >/dev/null 2>&1") == 0;
    tst_true(have, "the ffmpeg CLI runs (it makes test inputs; scripts/setup.sh --test installs it)");
  }
  return have;
}

bool vt_ffmpeg(const char *fmt, ...) {
  char args[2048], cmd[2300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -v error -y %s", args);
  int rc = system(cmd);
  tst_true(rc == 0, "%s (exit %d)", cmd, rc);
  return rc == 0;
}

#define BARS 10

void vt_draw_index(uint8_t *rgb, int w, int h, int i) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = rgb + ((size_t)y * w + x) * 3;
      int bar = x * BARS / w;
      bool on = (i >> bar) & 1;
      /* Bars fill the middle half of the height; above and below, a gradient. */
      if (y >= h / 4 && y < h - h / 4) {
        p[0] = p[1] = p[2] = on ? 235 : 20;
      } else {
        p[0] = (uint8_t)(40 + 160 * x / (w > 1 ? w - 1 : 1));
        p[1] = (uint8_t)(40 + 160 * y / (h > 1 ? h - 1 : 1));
        p[2] = 100;
      }
    }
}

int vt_read_index(const uint8_t *rgb, int w, int h) {
  int idx = 0;
  for (int b = 0; b < BARS; b++) {
    int x = (int)((b + 0.5) * w / BARS), y = h / 2;
    const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
    int v = (p[0] + p[1] + p[2]) / 3;
    if (v > 170) idx |= 1 << b;
    else if (v > 80) return -1;
  }
  return idx;
}

int vt_make_indexed(const char *path, int w, int h, double fps, int n, bool audio) {
  avs_writer_params wp = {.width = w, .height = h, .fps = fps, .crf = 18};
  if (audio) wp.sample_rate = 16000, wp.channels = 1;
  avs_video_writer *wr = NULL;
  int rc = avs_video_writer_open(path, &wp, &wr);
  if (rc) return rc;
  uint8_t *rgb = malloc((size_t)w * h * 3);
  for (int i = 0; i < n && !rc; i++) {
    vt_draw_index(rgb, w, h, i);
    rc = avs_video_writer_write(wr, rgb);
  }
  free(rgb);
  if (!rc && audio) {
    int64_t ns = (int64_t)(n / fps * 16000);
    float *s = malloc(sizeof(float) * ns);
    for (int64_t i = 0; i < ns; i++) s[i] = 0.5f * sinf(2 * 3.14159265f * 440 * i / 16000);
    rc = avs_video_writer_write_audio(wr, s, ns);
    free(s);
  }
  if (rc) {
    avs_video_writer_free(&wr);
    return rc;
  }
  return avs_video_writer_close(&wr);
}

double vt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
