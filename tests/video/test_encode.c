/* Writing: H.264 MP4 with an AAC track read back (frames, duration, audio
 * content), odd frame sizes, float frames through a normalisation, PNG stills
 * exact to the byte, the writer's errors (wrong extension, unwritable
 * place: no file left behind), and a video written again with drawings and
 * another sound (avs_video_redraw). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "tests/video/vtest.h"

/* Decodes the first audio stream of path to mono floats (first channel). */
static float *decode_audio(const char *path, int64_t *n, int *rate) {
  AVFormatContext *fmt = NULL;
  *n = 0;
  if (avformat_open_input(&fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0) return NULL;
  int si = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (si < 0) {
    avformat_close_input(&fmt);
    return NULL;
  }
  const AVCodec *c = avcodec_find_decoder(fmt->streams[si]->codecpar->codec_id);
  AVCodecContext *dec = avcodec_alloc_context3(c);
  avcodec_parameters_to_context(dec, fmt->streams[si]->codecpar);
  avcodec_open2(dec, c, NULL);
  *rate = dec->sample_rate;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  int64_t cap = 1 << 20;
  float *out = malloc(sizeof(float) * cap);
  for (bool eof = false; !eof;) {
    if (av_read_frame(fmt, pkt) < 0) {
      eof = true;
      avcodec_send_packet(dec, NULL);
    } else {
      if (pkt->stream_index == si) avcodec_send_packet(dec, pkt);
      av_packet_unref(pkt);
    }
    while (avcodec_receive_frame(dec, fr) == 0) {
      for (int i = 0; i < fr->nb_samples && *n < cap; i++) out[(*n)++] = ((const float *)fr->data[0])[i];
    }
  }
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return out;
}

static void check_av_file(void) {
  const char *p = vt_path("av.mp4");
  int rc = vt_make_indexed(p, 128, 96, 25, 50, true); /* 2 s, 440 Hz at 16 kHz */
  if (!tst_true(rc == 0, "write H.264 + AAC MP4: %s", rc ? avs_errmsg() : "ok")) return;
  avs_video *v = NULL;
  if (!tst_true(avs_video_open(p, NULL, &v) == 0, "reopen %s", p)) return;
  const avs_video_info *in = avs_video_info_get(v);
  bool h264 = false, aac = false;
  for (int i = 0; i < in->n_streams; i++) {
    if (!strcmp(in->streams[i].codec, "h264")) h264 = true;
    if (!strcmp(in->streams[i].codec, "aac")) aac = in->streams[i].sample_rate == 16000 && in->streams[i].channels == 1;
  }
  tst_true(h264 && aac, "streams are H.264 and AAC 16 kHz mono");
  tst_true(in->width == 128 && in->height == 96 && fabs(in->fps - 25) < 1e-6, "128x96 at 25 fps");
  tst_true(fabs(in->duration - 2.0) < 0.1, "duration %.3f s (want 2)", in->duration);
  int n = 0, bad = 0;
  double t;
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){0}, &r);
  uint8_t rgb[128 * 96 * 3];
  while (avs_clip_reader_next(r, NULL, rgb, &t) == 1) bad += vt_read_index(rgb, 128, 96) != n++;
  tst_true(n == 50 && bad == 0, "50 frames back in order (%d, %d misread)", n, bad);
  avs_clip_reader_free(&r);
  avs_video_free(&v);

  int64_t ns;
  int rate = 0;
  float *a = decode_audio(p, &ns, &rate);
  if (tst_true(a && ns > 30000, "audio decodes (%lld samples at %d Hz)", (long long)ns, rate)) {
    /* Skip the encoder's priming and the ends; the sine's RMS is 0.5/sqrt(2). */
    double e = 0;
    int zc = 0;
    int64_t lo = 4000, hi = ns - 4000;
    for (int64_t i = lo; i < hi; i++) {
      e += (double)a[i] * a[i];
      if ((a[i - 1] < 0) != (a[i] < 0)) zc++;
    }
    double rms = sqrt(e / (hi - lo)), f = zc / 2.0 / ((hi - lo) / (double)rate);
    tst_true(fabs(rms - 0.3536) < 0.03, "audio RMS %.4f (want 0.3536)", rms);
    tst_true(fabs(f - 440) < 5, "audio frequency %.1f Hz (want 440)", f);
  }
  free(a);
}

