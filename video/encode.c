#include "video/encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "av/status.h"
#include "ff/ff.h"

struct avs_video_writer {
  char *path;
  avs_writer_params p;
  int enc_w, enc_h; /* padded to even */
  AVFormatContext *oc;
  AVCodecContext *venc, *aenc;
  AVStream *vst, *ast;
  struct SwsContext *sws;
  AVFrame *vframe, *aframe;
  AVPacket *pkt;
  uint8_t *padded; /* enc_w x enc_h RGB when the size is odd, or for float input */
  SwrContext *swr;
  AVAudioFifo *fifo;
  int64_t n_frames, n_samples;
  bool created; /* the file exists and is ours to remove if abandoned */
  int error; /* first error; later calls return it */
};

static int wfail(avs_video_writer *w, int rc) {
  if (!w->error) w->error = rc;
  return rc;
}

static int drain(avs_video_writer *w, AVCodecContext *enc, AVStream *st) {
  for (;;) {
    int rc = avcodec_receive_packet(enc, w->pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
    if (rc < 0) return wfail(w, avs_ff_seterr(rc, w->path, "%s encoding failed", enc->codec->name));
    av_packet_rescale_ts(w->pkt, enc->time_base, st->time_base);
    w->pkt->stream_index = st->index;
    rc = av_interleaved_write_frame(w->oc, w->pkt);
    av_packet_unref(w->pkt);
    if (rc < 0) return wfail(w, avs_ff_seterr(rc, w->path, "cannot write the video"));
  }
}

static int encode(avs_video_writer *w, AVCodecContext *enc, AVStream *st, AVFrame *f) {
  int rc = avcodec_send_frame(enc, f);
  if (rc < 0 && rc != AVERROR_EOF) return wfail(w, avs_ff_seterr(rc, w->path, "%s encoding failed", enc->codec->name));
  return drain(w, enc, st);
}

static int open_video(avs_video_writer *w) {
  const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
  if (!codec) return avs_seterr(AVS_EUNSUPPORTED, "this FFmpeg has no H.264 encoder (%s)", w->path);
  if (!(w->vst = avformat_new_stream(w->oc, NULL)) || !(w->venc = avcodec_alloc_context3(codec)))
    return avs_seterr(AVS_ENOMEM, "out of memory for the video encoder");
  AVCodecContext *c = w->venc;
  AVRational fr = av_d2q(w->p.fps, 100000);
  c->width = w->enc_w;
  c->height = w->enc_h;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = av_inv_q(fr);
  c->framerate = fr;
  c->sample_aspect_ratio = (AVRational){1, 1};
  c->thread_count = 0;
  c->color_range = AVCOL_RANGE_MPEG;
  c->colorspace = AVCOL_SPC_BT470BG;
  c->color_primaries = AVCOL_PRI_BT470BG;
  c->color_trc = AVCOL_TRC_SMPTE170M;
  if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary *opt = NULL;
  if (!strcmp(codec->name, "libx264")) {
    char crf[16];
    snprintf(crf, sizeof crf, "%d", w->p.lossless ? 0 : w->p.crf > 0 ? w->p.crf : 20);
    av_dict_set(&opt, "preset", w->p.preset ? w->p.preset : "veryfast", 0);
    av_dict_set(&opt, "crf", crf, 0);
  }
  int rc = avcodec_open2(c, codec, &opt);
  av_dict_free(&opt);
  if (rc < 0) return avs_ff_seterr(rc, w->path, "cannot open the %s encoder", codec->name);
  if ((rc = avcodec_parameters_from_context(w->vst->codecpar, c)) < 0)
    return avs_ff_seterr(rc, w->path, "cannot set up the video stream");
  w->vst->time_base = c->time_base;
  w->vst->avg_frame_rate = fr;
  if (!(w->vframe = av_frame_alloc())) return avs_seterr(AVS_ENOMEM, "out of memory for a frame");
  w->vframe->format = c->pix_fmt;
  w->vframe->width = c->width;
  w->vframe->height = c->height;
  if ((rc = av_frame_get_buffer(w->vframe, 0)) < 0) return avs_ff_seterr(rc, w->path, "cannot allocate a frame");
  w->sws = sws_getContext(w->enc_w, w->enc_h, AV_PIX_FMT_RGB24, w->enc_w, w->enc_h, AV_PIX_FMT_YUV420P,
                          SWS_BILINEAR, NULL, NULL, NULL);
  if (!w->sws) return avs_seterr(AVS_EBACKEND, "swscale cannot convert RGB to YUV 4:2:0");
  return 0;
}

static int pick_rate(const AVCodec *codec, int want) {
  const int *r = codec->supported_samplerates;
  if (!r) return want;
  int best = r[0];
  for (; *r; r++)
    if (abs(*r - want) < abs(best - want)) best = *r;
  return best;
}

static int open_audio(avs_video_writer *w) {
  const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) return avs_seterr(AVS_EUNSUPPORTED, "this FFmpeg has no AAC encoder (%s)", w->path);
  if (!(w->ast = avformat_new_stream(w->oc, NULL)) || !(w->aenc = avcodec_alloc_context3(codec)))
    return avs_seterr(AVS_ENOMEM, "out of memory for the audio encoder");
  AVCodecContext *c = w->aenc;
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c->sample_rate = pick_rate(codec, w->p.sample_rate);
  av_channel_layout_default(&c->ch_layout, w->p.channels);
  c->bit_rate = w->p.audio_bitrate > 0 ? w->p.audio_bitrate : 64000 * w->p.channels;
  c->time_base = (AVRational){1, c->sample_rate};
  if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int rc = avcodec_open2(c, codec, NULL);
  if (rc < 0) return avs_ff_seterr(rc, w->path, "cannot open the AAC encoder");
  if ((rc = avcodec_parameters_from_context(w->ast->codecpar, c)) < 0)
    return avs_ff_seterr(rc, w->path, "cannot set up the audio stream");
  w->ast->time_base = c->time_base;
  AVChannelLayout in_layout;
  av_channel_layout_default(&in_layout, w->p.channels);
  rc = swr_alloc_set_opts2(&w->swr, &c->ch_layout, AV_SAMPLE_FMT_FLTP, c->sample_rate, &in_layout, AV_SAMPLE_FMT_FLT,
                           w->p.sample_rate, 0, NULL);
  av_channel_layout_uninit(&in_layout);
  if (rc < 0 || (rc = swr_init(w->swr)) < 0) return avs_ff_seterr(rc, w->path, "cannot set up audio resampling");
  if (!(w->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, w->p.channels, 4096)) || !(w->aframe = av_frame_alloc()))
    return avs_seterr(AVS_ENOMEM, "out of memory for audio");
  return 0;
}

