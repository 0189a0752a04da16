#include "video/preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "av/status.h"
#include "video/decode_priv.h"
#include "video/preprocess_priv.h"

static const struct {
  const char *name;
  avs_norm n;
} presets[] = {
    {"raw", {1.0f, {0, 0, 0}, {1, 1, 1}}},
    {"c3d", {1.0f, {0, 0, 0}, {1, 1, 1}}},
    {"unit", {1.0f / 255, {0, 0, 0}, {1, 1, 1}}},
    {"kinetics", {1.0f / 255, {0.43216f, 0.394666f, 0.37645f}, {0.22803f, 0.22145f, 0.216989f}}},
    {"imagenet", {1.0f / 255, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}}},
    {"i3d", {1.0f / 127.5f, {1, 1, 1}, {1, 1, 1}}},
};

const char *avs_norm_preset_names(void) { return "raw, c3d, unit, kinetics, imagenet, i3d"; }

int avs_norm_preset(const char *name, avs_norm *out) {
  for (size_t i = 0; name && i < sizeof presets / sizeof *presets; i++)
    if (!strcmp(presets[i].name, name)) {
      *out = presets[i].n;
      return 0;
    }
  return avs_seterr(AVS_EINVAL, "unknown normalisation '%s' (known: %s)", name ? name : "", avs_norm_preset_names());
}

static void norm_lut(const avs_norm *n, float lut[3][256]) {
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++) lut[c][v] = (v * n->scale - n->mean[c]) / n->std[c];
}

void avs_norm_apply(const avs_norm *n, const uint8_t *rgb, int64_t n_px, float *out) {
  float lut[3][256];
  norm_lut(n, lut);
  for (int64_t i = 0; i < n_px; i++) {
    out[3 * i] = lut[0][rgb[3 * i]];
    out[3 * i + 1] = lut[1][rgb[3 * i + 1]];
    out[3 * i + 2] = lut[2][rgb[3 * i + 2]];
  }
}

void avs_norm_invert(const avs_norm *n, const float *in, int64_t n_px, uint8_t *rgb) {
  for (int c = 0; c < 3; c++) {
    float a = n->std[c] / n->scale, b = n->mean[c] / n->scale;
    for (int64_t i = 0; i < n_px; i++) {
      float v = in[3 * i + c] * a + b;
      v = v < 0 ? 0 : v > 255 ? 255 : v; /* NaN stays NaN here and lands on 0 below */
      rgb[3 * i + c] = v >= 0 ? (uint8_t)(v + 0.5f) : 0;
    }
  }
}

int avs_fit_parse(const char *name, avs_fit *out) {
  static const char *names[] = {"crop", "letterbox", "stretch"};
  for (int i = 0; name && i < 3; i++)
    if (!strcmp(name, names[i])) {
      *out = (avs_fit)i;
      return 0;
    }
  return avs_seterr(AVS_EINVAL, "unknown fit '%s' (known: crop, letterbox, stretch)", name ? name : "");
}

static int iround_min1(double x) {
  long v = lround(x);
  return v < 1 ? 1 : v > AVS_VIDEO_MAX_SIDE * 16L ? AVS_VIDEO_MAX_SIDE * 16 : (int)v;
}