static void check_odd_and_float(void) {
  const char *p = vt_path("odd.mkv");
  avs_writer_params wp = {.width = 33, .height = 17, .fps = 10, .lossless = true};
  avs_video_writer *w = NULL;
  int rc = avs_video_writer_open(p, &wp, &w);
  if (!tst_true(rc == 0, "open a 33x17 writer: %s", rc ? avs_errmsg() : "ok")) return;
  avs_norm kin;
  avs_norm_preset("kinetics", &kin);
  float frame[33 * 17 * 3];
  uint8_t want[33 * 17 * 3];
  for (int i = 0; i < 33 * 17; i++)
    for (int c = 0; c < 3; c++) want[3 * i + c] = (uint8_t)(60 + (i % 33) * 3 + c * 20);
  avs_norm_apply(&kin, want, 33 * 17, frame);
  for (int k = 0; k < 5 && !rc; k++) rc = avs_video_writer_write_float(w, frame, &kin);
  tst_true(avs_video_writer_frames(w) == 5, "5 frames counted");
  rc = rc ? rc : avs_video_writer_close(&w);
  if (!tst_true(rc == 0, "write odd-sized float frames: %s", rc ? avs_errmsg() : "ok")) return;
  avs_video *v = NULL;
  avs_video_open(p, NULL, &v);
  const avs_video_info *in = avs_video_info_get(v);
  tst_true(in->width == 34 && in->height == 18, "odd sides are padded to even (%dx%d)", in->width, in->height);
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){0}, &r);
  uint8_t got[34 * 18 * 3];
  int maxd = 0;
  if (avs_clip_reader_next(r, NULL, got, NULL) == 1)
    for (int y = 0; y < 17; y++)
      for (int x = 0; x < 33; x++)
        for (int c = 0; c < 3; c++) {
          int d = abs(got[(y * 34 + x) * 3 + c] - want[(y * 33 + x) * 3 + c]);
          if (d > maxd) maxd = d;
        }
  tst_true(maxd <= 12, "lossless H.264 (4:2:0) keeps the picture: max difference %d", maxd);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
}

static void check_png(void) {
  enum { W = 37, H = 23 };
  uint8_t px[W * H * 3];
  for (int i = 0; i < W * H * 3; i++) px[i] = (uint8_t)(i * 7 + i / 5);
  const char *p = vt_path("still.png");
  int rc = avs_png_write(p, px, W, H);
  if (!tst_true(rc == 0, "write a 37x23 PNG: %s", rc ? avs_errmsg() : "ok")) return;
  avs_video *v = NULL;
  rc = avs_video_open(p, NULL, &v);
  if (!tst_true(rc == 0, "FFmpeg reads the PNG back: %s", rc ? avs_errmsg() : "ok")) return;
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){0}, &r);
  uint8_t got[W * H * 3];
  rc = avs_clip_reader_next(r, NULL, got, NULL);
  tst_true(rc == 1 && !memcmp(got, px, sizeof px), "PNG pixels round trip exactly");
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  rc = avs_png_write(vt_path("no/such/dir/x.png"), px, W, H);
  tst_true(rc == AVS_EIO && strstr(avs_errmsg(), "x.png"), "PNG into a missing directory: %s", avs_errmsg());
}

static void check_errors(void) {
  avs_writer_params wp = {.width = 64, .height = 48, .fps = 25};
  avs_video_writer *w = NULL;
  int rc = avs_video_writer_open(vt_path("x.unknownext"), &wp, &w);
  tst_true(rc == AVS_EUNSUPPORTED && !w, "unknown extension: %s", avs_errmsg());
  rc = avs_video_writer_open(vt_path("x.wav"), &wp, &w);
  tst_true(rc == AVS_EUNSUPPORTED && access(vt_path("x.wav"), F_OK) != 0, "a WAV cannot hold video: %s", avs_errmsg());
  rc = avs_video_writer_open(vt_path("missing/dir/x.mp4"), &wp, &w);
  tst_true(rc < 0 && strstr(avs_errmsg(), "x.mp4"), "unwritable place: %s", avs_errmsg());
  wp.fps = 0;
  rc = avs_video_writer_open(vt_path("x.mp4"), &wp, &w);
  tst_true(rc == AVS_EINVAL, "fps 0 is refused: %s", avs_errmsg());
  wp = (avs_writer_params){.width = 64, .height = 48, .fps = 25};
  rc = avs_video_writer_open(vt_path("noaudio.mp4"), &wp, &w);
  float s[16] = {0};
  int rc2 = rc ? rc : avs_video_writer_write_audio(w, s, 16);
  tst_true(rc2 == AVS_EINVAL, "audio into a writer without an audio track is refused: %s", avs_errmsg());
  avs_video_writer_free(&w);
  tst_true(access(vt_path("noaudio.mp4"), F_OK) != 0, "an abandoned writer removes its file");
  /* Resampled audio (22050 Hz is not an AAC rate FFmpeg picks the nearest for) and stereo. */
  wp = (avs_writer_params){.width = 64, .height = 48, .fps = 25, .sample_rate = 22050, .channels = 2};
  rc = avs_video_writer_open(vt_path("stereo.mp4"), &wp, &w);
  uint8_t black[64 * 48 * 3] = {0};
  float *st = calloc(22050 * 2, sizeof(float));
  for (int i = 0; i < 22050; i++) st[2 * i] = st[2 * i + 1] = 0.3f * sinf(i * 0.1f);
  if (!rc) rc = avs_video_writer_write_audio(w, st, 22050); /* audio first, then video */
  for (int i = 0; i < 25 && !rc; i++) rc = avs_video_writer_write(w, black);
  if (!rc) rc = avs_video_writer_close(&w);
  free(st);
  avs_video *v = NULL;
  if (tst_true(rc == 0, "stereo 22.05 kHz, audio written before video: %s", rc ? avs_errmsg() : "ok") &&
      avs_video_open(vt_path("stereo.mp4"), NULL, &v) == 0) {
    const avs_video_info *in = avs_video_info_get(v);
    tst_true(in->has_audio && fabs(in->duration - 1.0) < 0.1, "1 s with audio (%.3f s)", in->duration);
    avs_video_free(&v);
  }
  avs_video_writer_free(&w);
}

