#include "video/png.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>

#include "av/status.h"
#include "ff/ff.h"

int avs_png_write(const char *path, const uint8_t *rgb, int w, int h) {
  int rc;
  AVCodecContext *c = NULL;
  AVFrame *f = NULL;
  AVPacket *pkt = NULL;
  FILE *fp = NULL;
  avs_ff_init();
  if (w <= 0 || h <= 0 || w > AVS_VIDEO_MAX_SIDE || h > AVS_VIDEO_MAX_SIDE)
    return avs_seterr(AVS_EINVAL, "cannot write a %dx%d PNG (%s)", w, h, path);
  const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) return avs_seterr(AVS_EUNSUPPORTED, "this FFmpeg has no PNG encoder (%s)", path);
  if (!(c = avcodec_alloc_context3(codec)) || !(f = av_frame_alloc()) || !(pkt = av_packet_alloc())) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory writing %s", path);
    goto done;
  }
  c->width = w;
  c->height = h;
  c->pix_fmt = AV_PIX_FMT_RGB24;
  c->time_base = (AVRational){1, 1};
  if ((rc = avcodec_open2(c, codec, NULL)) < 0) {
    rc = avs_ff_seterr(rc, path, "cannot open the PNG encoder");
    goto done;
  }
  f->format = AV_PIX_FMT_RGB24;
  f->width = w;
  f->height = h;
  /* The encoder only reads: point the frame at the caller's pixels. */
  av_image_fill_arrays(f->data, f->linesize, rgb, AV_PIX_FMT_RGB24, w, h, 1);
  if ((rc = avcodec_send_frame(c, f)) < 0 || (rc = avcodec_send_frame(c, NULL)) < 0 ||
      (rc = avcodec_receive_packet(c, pkt)) < 0) {
    rc = avs_ff_seterr(rc, path, "PNG encoding failed");
    goto done;
  }
  if (!(fp = fopen(path, "wb"))) {
    rc = avs_seterr(AVS_EIO, "cannot create the PNG: %s (%s)", strerror(errno), path);
    goto done;
  }
  if (fwrite(pkt->data, 1, pkt->size, fp) != (size_t)pkt->size) {
    rc = avs_seterr(AVS_EIO, "cannot write the PNG: %s (%s)", strerror(errno), path);
    fclose(fp);
    remove(path);
    goto done;
  }
  if (fclose(fp)) {
    rc = avs_seterr(AVS_EIO, "cannot write the PNG: %s (%s)", strerror(errno), path);
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

int avs_png_write_image(const char *path, const avs_image *im) { return avs_png_write(path, im->px, im->w, im->h); }
