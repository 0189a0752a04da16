/* Decoding: stream information, frame counts and timestamps for every
 * container the issue names (mp4/H.264, mkv, webm/VP9, avi, mov, GIF), seeking,
 * and the clear errors for a missing file, a directory, a non-video and a file
 * without a video stream. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/video/vtest.h"

/* Opens, checks the basic info, decodes everything; returns frames decoded. */
static int64_t decode_all(const char *path, int w, int h, double fps, double dur, bool audio) {
  avs_video *v = NULL;
  int rc = avs_video_open(path, NULL, &v);
  if (!tst_true(rc == 0, "open %s: %s", path, rc ? avs_errmsg() : "ok")) return -1;
  const avs_video_info *in = avs_video_info_get(v);
  tst_true(in->width == w && in->height == h, "%s size %dx%d (want %dx%d)", path, in->width, in->height, w, h);
  tst_true(fabs(in->fps - fps) < 0.01, "%s fps %.3f (want %.3f)", path, in->fps, fps);
  tst_true(fabs(in->duration - dur) < 0.15, "%s duration %.3f (want %.3f)", path, in->duration, dur);
  tst_true(in->has_audio == audio, "%s has_audio %d (want %d)", path, in->has_audio, audio);
  int64_t n = 0;
  double t, last = -1;
  bool mono = true, ontime = true;
  while ((rc = avs_video_next(v, &t)) > 0) {
    if (!(t > last)) mono = false;
    if (fabs(t - n / fps) > 0.6 / fps) ontime = false;
    last = t;
    n++;
  }
  tst_true(rc == 0, "%s decodes to the end (%s)", path, rc ? avs_errmsg() : "ok");
  tst_true(mono, "%s timestamps increase", path);
  tst_true(ontime, "%s timestamps are i/fps", path);
  avs_video_stats st;
  avs_video_stats_get(v, &st);
  tst_true(st.bad_packets == 0, "%s: no damaged packets (%lld)", path, (long long)st.bad_packets);
  avs_video_free(&v);
  tst_true(v == NULL, "avs_video_free sets the pointer to NULL");
  return n;
}

static void check_index_at(const char *path, double t, int want) {
  avs_video *v = NULL;
  avs_clip_reader *r = NULL;
  if (avs_video_open(path, NULL, &v)) return (void)tst_true(false, "open %s: %s", path, avs_errmsg());
  avs_clip_params cp = {.fps = avs_video_info_get(v)->fps};
  avs_clip_reader_new(v, &cp, &r);
  int w, h;
  avs_clip_reader_frame_size(r, &w, &h);
  uint8_t rgb[320 * 240 * 3];
  int rc = avs_clip_reader_seek(r, t);
  if (!rc) rc = avs_clip_reader_next(r, NULL, rgb, NULL);
  int got = rc == 1 ? vt_read_index(rgb, w, h) : -2;
  tst_true(got == want, "%s: frame at %.3f s is #%d (want #%d)", path, t, got, want);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
}

static void expect_error(const char *path, int code, const char *needle) {
  avs_video *v = NULL;
  int rc = avs_video_open(path, NULL, &v);
  tst_true(rc == code && v == NULL && strstr(avs_errmsg(), needle) && !strchr(avs_errmsg(), '\n'),
           "open %s fails with %d '%s' (got %d '%s')", path, code, needle, rc, avs_errmsg());
}

