#include "video/decode.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavdevice/avdevice.h>
#include <libavutil/dict.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

#include "av/status.h"
#include "video/decode_priv.h"
#include "ff/ff.h"

/* Demuxer errors in a row after which the rest of the file is given up. */
#define MAX_READ_ERRORS 32

static char *dupstr(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static bool is_device(const AVInputFormat *f) {
  if (!f || !f->priv_class) return false;
  AVClassCategory c = f->priv_class->category;
  return c == AV_CLASS_CATEGORY_DEVICE_VIDEO_INPUT || c == AV_CLASS_CATEGORY_DEVICE_AUDIO_INPUT ||
         c == AV_CLASS_CATEGORY_DEVICE_INPUT;
}

static void close_input(avs_video *v) {
  avcodec_free_context(&v->dec);
  avformat_close_input(&v->fmt);
}

static int pick_stream(AVFormatContext *fmt) {
  int best = -1;
  int64_t best_px = -1;
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    AVStream *st = fmt->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue;
    int64_t px = (int64_t)st->codecpar->width * st->codecpar->height;
    if (px > best_px) best = (int)i, best_px = px;
  }
  return best;
}

static int open_input(avs_video *v) {
  const AVInputFormat *ifmt = NULL;
  AVDictionary *dict = NULL;
  int rc;
  if (v->format && !(ifmt = av_find_input_format(v->format))) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "FFmpeg has no input format '%s' (%s)", v->format, v->url);
    goto fail;
  }
  if (v->options && av_dict_parse_string(&dict, v->options, "=", ":", 0) < 0) {
    rc = avs_seterr(AVS_EINVAL, "cannot parse input options '%s' (%s)", v->options, v->url);
    goto fail;
  }
  if ((rc = avs_ff_open_input(&v->fmt, v->url, ifmt, &dict, "video file"))) goto fail;
  const AVDictionaryEntry *e = NULL;
  while ((e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX)))
    avs_log(AVS_LOG_WARN, "input option '%s' was not used (%s)", e->key, v->url);
  av_dict_free(&dict);
  v->stream = pick_stream(v->fmt);
  if (v->stream < 0) {
    rc = avs_seterr(AVS_ENOTFOUND, "no video stream (%s)", v->url);
    goto fail;
  }
  AVStream *st = v->fmt->streams[v->stream];
  v->orient = avs_orient_of_stream(st);
  for (unsigned i = 0; i < v->fmt->nb_streams; i++)
    if ((int)i != v->stream) v->fmt->streams[i]->discard = AVDISCARD_ALL;
  const AVCodecParameters *par = st->codecpar;
  if (par->width > AVS_VIDEO_MAX_SIDE || par->height > AVS_VIDEO_MAX_SIDE ||
      (int64_t)par->width * par->height > AVS_VIDEO_MAX_PIXELS) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "frame size %dx%d is too large (at most %lld pixels) (%s)", par->width,
                    par->height, (long long)AVS_VIDEO_MAX_PIXELS, v->url);
    goto fail;
  }
  if (par->codec_id == AV_CODEC_ID_NONE) {
    rc = avs_seterr(AVS_EFORMAT, "the video stream's codec is not recognised (damaged header?) (%s)", v->url);
    goto fail;
  }
  const AVCodec *codec = avcodec_find_decoder(par->codec_id);
  if (!codec) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "FFmpeg has no decoder for %s video (%s)", avcodec_get_name(par->codec_id),
                    v->url);
    goto fail;
  }
  if (!(v->dec = avcodec_alloc_context3(codec))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for a decoder (%s)", v->url);
    goto fail;
  }
  if ((rc = avcodec_parameters_to_context(v->dec, par)) < 0) {
    rc = avs_ff_seterr(rc, v->url, "cannot set up the %s decoder", codec->name);
    goto fail;
  }
  v->dec->thread_count = v->opts.threads > 0 ? v->opts.threads : 0;
  v->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  v->dec->max_pixels = AVS_VIDEO_MAX_PIXELS;
  v->dec->pkt_timebase = st->time_base;
  if ((rc = avcodec_open2(v->dec, codec, NULL)) < 0) {
    rc = avs_ff_seterr(rc, v->url, "cannot open the %s decoder", codec->name);
    goto fail;
  }
  v->demux_eof = v->flushed = v->dec_eof = false;
  v->read_errors = 0;
  v->last_t = NAN;
  v->skip_until = -INFINITY;
  return 0;
fail:
  av_dict_free(&dict);
  close_input(v);
  return rc;
}