int avs_video_writer_open(const char *path, const avs_writer_params *p, avs_video_writer **out) {
  int rc;
  avs_ff_init();
  *out = NULL;
  if (p->width <= 0 || p->height <= 0 || p->width > AVS_VIDEO_MAX_SIDE || p->height > AVS_VIDEO_MAX_SIDE)
    return avs_seterr(AVS_EINVAL, "cannot write %dx%d frames (sides 1..%d)", p->width, p->height, AVS_VIDEO_MAX_SIDE);
  if (!(p->fps > 0 && p->fps <= 1000)) return avs_seterr(AVS_EINVAL, "frame rate %g is outside (0, 1000]", p->fps);
  if (p->sample_rate < 0 || p->sample_rate > 384000 || (p->sample_rate > 0 && (p->channels < 1 || p->channels > 8)))
    return avs_seterr(AVS_EINVAL, "audio of %d Hz, %d channels cannot be written", p->sample_rate, p->channels);
  if (p->crf < 0 || p->crf > 51) return avs_seterr(AVS_EINVAL, "crf %d is outside 1..51", p->crf);
  avs_video_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->path = strdup(path)) || !(w->pkt = av_packet_alloc())) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory opening %s", path);
    goto fail;
  }
  w->p = *p;
  w->enc_w = (p->width + 1) & ~1;
  w->enc_h = (p->height + 1) & ~1;
  rc = avformat_alloc_output_context2(&w->oc, NULL, NULL, path);
  if (rc < 0 || !w->oc) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "cannot tell the video format from the name (use .mp4, .mov or .mkv) (%s)", path);
    goto fail;
  }
  if (avformat_query_codec(w->oc->oformat, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) != 1 ||
      (p->sample_rate > 0 && avformat_query_codec(w->oc->oformat, AV_CODEC_ID_AAC, FF_COMPLIANCE_NORMAL) != 1)) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "the %s format cannot hold H.264 video with AAC audio (use .mp4, .mov or .mkv) (%s)",
                    w->oc->oformat->name, path);
    goto fail;
  }
  rc = open_video(w);
  w->p.preset = NULL; /* the caller's string is not kept past open */
  if (rc) goto fail;
  if (p->sample_rate > 0 && (rc = open_audio(w))) goto fail;
  if (w->enc_w != p->width || w->enc_h != p->height) {
    if (!(w->padded = malloc((size_t)w->enc_w * w->enc_h * 3))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory for a frame");
      goto fail;
    }
  }
  if ((rc = avio_open(&w->oc->pb, path, AVIO_FLAG_WRITE)) < 0) {
    rc = avs_ff_seterr(rc, path, "cannot create the video file");
    goto fail;
  }
  w->created = true;
  AVDictionary *mux = NULL;
  /* MP4/MOV: index at the front, so a player (or a cut-short copy) can start at once. */
  if (strstr(w->oc->oformat->name, "mp4") || strstr(w->oc->oformat->name, "mov"))
    av_dict_set(&mux, "movflags", "+faststart", 0);
  rc = avformat_write_header(w->oc, &mux);
  av_dict_free(&mux);
  if (rc < 0) {
    rc = avs_ff_seterr(rc, path, "cannot write the video header");
    goto fail;
  }
  *out = w;
  return 0;
