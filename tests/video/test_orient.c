/* Rotation metadata: a display matrix or rotate tag (portrait video from
 * phones) turns every decoded frame upright. The 8 orientations on frames of
 * several pixel formats (planar, semi-planar, 10-bit, packed RGB, and 4:2:2,
 * which is converted first), the matrix and tag rules, and clips tagged by the
 * ffmpeg CLI: displayed size, reported rotation, and where a red corner lands. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "tests/video/vtest.h"
#include "video/orient_priv.h"


/* The stored pixel that displayed (x, y) shows, by the definition in orient_priv.h. */
static void source_of(int orient, int x, int y, int w, int h, int *sx, int *sy) {
  *sx = orient & AVS_ORIENT_TRANSPOSE ? y : x;
  *sy = orient & AVS_ORIENT_TRANSPOSE ? x : y;
  if (orient & AVS_ORIENT_FLIP_X) *sx = w - 1 - *sx;
  if (orient & AVS_ORIENT_FLIP_Y) *sy = h - 1 - *sy;
}

/* Distinct over 6x4; over larger frames a wrong source shows with high odds. */
static int value_at(int x, int y, int bytes) { return (1 + 10 * y + x + 7 * x * y) & (bytes == 2 ? 0xffff : 0xff); }

/* Plane 0's first byte (8-bit) or word (16-bit) at (x, y). */
static int get0(const AVFrame *f, int x, int y, int bytes) {
  const uint8_t *p = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * bytes;
  return bytes == 2 ? *(const uint16_t *)p : *p;
}

/* A W x H frame of fmt (bytes per sample of plane 0) in each orientation. */
static void check_format(enum AVPixelFormat fmt, int bytes, int W, int H) {
  const char *name = av_get_pix_fmt_name(fmt);
  avs_orienter *o = NULL;
  for (int orient = 0; orient < 8; orient++) {
    AVFrame *f = av_frame_alloc();
    f->format = fmt, f->width = W, f->height = H;
    if (!tst_true(av_frame_get_buffer(f, 0) == 0, "%s frame", name)) return;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    for (int p = 0; p < 4 && f->data[p]; p++)
      memset(f->data[p], 128, (size_t)f->linesize[p] * (p == 1 || p == 2 ? AV_CEIL_RSHIFT(H, d->log2_chroma_h) : H));
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        uint8_t *px = f->data[0] + (size_t)y * f->linesize[0] + (size_t)x * bytes;
        if (bytes == 2) *(uint16_t *)px = (uint16_t)value_at(x, y, 2);
        else *px = (uint8_t)value_at(x, y, 1);
      }
    int rc = avs_orient_frame(&o, f, orient);
    bool t = orient & AVS_ORIENT_TRANSPOSE;
    tst_true(rc == 0 && f->width == (t ? H : W) && f->height == (t ? W : H), "%s %dx%d orientation %d: %dx%d", name,
             W, H, orient, f->width, f->height);
    int bad = 0, out_bytes = f->format == fmt ? bytes : 1;
    for (int y = 0; y < f->height && !rc; y++)
      for (int x = 0; x < f->width; x++) {
        int sx, sy;
        source_of(orient, x, y, W, H, &sx, &sy);
        bad += abs(get0(f, x, y, out_bytes) - value_at(sx, sy, out_bytes)) > (f->format == fmt ? 0 : 1);
      }
    tst_true(bad == 0, "%s %dx%d orientation %d: every pixel from its source (%d wrong, now %s)", name, W, H, orient,
             bad, av_get_pix_fmt_name(f->format));
    av_frame_free(&f);
  }
  avs_orienter_free(&o);
}

static int orient_with(int cw, int hflip, int vflip, const char *tag) {
  AVFormatContext *fc = avformat_alloc_context();
  AVStream *st = avformat_new_stream(fc, NULL);
  if (tag) {
    av_dict_set(&st->metadata, "rotate", tag, 0);
  } else {
    int32_t *m = (int32_t *)av_stream_new_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
    av_display_rotation_set(m, cw); /* FFmpeg's "clockwise" here is av_display_rotation_get's negative */
    av_display_matrix_flip(m, hflip, vflip);
  }
  int orient = avs_orient_of_stream(st);
  avformat_free_context(fc);
  return orient;
}

static void check_rule(int cw, int hflip, int vflip, const char *tag, int want_deg, bool want_mirror) {
  int deg;
  bool mirror;
  avs_orient_describe(orient_with(cw, hflip, vflip, tag), &deg, &mirror);
  tst_true(deg == want_deg && mirror == want_mirror, "matrix %d%s%s / tag %s: turned %d%s (want %d%s)", cw,
           hflip ? " hflip" : "", vflip ? " vflip" : "", tag ? tag : "-", deg, mirror ? " mirrored" : "", want_deg,
           want_mirror ? " mirrored" : "");
}