static void fill_stream_info(avs_stream_info *s, const AVFormatContext *fmt, const AVStream *st) {
  const AVCodecParameters *par = st->codecpar;
  memset(s, 0, sizeof *s);
  s->index = st->index;
  const char *type = av_get_media_type_string(par->codec_type);
  snprintf(s->type, sizeof s->type, "%s", type ? type : "unknown");
  snprintf(s->codec, sizeof s->codec, "%s", avcodec_get_name(par->codec_id));
  s->bit_rate = par->bit_rate;
  s->n_frames = st->nb_frames;
  s->duration = st->duration != AV_NOPTS_VALUE && st->duration > 0 ? st->duration * av_q2d(st->time_base) : -1;
  if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
    int orient = avs_orient_of_stream(st);
    bool turned = orient & AVS_ORIENT_TRANSPOSE;
    s->width = turned ? par->height : par->width;
    s->height = turned ? par->width : par->height;
    avs_orient_describe(orient, &s->rotation, &s->mirrored);
    AVRational fr = av_guess_frame_rate((AVFormatContext *)fmt, (AVStream *)st, NULL);
    s->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    s->attached_picture = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
  } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
    s->sample_rate = par->sample_rate;
    s->channels = par->ch_layout.nb_channels;
  }
}

/* Container and streams; the video fields describe stream `stream` (-1: none,
 * the duration is then the container's). */
static void fill_media_info(avs_video_info *in, const AVFormatContext *fmt, int stream) {
  memset(in, 0, sizeof *in);
  snprintf(in->format, sizeof in->format, "%s", fmt->iformat->name);
  snprintf(in->format_long, sizeof in->format_long, "%s",
           fmt->iformat->long_name ? fmt->iformat->long_name : fmt->iformat->name);
  in->live = is_device(fmt->iformat);
  in->bit_rate = fmt->bit_rate;
  in->n_streams = (int)fmt->nb_streams;
  for (unsigned i = 0; i < fmt->nb_streams && i < AVS_VIDEO_MAX_STREAMS; i++)
    fill_stream_info(&in->streams[i], fmt, fmt->streams[i]);
  for (unsigned i = 0; i < fmt->nb_streams; i++)
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) in->has_audio = true;
  in->video_stream = stream;
  in->duration = fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0 ? fmt->duration / (double)AV_TIME_BASE : -1;
  if (stream < 0) return;
  const AVStream *st = fmt->streams[stream];
  avs_stream_info vs;
  fill_stream_info(&vs, fmt, st);
  in->width = vs.width;
  in->height = vs.height;
  in->rotation = vs.rotation;
  in->mirrored = vs.mirrored;
  in->fps = vs.fps;
  if (!(in->fps >= 0.01 && in->fps <= 1000)) {
    AVRational a = st->avg_frame_rate;
    double f = a.num > 0 && a.den > 0 ? av_q2d(a) : 0;
    in->fps = f >= 0.01 && f <= 1000 ? f : 25;
    in->fps_guessed = !(f >= 0.01 && f <= 1000);
  }
  if (vs.duration > 0) in->duration = vs.duration;
  if (in->live && fmt->duration == AV_NOPTS_VALUE) in->duration = -1;
  in->n_frames = vs.n_frames > 0 ? vs.n_frames : in->duration > 0 ? llround(in->duration * in->fps) : 0;
}

int avs_media_probe(const char *url, avs_video_info *out) {
  AVFormatContext *fmt = NULL;
  avs_ff_init();
  memset(out, 0, sizeof *out);
  if (!url || !*url) return avs_seterr(AVS_EINVAL, "no file given");
  int rc = avs_ff_open_input(&fmt, url, NULL, NULL, "media file");
  if (rc) return rc;
  fill_media_info(out, fmt, pick_stream(fmt));
  avformat_close_input(&fmt);
  return 0;
}

static void fill_info(avs_video *v) {
  const AVStream *st = v->fmt->streams[v->stream];
  avs_video_info *in = &v->info;
  fill_media_info(in, v->fmt, v->stream);
  v->tb = av_q2d(st->time_base);
  v->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  v->frame_dur = 1.0 / in->fps;
}

int avs_video_open(const char *url, const avs_video_opts *opts, avs_video **out) {
  int rc;
  avs_ff_init();
  *out = NULL;
  if (!url || !*url) return avs_seterr(AVS_EINVAL, "no video path given");
  avs_video *v = calloc(1, sizeof *v);
  if (!v) return avs_seterr(AVS_ENOMEM, "out of memory opening %s", url);
  if (opts) v->opts = *opts;
  v->url = dupstr(url);
  v->format = dupstr(v->opts.format);
  v->options = dupstr(v->opts.options);
  v->pkt = av_packet_alloc();
  v->frame = av_frame_alloc();
  if (!v->url || (v->opts.format && !v->format) || (v->opts.options && !v->options) || !v->pkt || !v->frame) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory opening %s", url);
    goto fail;
  }
  v->opts.format = v->format;
  v->opts.options = v->options;
  if ((rc = open_input(v))) goto fail;
  fill_info(v);
  v->wall0 = -1;
  v->seek_t = NAN;
  *out = v;
  return 0;