fail:
  avs_video_writer_free(&w);
  return rc;
}

int64_t avs_video_writer_frames(const avs_video_writer *w) { return w->n_frames; }

int avs_video_writer_write(avs_video_writer *w, const uint8_t *rgb) {
  if (w->error) return w->error;
  const uint8_t *src = rgb;
  if (w->padded) { /* repeat the last column and row up to even sides */
    int W = w->p.width, H = w->p.height;
    for (int y = 0; y < w->enc_h; y++) {
      const uint8_t *s = rgb + (size_t)(y < H ? y : H - 1) * W * 3;
      uint8_t *d = w->padded + (size_t)y * w->enc_w * 3;
      memcpy(d, s, (size_t)W * 3);
      if (w->enc_w > W) memcpy(d + (size_t)W * 3, s + (size_t)(W - 1) * 3, 3);
    }
    src = w->padded;
  }
  int rc = av_frame_make_writable(w->vframe);
  if (rc < 0) return wfail(w, avs_ff_seterr(rc, w->path, "cannot get a frame buffer"));
  const uint8_t *sp[4] = {src, NULL, NULL, NULL};
  int ss[4] = {w->enc_w * 3, 0, 0, 0};
  sws_scale(w->sws, sp, ss, 0, w->enc_h, w->vframe->data, w->vframe->linesize);
  w->vframe->pts = w->n_frames++;
  return encode(w, w->venc, w->vst, w->vframe);
}

int avs_video_writer_write_float(avs_video_writer *w, const float *rgb, const avs_norm *norm) {
  if (w->error) return w->error;
  size_t n = (size_t)w->p.width * w->p.height;
  uint8_t *tmp = malloc(n * 3);
  if (!tmp) return wfail(w, avs_seterr(AVS_ENOMEM, "out of memory for a frame"));
  avs_norm raw = {1, {0, 0, 0}, {1, 1, 1}};
  avs_norm_invert(norm ? norm : &raw, rgb, (int64_t)n, tmp);
  int rc = avs_video_writer_write(w, tmp);
  free(tmp);
  return rc;
}