/* A 160x90 blue clip with a red 40x30 top-left corner, tagged by the CLI. */
static void check_clip(const char *src, int tag) {
  char name[32];
  snprintf(name, sizeof name, "rot%d.mp4", tag);
  const char *path = vt_path(name);
  if (!vt_ffmpeg("-i '%s' -c copy -metadata:s:v rotate=%d '%s'", src, tag, path)) return;
  avs_video *v = NULL;
  if (!tst_true(avs_video_open(path, NULL, &v) == 0, "open %s: %s", path, avs_errmsg())) return;
  const avs_video_info *in = avs_video_info_get(v);
  AVFormatContext *fc = NULL;
  avformat_open_input(&fc, path, NULL, NULL);
  int orient = fc ? avs_orient_of_stream(fc->streams[0]) : 0;
  avformat_close_input(&fc);
  /* FFmpeg 5.1's CLI writes rotate=N as a turn of N degrees counter-clockwise (its player turns it back so). */
  int want = (360 - tag) % 360;
  tst_true(in->width == 90 && in->height == 160 && in->rotation == want && !in->mirrored &&
               in->streams[0].width == 90 && in->streams[0].rotation == want,
           "%s: displayed %dx%d, turned %d (want 90x160, %d)", path, in->width, in->height, in->rotation, want);
  avs_clip_params cp = {.fps = in->fps};
  avs_clip_reader *r = NULL;
  static uint8_t rgb[160 * 90 * 3];
  int w = 0, h = 0, rc = avs_clip_reader_new(v, &cp, &r);
  if (!rc) avs_clip_reader_frame_size(r, &w, &h);
  if (!rc) rc = avs_clip_reader_next(r, NULL, rgb, NULL);
  tst_true(rc == 1 && w == 90 && h == 160, "%s: first frame %dx%d", path, w, h);
  int bad = 0;
  for (int y = 0; rc == 1 && y < h; y++)
    for (int x = 0; x < w; x++) {
      int sx, sy;
      source_of(orient, x, y, 160, 90, &sx, &sy);
      if (abs(sx - 40) < 4 || abs(sy - 30) < 4) continue; /* the box edge: chroma blur */
      bool want_red = sx < 40 && sy < 30;
      const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
      bool red = p[0] > 150 && p[2] < 100, blue = p[2] > 150 && p[0] < 100;
      bad += want_red ? !red : !blue;
    }
  tst_true(bad == 0, "%s: the red corner lands where the turn puts it (%d pixels wrong)", path, bad);
  /* As FFmpeg's player shows them: rotate=90 puts the corner bottom left, rotate=270 top right. */
  int cx = tag == 90 ? 5 : 85, cy = tag == 90 ? 155 : 5;
  const uint8_t *c = rgb + ((size_t)cy * 90 + cx) * 3;
  tst_true(rc == 1 && c[0] > 150 && c[2] < 100, "%s: red at (%d, %d) (%d %d %d)", path, cx, cy, c[0], c[1], c[2]);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
}

int main(void) {
  vt_dir("orient");
  check_format(AV_PIX_FMT_YUV420P, 1, 6, 4);
  check_format(AV_PIX_FMT_YUV420P, 1, 83, 45); /* 8x8 blocks and the edges beside them */
  check_format(AV_PIX_FMT_NV12, 1, 6, 4);
  check_format(AV_PIX_FMT_YUV420P10LE, 2, 6, 4);
  check_format(AV_PIX_FMT_GRAY8, 1, 6, 4);
  check_format(AV_PIX_FMT_GRAY8, 1, 130, 72);
  check_format(AV_PIX_FMT_YUV422P, 1, 6, 4); /* not turnable as is: converted to 4:4:4 */
  check_format(AV_PIX_FMT_RGB24, 3, 6, 4);

  check_rule(0, 0, 0, NULL, 0, false);
  check_rule(90, 0, 0, NULL, 90, false);
  check_rule(-90, 0, 0, NULL, 270, false);
  check_rule(180, 0, 0, NULL, 180, false);
  check_rule(0, 1, 0, NULL, 0, true);
  check_rule(0, 0, 1, NULL, 180, true);
  check_rule(45, 0, 0, NULL, 0, false);
  check_rule(0, 0, 0, "90", 90, false);
  check_rule(0, 0, 0, "-90", 270, false);
  check_rule(0, 0, 0, "270", 270, false);
  check_rule(0, 0, 0, "sideways", 0, false);

  if (vt_have_ffmpeg()) {
    const char *src = vt_path("corner.mp4");
    if (vt_ffmpeg("-f lavfi -i color=c=blue:size=160x90:rate=10:duration=1 -vf "
                  "drawbox=x=0:y=0:w=40:h=30:color=red:t=fill -pix_fmt yuv420p -c:v libx264 '%s'",
                  src)) {
      check_clip(src, 90);
      check_clip(src, 270);
    }
  }
  return tst_finish();
}
