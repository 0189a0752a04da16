#include "video/orient_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "av/status.h"

enum { T = AVS_ORIENT_TRANSPOSE, FX = AVS_ORIENT_FLIP_X, FY = AVS_ORIENT_FLIP_Y };

/* The rule of FFmpeg's player (fftools, 6.0 and later, which also reads
 * mirrors): av_display_rotation_get is the counter-clockwise angle. */
static int orient_of_matrix(const int32_t m[9]) {
  double ccw = av_display_rotation_get(m);
  if (isnan(ccw)) return 0;
  double cw = -round(ccw);
  cw -= 360 * floor(cw / 360 + 0.9 / 360); /* [0, 360) */
  if (fabs(cw - 90) < 1) return m[3] > 0 ? T : T | FY;
  if (fabs(cw - 180) < 1) return (m[0] < 0 ? FX : 0) | (m[4] < 0 ? FY : 0);
  if (fabs(cw - 270) < 1) return m[3] < 0 ? T | FX | FY : T | FX;
  if (fabs(cw) < 1) return m[4] < 0 ? FY : 0;
  return 0; /* not a multiple of 90 degrees: shown as stored */
}

/* The legacy tag: degrees clockwise. */
static int orient_of_degrees(long cw) {
  cw %= 360;
  if (cw < 0) cw += 360;
  return cw == 90 ? T | FY : cw == 180 ? FX | FY : cw == 270 ? T | FX : 0;
}

int avs_orient_of_stream(const AVStream *st) {
  size_t size = 0;
  const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (sd && size >= 9 * sizeof(int32_t)) {
    int32_t m[9];
    memcpy(m, sd, sizeof m);
    return orient_of_matrix(m);
  }
  const AVDictionaryEntry *e = av_dict_get(st->metadata, "rotate", NULL, 0);
  if (e && e->value[0]) {
    char *end;
    long cw = strtol(e->value, &end, 10);
    if (!*end) return orient_of_degrees(cw);
  }
  return 0;
}

void avs_orient_describe(int orient, int *degrees_cw, bool *mirrored) {
  /* Indexed by orientation: each is a clockwise turn, then maybe a left-right mirror. */
  static const short turn[8] = {0, 180, 0, 180, 90, 90, 270, 270};
  static const bool mirror[8] = {false, true, true, false, true, false, false, true};
  *degrees_cw = turn[orient & 7];
  *mirrored = mirror[orient & 7];
}

struct avs_orienter {
  AVFrame *conv, *out;
  struct SwsContext *sws;
};

void avs_orienter_free(avs_orienter **po) {
  avs_orienter *o = *po;
  if (!o) return;
  av_frame_free(&o->conv);
  av_frame_free(&o->out);
  sws_freeContext(o->sws);
  free(o);
  *po = NULL;
}

/* A format can be turned plane by plane when every plane holds whole pixels
 * of one size (its steps[]) and, for a transpose, chroma is subsampled alike
 * in x and y. Not: bit-packed, paletted, Bayer, or packed 4:2:2 (YUYV). */
static bool turnable(const AVPixFmtDescriptor *d, bool transpose, int steps[4]) {
  if (!d || (d->flags & (AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL |
                         AV_PIX_FMT_FLAG_BAYER)))
    return false;
  if (transpose && d->log2_chroma_w != d->log2_chroma_h) return false;
  av_image_fill_max_pixsteps(steps, NULL, d);
  for (int c = 0; c < d->nb_components; c++)
    if (d->comp[c].step != steps[d->comp[c].plane]) return false;
  return true;
}

static bool is_yuv(const AVPixFmtDescriptor *d) { return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3; }

/* Other formats go to 8-bit 4:4:4 of their family first (values, range and
 * colour matrix unchanged: the frame converter reads them as before). */