fail:
  avs_video_free(&v);
  return rc;
}

void avs_video_free(avs_video **pv) {
  avs_video *v = *pv;
  if (!v) return;
  if (v->stats.bad_packets)
    avs_log(AVS_LOG_WARN, "skipped %lld damaged packet%s (%s)", (long long)v->stats.bad_packets,
            v->stats.bad_packets == 1 ? "" : "s", v->url);
  close_input(v);
  avs_orienter_free(&v->orienter);
  av_packet_free(&v->pkt);
  av_frame_free(&v->frame);
  free(v->url);
  free(v->format);
  free(v->options);
  free(v);
  *pv = NULL;
}

const avs_video_info *avs_video_info_get(const avs_video *v) { return &v->info; }
const char *avs_video_path(const avs_video *v) { return v->url; }
void avs_video_stats_get(const avs_video *v, avs_video_stats *s) { *s = v->stats; }

void avs_video_frame_size(const avs_video *v, int *w, int *h) {
  *w = v->frame->width;
  *h = v->frame->height;
}

static void bad_data(avs_video *v, int fferr, const char *where) {
  char msg[128];
  av_strerror(fferr, msg, sizeof msg);
  v->stats.bad_packets++;
  double t = isnan(v->last_t) ? 0 : v->last_t;
  avs_log(v->warned_bad ? AVS_LOG_DEBUG : AVS_LOG_WARN, "skipping damaged %s near %.2f s: %s (%s)", where, t, msg,
          v->url);
  v->warned_bad = true;
}

/* One decoded frame into v->frame: 1, 0 at the end of the stream, < 0 error. */
static int decode_one(avs_video *v) {
  for (;;) {
    if (v->dec_eof) return 0;
    int rc = avcodec_receive_frame(v->dec, v->frame);
    if (rc == 0) {
      if (v->frame->width <= 0 || v->frame->height <= 0 || v->frame->width > AVS_VIDEO_MAX_SIDE ||
          v->frame->height > AVS_VIDEO_MAX_SIDE ||
          (int64_t)v->frame->width * v->frame->height > AVS_VIDEO_MAX_PIXELS || !v->frame->data[0]) {
        bad_data(v, AVERROR_INVALIDDATA, "frame");
        av_frame_unref(v->frame);
        continue;
      }
      if (v->frame->decode_error_flags || (v->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        v->stats.damaged_frames++;
        if (!v->warned_damaged)
          avs_log(AVS_LOG_WARN, "damaged frame near %.2f s decoded with concealment (%s)",
                  isnan(v->last_t) ? 0 : v->last_t, v->url);
        v->warned_damaged = true;
      }
      if ((rc = avs_orient_frame(&v->orienter, v->frame, v->orient))) return rc;
      return 1;
    }
    if (rc == AVERROR_EOF) {
      v->dec_eof = true;
      return 0;
    }
    if (rc != AVERROR(EAGAIN)) {
      bad_data(v, rc, "frame");
      if (v->flushed) { /* draining: the decoder moves on by itself, within reason */
        if (++v->read_errors > 1000) v->dec_eof = true;
        continue;
      }
    }
    if (v->demux_eof) {
      if (v->flushed) { /* a decoder that neither returns frames nor EOF after a flush */
        v->dec_eof = true;
        return 0;
      }
      avcodec_send_packet(v->dec, NULL);
      v->flushed = true;
      continue;
    }
    rc = av_read_frame(v->fmt, v->pkt);
    if (rc == AVERROR(EAGAIN)) {
      nanosleep(&(struct timespec){0, 1000000}, NULL);
      continue;
    }
    if (rc < 0) {
      if (rc != AVERROR_EOF && ++v->read_errors < MAX_READ_ERRORS && !avio_feof(v->fmt->pb)) {
        bad_data(v, rc, "data");
        continue;
      }
      if (rc != AVERROR_EOF && rc != AVERROR_INVALIDDATA && v->read_errors >= MAX_READ_ERRORS) {
        avs_ff_seterr(rc, v->url, "reading stopped");
        avs_log(AVS_LOG_WARN, "%s", avs_errmsg());
      }
      v->demux_eof = true;
      continue;
    }
    v->read_errors = 0;
    if (v->pkt->stream_index != v->stream) {
      av_packet_unref(v->pkt);
      continue;
    }
    rc = avcodec_send_packet(v->dec, v->pkt);
    av_packet_unref(v->pkt);
    if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
      if (rc == AVERROR(ENOMEM)) return avs_seterr(AVS_ENOMEM, "out of memory decoding (%s)", v->url);
      bad_data(v, rc, "packet");
    }
  }
}