int avs_geom_plan_for(const avs_geom *g, int sw, int sh, avs_geom_plan *p) {
  if (sw <= 0 || sh <= 0) return avs_seterr(AVS_EINVAL, "frame size %dx%d is not valid", sw, sh);
  if (g->width < 0 || g->height < 0 || g->short_side < 0 || (g->width == 0) != (g->height == 0))
    return avs_seterr(AVS_EINVAL, "output size %dx%d (short side %d) is not valid", g->width, g->height,
                      g->short_side);
  if (g->width > AVS_VIDEO_MAX_SIDE || g->height > AVS_VIDEO_MAX_SIDE || g->short_side > AVS_VIDEO_MAX_SIDE)
    return avs_seterr(AVS_EINVAL, "output size %dx%d (short side %d) is too large (at most %d)", g->width,
                      g->height, g->short_side, AVS_VIDEO_MAX_SIDE);
  memset(p, 0, sizeof *p);
  double s;
  int W = g->width, H = g->height;
  if (W == 0) {
    s = g->short_side > 0 ? (double)g->short_side / (sw < sh ? sw : sh) : 1.0;
    p->scaled_w = p->out_w = iround_min1(sw * s);
    p->scaled_h = p->out_h = iround_min1(sh * s);
  } else if (g->fit == AVS_FIT_STRETCH) {
    p->scaled_w = p->out_w = W;
    p->scaled_h = p->out_h = H;
  } else if (g->fit == AVS_FIT_LETTERBOX) {
    s = fmin((double)W / sw, (double)H / sh);
    p->out_w = W, p->out_h = H;
    p->scaled_w = iround_min1(sw * s);
    p->scaled_h = iround_min1(sh * s);
    if (p->scaled_w > W) p->scaled_w = W;
    if (p->scaled_h > H) p->scaled_h = H;
    p->off_x = (W - p->scaled_w) / 2;
    p->off_y = (H - p->scaled_h) / 2;
  } else if (g->fit == AVS_FIT_CROP) {
    double cover = fmax((double)W / sw, (double)H / sh);
    s = g->short_side > 0 ? fmax(cover, (double)g->short_side / (sw < sh ? sw : sh)) : cover;
    p->out_w = W, p->out_h = H;
    p->scaled_w = iround_min1(sw * s);
    p->scaled_h = iround_min1(sh * s);
    if (p->scaled_w < W) p->scaled_w = W;
    if (p->scaled_h < H) p->scaled_h = H;
    p->off_x = -((p->scaled_w - W) / 2);
    p->off_y = -((p->scaled_h - H) / 2);
  } else {
    return avs_seterr(AVS_EINVAL, "unknown fit mode %d", (int)g->fit);
  }
  if (p->scaled_w > AVS_VIDEO_MAX_SIDE || p->scaled_h > AVS_VIDEO_MAX_SIDE ||
      (int64_t)p->scaled_w * p->scaled_h > AVS_VIDEO_MAX_PIXELS)
    return avs_seterr(AVS_EINVAL, "resizing %dx%d to short side %d gives a frame too large (%dx%d)", sw, sh,
                      g->short_side, p->scaled_w, p->scaled_h);
  return 0;
}

struct avs_prep {
  avs_geom g;
  avs_norm norm;
  float lut[3][256];
  bool fixed;
  avs_geom_plan plan; /* for the current source size */
  int src_w, src_h;
  struct SwsContext *sws;
  int sws_key[6]; /* source and target of the context, and its colorspace setting */
  uint8_t *scaled, *outbuf;
  size_t scaled_cap;
};

int avs_prep_new(const avs_geom *g, const avs_norm *norm, avs_prep **out) {
  *out = NULL;
  avs_geom_plan probe;
  int rc = avs_geom_plan_for(g, 64, 64, &probe);
  if (rc) return rc;
  avs_prep *p = calloc(1, sizeof *p);
  if (!p) return avs_seterr(AVS_ENOMEM, "out of memory for a frame converter");
  p->g = *g;
  p->norm = norm ? *norm : presets[0].n;
  for (int c = 0; c < 3; c++)
    if (!(p->norm.std[c] != 0) || !isfinite(p->norm.std[c]) || !isfinite(p->norm.mean[c]) || !(p->norm.scale > 0)) {
      free(p);
      return avs_seterr(AVS_EINVAL, "normalisation needs finite mean, non-zero std and a positive scale");
    }
  norm_lut(&p->norm, p->lut);
  *out = p;
  return 0;
}

void avs_prep_free(avs_prep **pp) {
  avs_prep *p = *pp;
  if (!p) return;
  sws_freeContext(p->sws);
  free(p->scaled);
  free(p->outbuf);
  free(p);
  *pp = NULL;
}

static int ensure_buffers(avs_prep *p) {
  size_t need = (size_t)p->plan.scaled_w * p->plan.scaled_h * 3;
  size_t need_out = (size_t)p->plan.out_w * p->plan.out_h * 3;
  if (need_out > need) need = need_out;
  if (need <= p->scaled_cap) return 0;
  uint8_t *a = realloc(p->scaled, need), *b = a ? realloc(p->outbuf, need) : NULL;
  if (a) p->scaled = a;
  if (b) p->outbuf = b;
  if (!a || !b) return avs_seterr(AVS_ENOMEM, "out of memory for a %dx%d frame", p->plan.scaled_w, p->plan.scaled_h);
  p->scaled_cap = need;
  return 0;
}

int avs_prep_set_source(avs_prep *p, int sw, int sh) {
  avs_geom_plan plan;
  int rc = avs_geom_plan_for(&p->g, sw, sh, &plan);
  if (rc) return rc;
  if (p->fixed && (plan.out_w != p->plan.out_w || plan.out_h != p->plan.out_h)) {
    /* The stream changed size mid-way: keep the output size, stretch to it. */
    plan.scaled_w = plan.out_w = p->plan.out_w;
    plan.scaled_h = plan.out_h = p->plan.out_h;
    plan.off_x = plan.off_y = 0;
  }
  p->plan = plan;
  p->src_w = sw, p->src_h = sh;
  p->fixed = true;
  return ensure_buffers(p);
}