static int convert(avs_orienter *o, const AVFrame *f) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
  if (!d) return avs_seterr(AVS_EUNSUPPORTED, "cannot turn frames of an unknown pixel format upright");
  bool alpha = d->flags & AV_PIX_FMT_FLAG_ALPHA, yuv = is_yuv(d);
  enum AVPixelFormat to = yuv ? (alpha ? AV_PIX_FMT_YUVA444P : AV_PIX_FMT_YUV444P)
                              : (alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
  o->sws = sws_getCachedContext(o->sws, f->width, f->height, f->format, f->width, f->height, to,
                                SWS_BILINEAR | SWS_ACCURATE_RND, NULL, NULL, NULL);
  if (!o->sws)
    return avs_seterr(AVS_EUNSUPPORTED, "cannot turn %s frames upright", av_get_pix_fmt_name(f->format));
  bool jpeg = strncmp(d->name, "yuvj", 4) == 0; /* full range by its format */
  if (yuv) {
    int full = f->color_range == AVCOL_RANGE_JPEG || jpeg;
    const int *coef = sws_getCoefficients(SWS_CS_DEFAULT);
    sws_setColorspaceDetails(o->sws, coef, full, coef, full, 0, 1 << 16, 1 << 16);
  }
  av_frame_unref(o->conv);
  o->conv->format = to;
  o->conv->width = f->width;
  o->conv->height = f->height;
  if (av_frame_get_buffer(o->conv, 0) < 0 || av_frame_copy_props(o->conv, f) < 0)
    return avs_seterr(AVS_ENOMEM, "out of memory turning a %dx%d frame", f->width, f->height);
  if (jpeg) o->conv->color_range = AVCOL_RANGE_JPEG;
  if (sws_scale(o->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, o->conv->data,
                o->conv->linesize) <= 0)
    return avs_seterr(AVS_EBACKEND, "swscale failed on a %dx%d %s frame", f->width, f->height,
                      av_get_pix_fmt_name(f->format));
  return 0;
}

/* Displayed pixels x0..x1 x y0..y1 of a plane, one by one: (x, y) reads the
 * source at origin + x * dx + y * dy. */
static void turn_rect(const uint8_t *origin, ptrdiff_t dx, ptrdiff_t dy, uint8_t *d, int ds, int es, int x0, int x1,
                      int y0, int y1) {
  for (int y = y0; y < y1; y++) {
    const uint8_t *sp = origin + y * dy;
    uint8_t *dp = d + (ptrdiff_t)y * ds;
#define TURN_ROW(type) \
  for (int x = x0; x < x1; x++) ((type *)dp)[x] = *(const type *)(sp + x * dx); \
  break
    switch (es) {
    case 1: TURN_ROW(uint8_t);
    case 2: TURN_ROW(uint16_t);
    case 4: TURN_ROW(uint32_t);
    case 8: TURN_ROW(uint64_t);
    default:
      for (int x = x0; x < x1; x++) memcpy(dp + (ptrdiff_t)x * es, sp + x * dx, es);
    }
#undef TURN_ROW
  }
}

/* v[r] byte c -> v[c] byte r: three rounds of swapping off-diagonal blocks
 * (written out, so that v stays in registers). */
#define SWAP_BLOCKS(a, b, bits, m)                 \
  do {                                            \
    uint64_t t_ = (((a) >> (bits)) ^ (b)) & (m);  \
    (b) ^= t_;                                    \
    (a) ^= t_ << (bits);                          \
  } while (0)
static inline void transpose8x8(uint64_t v[8]) {
  const uint64_t m32 = 0x00000000FFFFFFFFull, m16 = 0x0000FFFF0000FFFFull, m8 = 0x00FF00FF00FF00FFull;
  SWAP_BLOCKS(v[0], v[4], 32, m32);
  SWAP_BLOCKS(v[1], v[5], 32, m32);
  SWAP_BLOCKS(v[2], v[6], 32, m32);
  SWAP_BLOCKS(v[3], v[7], 32, m32);
  SWAP_BLOCKS(v[0], v[2], 16, m16);
  SWAP_BLOCKS(v[1], v[3], 16, m16);
  SWAP_BLOCKS(v[4], v[6], 16, m16);
  SWAP_BLOCKS(v[5], v[7], 16, m16);
  SWAP_BLOCKS(v[0], v[1], 8, m8);
  SWAP_BLOCKS(v[2], v[3], 8, m8);
  SWAP_BLOCKS(v[4], v[5], 8, m8);
  SWAP_BLOCKS(v[6], v[7], 8, m8);
}
#undef SWAP_BLOCKS

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The 8x8 displayed bytes at (x0, y0) of a transposing turn: source columns
 * read 8 bytes at a time, turned in registers. */
static inline void transpose_block(const uint8_t *origin, ptrdiff_t dx, ptrdiff_t dy, uint8_t *d, int ds, int x0,
                                   int y0) {
  uint64_t v[8]; /* v[i] byte j: displayed (x0 + i, y0 + j) */
  for (int i = 0; i < 8; i++) {
    const uint8_t *p = origin + (x0 + i) * dx + y0 * dy;
    if (dy > 0) {
      memcpy(&v[i], p, 8);
    } else {
      memcpy(&v[i], p - 7, 8);
      v[i] = __builtin_bswap64(v[i]);
    }
  }
  transpose8x8(v);
  for (int j = 0; j < 8; j++) memcpy(d + (ptrdiff_t)(y0 + j) * ds + x0, &v[j], 8);
}
#endif