/* Stream time of v->frame, made monotonic: a missing, repeated, backwards or
 * absurdly far timestamp (damaged file) becomes the previous one plus a frame. */
static double frame_time(avs_video *v) {
  int64_t ts = v->frame->best_effort_timestamp;
  double t;
  if (ts == AV_NOPTS_VALUE)
    t = isnan(v->last_t) ? 0 : v->last_t + v->frame_dur;
  else
    t = (double)(ts - v->start_pts) * v->tb + v->loop_offset;
  if (!isfinite(t)) t = isnan(v->last_t) ? 0 : v->last_t + v->frame_dur;
  if (!isnan(v->last_t) && (!(t > v->last_t) || t > v->last_t + fmax(10.0, 100 * v->frame_dur)))
    t = v->last_t + v->frame_dur;
  v->last_t = t;
  return t;
}

/* Wall-clock seconds (monotonic), for realtime pacing. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void sleep_s(double s) {
  if (s <= 0) return;
  if (s > 10) s = 10;
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

static int seek_raw(avs_video *v, double t) {
  int64_t ts = v->start_pts + (int64_t)llround((t - v->loop_offset) / v->tb);
  int rc = -1;
  if (t - v->loop_offset > 0) rc = av_seek_frame(v->fmt, v->stream, ts, AVSEEK_FLAG_BACKWARD);
  if (rc < 0) rc = av_seek_frame(v->fmt, v->stream, v->start_pts, AVSEEK_FLAG_BACKWARD);
  if (rc >= 0) {
    avcodec_flush_buffers(v->dec);
    v->demux_eof = v->flushed = v->dec_eof = false;
    v->read_errors = 0;
    v->last_t = NAN;
  } else {
    /* The container cannot seek (or not back to its start): read it again from the top. */
    close_input(v);
    if ((rc = open_input(v))) return rc;
  }
  return 0;
}

int avs_video_seek(avs_video *v, double t) {
  if (v->info.live) return avs_seterr(AVS_EUNSUPPORTED, "cannot seek in a live source (%s)", v->url);
  if (!isfinite(t) || t < 0) return avs_seterr(AVS_EINVAL, "cannot seek to %g s (%s)", t, v->url);
  if (v->info.duration > 0 && t > v->info.duration + v->frame_dur)
    return avs_seterr(AVS_EINVAL, "cannot seek to %.3f s: the video lasts %.3f s (%s)", t, v->info.duration, v->url);
  int rc = seek_raw(v, t);
  if (rc) return rc;
  v->skip_until = t - v->frame_dur;
  v->seek_t = t;
  v->wall0 = -1;
  return 0;
}

/* A file that ends well before its stated duration was probably cut short: say so once. */
static void warn_short(avs_video *v) {
  double end = !isnan(v->last_t) ? v->last_t + v->frame_dur : v->seek_t;
  if (v->warned_short || v->info.live || !(v->info.duration > 0) || isnan(end)) return;
  if (end < v->info.duration - fmax(0.5, 3 * v->frame_dur)) {
    avs_log(AVS_LOG_WARN, "the video ends at %.2f s, before its stated %.2f s (truncated?) (%s)", end,
            v->info.duration, v->url);
    v->warned_short = true;
  }
}

int avs_video_next(avs_video *v, double *t_out) {
  int64_t loop_frames = -1;
  for (;;) {
    if (!v->dec) return avs_seterr(AVS_EIO, "the video could not be reopened (%s)", v->url);
    int rc = decode_one(v);
    if (rc < 0) return rc;
    if (rc == 0) {
      /* Loop only when the pass produced frames, or the last one did. */
      if (v->opts.realtime && v->opts.loop && !v->info.live && !isnan(v->last_t) && loop_frames != 0) {
        double next = v->last_t + v->frame_dur;
        v->loop_offset = 0;
        if ((rc = seek_raw(v, 0))) return rc;
        v->loop_offset = next;
        v->last_t = NAN;
        loop_frames = 0;
        continue;
      }
      warn_short(v);
      return 0;
    }
    if (loop_frames >= 0) loop_frames++;
    double t = frame_time(v);
    if (t < v->skip_until) continue;
    v->skip_until = -INFINITY;
    if (v->opts.realtime) {
      double now = now_s();
      if (v->wall0 < 0) v->wall0 = now, v->pts0 = t;
      double due = v->wall0 + (t - v->pts0);
      if (due > now) {
        sleep_s(due - now);
        v->late_run = 0;
      } else if (now - due > v->frame_dur) {
        if (v->late_run < 8) { /* the reader fell behind: drop, as a camera would */
          v->late_run++;
          v->stats.dropped++;
          continue;
        }
        v->wall0 = now, v->pts0 = t; /* decoding itself is slower than real time: resync */
        v->late_run = 0;
      }
    }
    v->stats.frames++;
    *t_out = t;
    return 1;
  }
}