void avs_prep_out_size(const avs_prep *p, int *w, int *h) {
  *w = p->fixed ? p->plan.out_w : p->g.width;
  *h = p->fixed ? p->plan.out_h : p->g.height;
}

static bool is_yuv(enum AVPixelFormat f) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
  return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
}

int avs_prep_avframe(avs_prep *p, const AVFrame *f, uint8_t *rgb, float *out) {
  int rc;
  if (!p->fixed || f->width != p->src_w || f->height != p->src_h)
    if ((rc = avs_prep_set_source(p, f->width, f->height))) return rc;
  const avs_geom_plan *pl = &p->plan;
  int full = f->color_range == AVCOL_RANGE_JPEG;
  int cs = f->colorspace != AVCOL_SPC_UNSPECIFIED && f->colorspace != AVCOL_SPC_RGB ? (int)f->colorspace
           : f->height >= 720                                                    ? SWS_CS_ITU709
                                                                                 : SWS_CS_DEFAULT;
  int key[6] = {f->width, f->height, f->format, pl->scaled_w, pl->scaled_h, cs * 2 + full};
  if (!p->sws || memcmp(key, p->sws_key, sizeof key)) {
    sws_freeContext(p->sws);
    /* Same-size YUV -> RGB takes swscale's special converter, which in FFmpeg
     * 5.1 leaves the last columns black when the width is not a multiple of 8;
     * SWS_ACCURATE_RND routes around it. */
    int flags = SWS_BILINEAR;
    if (f->width == pl->scaled_w && f->height == pl->scaled_h && (f->width & 7)) flags |= SWS_ACCURATE_RND;
    p->sws = sws_getContext(f->width, f->height, f->format, pl->scaled_w, pl->scaled_h, AV_PIX_FMT_RGB24, flags,
                            NULL, NULL, NULL);
    memset(p->sws_key, 0, sizeof p->sws_key);
    if (p->sws && is_yuv(f->format))
      sws_setColorspaceDetails(p->sws, sws_getCoefficients(cs), full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0,
                               1 << 16, 1 << 16);
    if (p->sws) memcpy(p->sws_key, key, sizeof key);
  }
  if (!p->sws)
    return avs_seterr(AVS_EUNSUPPORTED, "cannot convert %s frames of %dx%d to RGB",
                      av_get_pix_fmt_name(f->format) ? av_get_pix_fmt_name(f->format) : "unknown", f->width,
                      f->height);
  uint8_t *dst = rgb ? rgb : p->outbuf;
  bool direct = pl->scaled_w == pl->out_w && pl->scaled_h == pl->out_h && pl->off_x == 0 && pl->off_y == 0;
  uint8_t *sdata[4] = {direct ? dst : p->scaled, NULL, NULL, NULL};
  int sstride[4] = {pl->scaled_w * 3, 0, 0, 0};
  int h = sws_scale(p->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, sdata, sstride);
  if (h <= 0) return avs_seterr(AVS_EBACKEND, "swscale failed on a %dx%d frame", f->width, f->height);
  if (!direct) {
    if (pl->off_x > 0 || pl->off_y > 0) memset(dst, 0, (size_t)pl->out_w * pl->out_h * 3);
    int x0 = pl->off_x, y0 = pl->off_y; /* where the scaled frame lands in the output */
    int cx0 = x0 < 0 ? -x0 : 0, cy0 = y0 < 0 ? -y0 : 0;
    int ox = x0 > 0 ? x0 : 0, oy = y0 > 0 ? y0 : 0;
    int cw = pl->scaled_w - cx0 < pl->out_w - ox ? pl->scaled_w - cx0 : pl->out_w - ox;
    int ch = pl->scaled_h - cy0 < pl->out_h - oy ? pl->scaled_h - cy0 : pl->out_h - oy;
    for (int y = 0; y < ch; y++)
      memcpy(dst + ((size_t)(oy + y) * pl->out_w + ox) * 3, p->scaled + ((size_t)(cy0 + y) * pl->scaled_w + cx0) * 3,
             (size_t)cw * 3);
  }
  if (out) {
    int64_t n = (int64_t)pl->out_w * pl->out_h;
    for (int64_t i = 0; i < n; i++) {
      out[3 * i] = p->lut[0][dst[3 * i]];
      out[3 * i + 1] = p->lut[1][dst[3 * i + 1]];
      out[3 * i + 2] = p->lut[2][dst[3 * i + 2]];
    }
  }
  return 0;
}

int avs_prep_frame(avs_prep *p, const avs_video *v, uint8_t *rgb, float *out) {
  if (!v->frame || !v->frame->data[0]) return avs_seterr(AVS_EINVAL, "no decoded frame to convert");
  return avs_prep_avframe(p, v->frame, rgb, out);
}