/* Sends whole encoder frames from the FIFO (and at the end the remainder). */
static int send_audio(avs_video_writer *w, bool final) {
  int fs = w->aenc->frame_size > 0 ? w->aenc->frame_size : 1024;
  while (av_audio_fifo_size(w->fifo) >= fs || (final && av_audio_fifo_size(w->fifo) > 0)) {
    int n = av_audio_fifo_size(w->fifo) < fs ? av_audio_fifo_size(w->fifo) : fs;
    av_frame_unref(w->aframe);
    w->aframe->nb_samples = n;
    w->aframe->format = AV_SAMPLE_FMT_FLTP;
    w->aframe->sample_rate = w->aenc->sample_rate;
    int rc = av_channel_layout_copy(&w->aframe->ch_layout, &w->aenc->ch_layout);
    if (rc >= 0) rc = av_frame_get_buffer(w->aframe, 0);
    if (rc < 0) return wfail(w, avs_ff_seterr(rc, w->path, "cannot allocate an audio frame"));
    if (av_audio_fifo_read(w->fifo, (void **)w->aframe->data, n) != n)
      return wfail(w, avs_seterr(AVS_EBACKEND, "audio FIFO read failed"));
    w->aframe->pts = w->n_samples;
    w->n_samples += n;
    if ((rc = encode(w, w->aenc, w->ast, w->aframe))) return rc;
  }
  return 0;
}

static int resample(avs_video_writer *w, const float *samples, int n) {
  int cap = swr_get_out_samples(w->swr, n);
  if (cap <= 0) return 0;
  uint8_t **buf = NULL;
  int rc = av_samples_alloc_array_and_samples(&buf, NULL, w->p.channels, cap, AV_SAMPLE_FMT_FLTP, 0);
  if (rc < 0) return wfail(w, avs_seterr(AVS_ENOMEM, "out of memory for audio"));
  const uint8_t *in[1] = {(const uint8_t *)samples};
  int got = swr_convert(w->swr, buf, cap, samples ? in : NULL, n);
  if (got < 0)
    rc = wfail(w, avs_ff_seterr(got, w->path, "audio resampling failed"));
  else if (got > 0 && av_audio_fifo_write(w->fifo, (void **)buf, got) != got)
    rc = wfail(w, avs_seterr(AVS_ENOMEM, "out of memory for audio"));
  else
    rc = 0;
  av_freep(&buf[0]);
  av_freep(&buf);
  return rc;
}

int avs_video_writer_write_audio(avs_video_writer *w, const float *samples, int64_t n) {
  if (w->error) return w->error;
  if (!w->aenc) return avs_seterr(AVS_EINVAL, "the video was opened without an audio track (%s)", w->path);
  if (n < 0) return avs_seterr(AVS_EINVAL, "negative sample count");
  const int chunk = 1 << 16;
  for (int64_t i = 0; i < n; i += chunk) {
    int m = n - i < chunk ? (int)(n - i) : chunk;
    int rc = resample(w, samples + i * w->p.channels, m);
    if (!rc) rc = send_audio(w, false);
    if (rc) return rc;
  }
  return 0;
}

int avs_video_writer_close(avs_video_writer **pw) {
  avs_video_writer *w = *pw;
  if (!w) return 0;
  int rc = w->error;
  if (!rc && w->aenc && !(rc = resample(w, NULL, 0)) && !(rc = send_audio(w, true))) rc = encode(w, w->aenc, w->ast, NULL);
  if (!rc) rc = encode(w, w->venc, w->vst, NULL);
  if (!rc) {
    int e = av_write_trailer(w->oc);
    if (e < 0) rc = avs_ff_seterr(e, w->path, "cannot finish the video");
  }
  if (!rc) {
    int e = avio_closep(&w->oc->pb);
    if (e < 0) rc = avs_ff_seterr(e, w->path, "cannot close the video");
  }
  if (rc) {
    avs_video_writer_free(pw);
    return rc;
  }
  w->error = 0;
  char *keep = w->path;
  w->path = NULL; /* written: free must not remove it */
  avs_video_writer_free(pw);
  free(keep);
  return 0;
}

void avs_video_writer_free(avs_video_writer **pw) {
  avs_video_writer *w = *pw;
  if (!w) return;
  if (w->oc) {
    if (w->oc->pb) avio_closep(&w->oc->pb);
    avformat_free_context(w->oc);
    if (w->path && w->created) remove(w->path);
  }
  avcodec_free_context(&w->venc);
  avcodec_free_context(&w->aenc);
  sws_freeContext(w->sws);
  swr_free(&w->swr);
  if (w->fifo) av_audio_fifo_free(w->fifo);
  av_frame_free(&w->vframe);
  av_frame_free(&w->aframe);
  av_packet_free(&w->pkt);
  free(w->padded);
  free(w->path);
  free(w);
  *pw = NULL;
}
