#include "video/png.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "av/status.h"
#include "ff/ff.h"

int avs_still_format_of(const char *path, avs_still_format *out) {
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  if (dot && (!slash || dot > slash + 1)) {
    if (!strcasecmp(dot, ".png")) return *out = AVS_STILL_PNG, 0;
    if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) return *out = AVS_STILL_JPEG, 0;
  }
  return avs_seterr(AVS_EUNSUPPORTED, "a still is written as .png or .jpg/.jpeg, not '%s'", path);
}

/* The encoder's input frame: the caller's RGB as is for PNG, converted to
 * full-range YUV 4:2:0 (JFIF) for JPEG. */
static int still_frame(AVFrame *f, const uint8_t *rgb, int w, int h, enum AVPixelFormat fmt) {
  f->format = fmt;
  f->width = w;
  f->height = h;
  if (fmt == AV_PIX_FMT_RGB24) { /* the encoder only reads: point the frame at the caller's pixels */
    av_image_fill_arrays(f->data, f->linesize, rgb, AV_PIX_FMT_RGB24, w, h, 1);
    return 0;
  }
  if (av_frame_get_buffer(f, 0) < 0) return AVERROR(ENOMEM);
  struct SwsContext *sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, fmt,
                                          SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, NULL, NULL, NULL);
  if (!sws) return AVERROR(ENOSYS);
  const uint8_t *src[4] = {rgb};
  int stride[4] = {w * 3};
  int rc = sws_scale(sws, src, stride, 0, h, f->data, f->linesize);
  sws_freeContext(sws);
  return rc > 0 ? 0 : AVERROR_EXTERNAL;
}

int avs_still_write(const char *path, const uint8_t *rgb, int w, int h, avs_still_format format) {
  int rc;
  AVCodecContext *c = NULL;
  AVFrame *f = NULL;
  AVPacket *pkt = NULL;
  FILE *fp = NULL;
  bool jpeg = format == AVS_STILL_JPEG;
  const char *kind = jpeg ? "JPEG" : "PNG";
  enum AVPixelFormat pix = jpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_RGB24;
  avs_ff_init();
  if (w <= 0 || h <= 0 || w > AVS_VIDEO_MAX_SIDE || h > AVS_VIDEO_MAX_SIDE)
    return avs_seterr(AVS_EINVAL, "cannot write a %dx%d %s (%s)", w, h, kind, path);
  const AVCodec *codec = avcodec_find_encoder(jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
  if (!codec) return avs_seterr(AVS_EUNSUPPORTED, "this FFmpeg has no %s encoder (%s)", kind, path);
  if (!(c = avcodec_alloc_context3(codec)) || !(f = av_frame_alloc()) || !(pkt = av_packet_alloc())) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory writing %s", path);
    goto done;
  }
  c->width = w;
  c->height = h;
  c->pix_fmt = pix;
  c->time_base = (AVRational){1, 1};
  if (jpeg) { /* fixed quality 2 of 31: visually lossless */
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 2;
    c->color_range = AVCOL_RANGE_JPEG;
  }
  if ((rc = avcodec_open2(c, codec, NULL)) < 0) {
    rc = avs_ff_seterr(rc, path, "cannot open the %s encoder", kind);
    goto done;
  }
  if ((rc = still_frame(f, rgb, w, h, pix)) < 0) {
    rc = avs_ff_seterr(rc, path, "cannot convert the picture for the %s encoder", kind);
    goto done;
  }
  f->quality = c->global_quality;
  if ((rc = avcodec_send_frame(c, f)) < 0 || (rc = avcodec_send_frame(c, NULL)) < 0 ||
      (rc = avcodec_receive_packet(c, pkt)) < 0) {
    rc = avs_ff_seterr(rc, path, "%s encoding failed", kind);
    goto done;
  }
  if (!(fp = fopen(path, "wb"))) {
    rc = avs_seterr(AVS_EIO, "cannot create the %s: %s (%s)", kind, strerror(errno), path);
    goto done;
  }
  if (fwrite(pkt->data, 1, pkt->size, fp) != (size_t)pkt->size) {
    rc = avs_seterr(AVS_EIO, "cannot write the %s: %s (%s)", kind, strerror(errno), path);
    fclose(fp);
    remove(path);
    goto done;
  }
  if (fclose(fp)) {
    rc = avs_seterr(AVS_EIO, "cannot write the %s: %s (%s)", kind, strerror(errno), path);
    remove(path);
    goto done;
  }
  rc = 0;
done:
  av_packet_free(&pkt);
  av_frame_free(&f);
  avcodec_free_context(&c);
  return rc;
}

int avs_png_write(const char *path, const uint8_t *rgb, int w, int h) {
  return avs_still_write(path, rgb, w, h, AVS_STILL_PNG);
}

int avs_png_write_image(const char *path, const avs_image *im) { return avs_png_write(path, im->px, im->w, im->h); }