/* Paints a red block above the bar code and records the frame times it is given. */
typedef struct {
  int calls;
  double t[64];
} redraw_log;

static void paint_red(void *user, avs_image *im, double t) {
  redraw_log *log = user;
  if (log->calls < 64) log->t[log->calls] = t;
  log->calls++;
  static const uint8_t red[3] = {255, 0, 0};
  avs_overlay_fill(im, 8, 2, 39, 17, red, 1.0f);
}

static void check_redraw(void) {
  const char *in = vt_path("redraw_in.mp4"), *out = vt_path("redraw_out.mp4");
  int rc = vt_make_indexed(in, 128, 96, 25, 50, true);
  if (!tst_true(rc == 0, "input for redraw: %s", rc ? avs_errmsg() : "ok")) return;
  enum { RATE = 16000, N = 2 * RATE };
  float *sound = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) sound[i] = 0.5f * sinf(2 * 3.14159265f * 880 * i / RATE);
  redraw_log log = {0};
  rc = avs_video_redraw(in, out, sound, N, RATE, paint_red, &log);
  tst_true(rc == 0 && log.calls == 50, "redraw: %d frames drawn (%s)", log.calls, rc ? avs_errmsg() : "ok");
  bool times = log.calls == 50;
  for (int i = 0; i < 50 && times; i++) times = fabs(log.t[i] - i / 25.0) < 1e-3;
  tst_true(times, "each frame drawn with its time");
  avs_video *v = NULL;
  avs_clip_reader *r = NULL;
  if (!rc && avs_video_open(out, NULL, &v) == 0 && avs_clip_reader_new(v, &(avs_clip_params){0}, &r) == 0) {
    const avs_video_info *info = avs_video_info_get(v);
    tst_true(info->width == 128 && info->height == 96 && fabs(info->fps - 25) < 1e-6, "the input's size and rate");
    uint8_t rgb[128 * 96 * 3];
    double t;
    int n = 0, bad = 0, not_red = 0;
    while (avs_clip_reader_next(r, NULL, rgb, &t) == 1) {
      bad += vt_read_index(rgb, 128, 96) != n++;
      const uint8_t *p = rgb + (10 * 128 + 24) * 3;
      not_red += !(p[0] > 200 && p[1] < 60 && p[2] < 60);
    }
    tst_true(n == 50 && bad == 0 && not_red == 0, "50 frames in order (%d, %d misread), the drawing on each (%d not)",
             n, bad, not_red);
  }
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  int64_t ns = 0;
  int rate = 0;
  float *a = rc ? NULL : decode_audio(out, &ns, &rate);
  if (tst_true(a && ns > 20000, "the new sound decodes (%lld samples)", (long long)ns)) {
    int zc = 0;
    for (int64_t i = 4001; i < ns - 4000; i++) zc += (a[i - 1] < 0) != (a[i] < 0);
    double f = zc / 2.0 / ((ns - 8000) / (double)rate);
    tst_true(fabs(f - 880) < 10, "its frequency %.1f Hz: the sound given (880), not the input's (440)", f);
  }
  free(a);
  rc = avs_video_redraw(vt_path("missing.mp4"), vt_path("redraw_none.mp4"), sound, N, RATE, paint_red, &log);
  tst_true(rc != 0 && access(vt_path("redraw_none.mp4"), F_OK) != 0, "a missing input: %s, no file left",
           avs_errmsg());
  rc = avs_video_redraw(in, vt_path("redraw_bad.mp4"), NULL, N, RATE, NULL, NULL);
  tst_true(rc == AVS_EINVAL && access(vt_path("redraw_bad.mp4"), F_OK) != 0, "samples missing: %s", avs_errmsg());
  free(sound);
}

int main(void) {
  vt_dir("encode");
  check_av_file();
  check_odd_and_float();
  check_png();
  check_errors();
  check_redraw();
  return tst_finish();
}