int main(void) {
  vt_dir("decode");
  /* Our own writer: H.264 in MP4, MOV and MKV, with AAC audio. */
  const char *names[] = {"idx.mp4", "idx.mov", "idx.mkv"};
  for (int i = 0; i < 3; i++) {
    const char *p = vt_path(names[i]);
    int rc = vt_make_indexed(p, 160, 120, 30, 90, true);
    if (!tst_true(rc == 0, "write %s: %s", p, rc ? avs_errmsg() : "ok")) continue;
    int64_t n = decode_all(p, 160, 120, 30, 3.0, true);
    tst_true(n == 90, "%s: %lld frames decoded (want 90)", p, (long long)n);
  }
  const char *mp4 = vt_path("idx.mp4");
  check_index_at(mp4, 0.0, 0);
  check_index_at(mp4, 1.5, 45);
  check_index_at(mp4, 2.0 + 0.4 / 30, 60);   /* nearest frame */
  check_index_at(mp4, 2.0 + 0.6 / 30, 61);
  check_index_at(mp4, 2.94, 88);
  check_index_at(mp4, 0.5, 15);              /* backwards after a later seek works too */

  /* Containers and codecs from the ffmpeg CLI. */
  if (vt_have_ffmpeg()) {
    const char *src = "-f lavfi -i testsrc2=size=176x144:rate=25:duration=2";
    struct {
      const char *file, *args;
      double fps;
      int n;
    } cases[] = {
        {"t.webm", "-c:v libvpx-vp9 -b:v 200k -deadline realtime -cpu-used 8", 25, 50},
        {"t.avi", "-c:v mpeg4 -q:v 5", 25, 50},
        {"t.mkv", "-c:v libx264 -preset ultrafast", 25, 50},
        {"t.mov", "-c:v libx264 -preset ultrafast", 25, 50},
        {"t.gif", NULL, 10, 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
      const char *p = vt_path(cases[i].file);
      bool made = cases[i].args ? vt_ffmpeg("%s %s '%s'", src, cases[i].args, p)
                                : vt_ffmpeg("-f lavfi -i testsrc2=size=176x144:rate=10:duration=2 '%s'", p);
      if (!tst_true(made, "ffmpeg made %s", p)) continue;
      int64_t n = decode_all(p, 176, 144, cases[i].fps, 2.0, false);
      tst_true(n == cases[i].n, "%s: %lld frames decoded (want %d)", p, (long long)n, cases[i].n);
    }
    /* GIF cannot seek: the reader reopens it and decodes forward. */
    const char *gif = vt_path("idx.gif"), *mp4_10 = vt_path("idx10.mp4");
    int made = vt_make_indexed(mp4_10, 160, 120, 10, 30, false);
    tst_true(made == 0, "wrote %s (%s)", mp4_10, made ? avs_errmsg() : "ok");
    if (made == 0 &&
        vt_ffmpeg("-i '%s' -vf 'split[a][b];[a]palettegen[p];[b][p]paletteuse' '%s'", mp4_10, gif)) {
      check_index_at(gif, 2.0, 20);
      check_index_at(gif, 1.0, 10);
      check_index_at(gif, 2.9, 29);
    }
    /* Odd frame sizes (FFV1 allows them), decoded natively and resized. */
    const char *odd = vt_path("odd.mkv");
    if (vt_ffmpeg("-f lavfi -i testsrc2=size=64x48:rate=10:duration=1 -vf scale=33:17 -pix_fmt yuv420p -c:v ffv1 '%s'", odd)) {
      tst_true(decode_all(odd, 33, 17, 10, 1.0, false) == 10, "33x17 FFV1: 10 frames");
      avs_video *v = NULL;
      avs_clip_reader *r = NULL;
      avs_video_open(odd, NULL, &v);
      avs_clip_reader_new(v, &(avs_clip_params){.fps = 3, .geom = {7, 5, 0, AVS_FIT_LETTERBOX}}, &r);
      uint8_t px[7 * 5 * 3];
      int n = 0;
      while (avs_clip_reader_next(r, NULL, px, NULL) == 1) n++;
      tst_true(n == 3, "33x17 letterboxed to 7x5 at 3 fps: %d frames", n);
      avs_clip_reader_free(&r);
      avs_video_free(&v);
    }
    /* Audio only: a clear "no video stream". */
    const char *m4a = vt_path("audio.m4a");
    if (vt_ffmpeg("-f lavfi -i sine=d=1 '%s'", m4a)) expect_error(m4a, AVS_ENOTFOUND, "no video stream");
  }

  /* Bad paths and non-videos. */
  expect_error(vt_path("missing.mp4"), AVS_ENOTFOUND, "no such file");
  expect_error(vt_path(""), AVS_EINVAL, "directory");
  FILE *f = fopen(vt_path("text.mp4"), "w");
  fputs("this is not a video, just some words\n", f);
  fclose(f);
  expect_error(vt_path("text.mp4"), AVS_EFORMAT, "text.mp4");
  f = fopen(vt_path("empty.mp4"), "w");
  fclose(f);
  expect_error(vt_path("empty.mp4"), AVS_EFORMAT, "empty file");
  /* A WAV file is readable by FFmpeg but has no video. */
  f = fopen(vt_path("tone.wav"), "wb");
  const unsigned char wav[44] = {'R', 'I', 'F', 'F', 36 + 8, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0,
                                 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0, 'd', 'a', 't', 'a', 8, 0, 0, 0};
  fwrite(wav, 1, 44, f);
  fwrite("\0\0\x10\0\0\0\xf0\xff", 1, 8, f);
  fclose(f);
  expect_error(vt_path("tone.wav"), AVS_ENOTFOUND, "no video stream");
  /* A header that claims a huge frame. */
  f = fopen(vt_path("huge.y4m"), "wb");
  fputs("YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n", f);
  fclose(f);
  expect_error(vt_path("huge.y4m"), AVS_EFORMAT, "not a video file");
  /* ... and one FFmpeg accepts but that is beyond our limit (81 Mpixel). */
  f = fopen(vt_path("big.y4m"), "wb");
  fputs("YUV4MPEG2 W9000 H9000 F25:1 Ip A1:1 C420jpeg\nFRAME\n", f);
  fclose(f);
  expect_error(vt_path("big.y4m"), AVS_EUNSUPPORTED, "too large");
  /* Seeking beyond the end. */
  avs_video *v = NULL;
  if (!avs_video_open(mp4, NULL, &v)) {
    int rc = avs_video_seek(v, 100);
    tst_true(rc == AVS_EINVAL && strstr(avs_errmsg(), "lasts"), "seek past the end: %s", avs_errmsg());
    avs_video_free(&v);
  }
  return tst_finish();
}