/* A transposing turn of an 8-bit plane (the usual case) by 8x8 blocks, 64
 * displayed rows at a time so that each source cache line is used whole; the
 * edges that do not fill a block go one by one. */
static void transpose_bytes(const uint8_t *origin, ptrdiff_t dx, ptrdiff_t dy, uint8_t *d, int ds, int dw, int dh) {
  int bw = dw & ~7, bh = dh & ~7;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (int band = 0; band < bh; band += 64)
    for (int x0 = 0; x0 < bw; x0 += 8)
      for (int y0 = band; y0 < band + 64 && y0 < bh; y0 += 8) transpose_block(origin, dx, dy, d, ds, x0, y0);
#else
  bw = bh = 0;
#endif
  turn_rect(origin, dx, dy, d, ds, 1, bw, dw, 0, dh);
  turn_rect(origin, dx, dy, d, ds, 1, 0, bw, bh, dh);
}

/* One plane of sw x sh pixels of es bytes. */
static void turn_plane(const uint8_t *s, int ss, int sw, int sh, uint8_t *d, int ds, int es, int orient) {
  ptrdiff_t col = es, row = ss;
  const uint8_t *origin = s;
  if (orient & FX) origin += (ptrdiff_t)(sw - 1) * es, col = -col;
  if (orient & FY) origin += (ptrdiff_t)(sh - 1) * ss, row = -row;
  bool t = orient & T;
  ptrdiff_t dx = t ? row : col, dy = t ? col : row;
  int dw = t ? sh : sw, dh = t ? sw : sh;
  if (t && es == 1) transpose_bytes(origin, dx, dy, d, ds, dw, dh);
  else turn_rect(origin, dx, dy, d, ds, es, 0, dw, 0, dh);
}

int avs_orient_frame(avs_orienter **po, AVFrame *f, int orient) {
  if (!orient) return 0;
  avs_orienter *o = *po;
  if (!o) {
    if (!(o = calloc(1, sizeof *o)) || !(o->conv = av_frame_alloc()) || !(o->out = av_frame_alloc())) {
      if (o) avs_orienter_free(&o);
      return avs_seterr(AVS_ENOMEM, "out of memory turning frames upright");
    }
    *po = o;
  }
  bool t = orient & T;
  int steps[4], rc;
  const AVFrame *src = f;
  if (!turnable(av_pix_fmt_desc_get(f->format), t, steps)) {
    if ((rc = convert(o, f))) return rc;
    src = o->conv;
    AVS_ASSERT(turnable(av_pix_fmt_desc_get(src->format), t, steps));
  }
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(src->format);
  AVFrame *dst = o->out;
  av_frame_unref(dst);
  dst->format = src->format;
  dst->width = t ? src->height : src->width;
  dst->height = t ? src->width : src->height;
  if (av_frame_get_buffer(dst, 0) < 0 || av_frame_copy_props(dst, src) < 0)
    return avs_seterr(AVS_ENOMEM, "out of memory turning a %dx%d frame", src->width, src->height);
  av_frame_remove_side_data(dst, AV_FRAME_DATA_DISPLAYMATRIX); /* applied: nobody turns it twice */
  AVRational sar = dst->sample_aspect_ratio;
  if (t && sar.num > 0 && sar.den > 0) dst->sample_aspect_ratio = (AVRational){sar.den, sar.num};
  /* The frame converter guesses an unstated colour matrix from the height:
   * guess from the stored one, as for the same frame not turned. */
  if (is_yuv(d) && dst->colorspace == AVCOL_SPC_UNSPECIFIED)
    dst->colorspace = f->height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG;
  for (int p = 0; p < av_pix_fmt_count_planes(src->format); p++) {
    int w = src->width, h = src->height;
    if (p == 1 || p == 2) w = AV_CEIL_RSHIFT(w, d->log2_chroma_w), h = AV_CEIL_RSHIFT(h, d->log2_chroma_h);
    turn_plane(src->data[p], src->linesize[p], w, h, dst->data[p], dst->linesize[p], steps[p], orient);
  }
  av_frame_unref(f);
  av_frame_move_ref(f, dst);
  return 0;
}
