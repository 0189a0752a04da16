/* Audio tracks of media files, decoded chunk by chunk: open (through the
 * FFmpeg boundary in ff/), read and free. Demuxing, decoding and resampling
 * to the wanted rate run in one pass as packets arrive. The whole-file load
 * is track_load.c, resampling a buffer in memory resample.c. */
#include "audio/audio_track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

#include "av/status.h"
#include "ff/ff.h"

struct avs_track {
  char *path;
  AVFormatContext *fmt;
  AVCodecContext *dec;
  AVStream *st;
  int sidx;
  SwrContext *swr;
  AVPacket *pkt;
  AVFrame *frame;
  /* the input format swr was configured for */
  int swr_rate, swr_fmt;
  AVChannelLayout swr_layout;
  int out_rate, out_channels;
  AVChannelLayout out_layout;
  /* resampled samples not yet handed out: buf[pos..len) frames */
  float *buf;
  int64_t cap, len, pos;
  int64_t emitted;   /* frames returned so far */
  int64_t skip;      /* output frames still to drop before the start; < 0 until known */
  int64_t in_drop;   /* input samples to drop after a seek (grid alignment) */
  int64_t limit;     /* frames to return in all; -1 = to the end */
  double start;
  int64_t produced;  /* frames that came out of swr since the (seek) start */
  int demux_eof, dec_eof, done;
  int64_t decoded;   /* frames the decoder gave */
  int64_t damaged;   /* packets and frames skipped as damaged */
  int first_damage;  /* FFmpeg's code for the first of them (the summary names it) */
  int64_t damage_seen; /* `damaged` when the last frame came */
  int64_t next_in;   /* input sample index where the next frame should start; -1 unknown */
};

/* ---- resampler ----------------------------------------------------------- */

static int swr_setup(avs_track *t, const AVFrame *f) {
  swr_free(&t->swr);
  AVChannelLayout in_layout = {0}; /* av_channel_layout_copy uninits its destination first */
  int e;
  if (f->ch_layout.nb_channels > 0)
    e = av_channel_layout_copy(&in_layout, &f->ch_layout);
  else
    av_channel_layout_default(&in_layout, t->dec->ch_layout.nb_channels), e = 0;
  if (e < 0) return avs_ff_seterr(e, t->path, "cannot read the channel layout");
  int in_ch = in_layout.nb_channels;
  if (in_ch < 1 || in_ch > AVS_AUDIO_MAX_CHANNELS) {
    av_channel_layout_uninit(&in_layout);
    return avs_seterr(AVS_EFORMAT, "unsupported channel count %d in the audio track (%s)", in_ch, t->path);
  }
  if (f->sample_rate < AVS_AUDIO_RATE_MIN || f->sample_rate > AVS_AUDIO_RATE_MAX) {
    av_channel_layout_uninit(&in_layout);
    return avs_seterr(AVS_EFORMAT, "sample rate %d Hz of the audio track is outside %d..%d Hz (%s)", f->sample_rate,
                      AVS_AUDIO_RATE_MIN, AVS_AUDIO_RATE_MAX, t->path);
  }
  if (t->out_channels == in_ch && in_layout.order != AV_CHANNEL_ORDER_NATIVE) {
    /* unknown layout, same count: pass the channels through unchanged */
    av_channel_layout_uninit(&t->out_layout);
    av_channel_layout_copy(&t->out_layout, &in_layout);
  }
  e = swr_alloc_set_opts2(&t->swr, &t->out_layout, AV_SAMPLE_FMT_FLT, t->out_rate, &in_layout, f->format,
                          f->sample_rate, 0, NULL);
  if (e < 0) goto ffail;
  if (t->out_channels == 1 && in_ch > 1) {
    /* mono = mean of the channels, as the libsndfile path does */
    double *m = malloc(sizeof(double) * (size_t)in_ch);
    if (!m) {
      av_channel_layout_uninit(&in_layout);
      return avs_seterr(AVS_ENOMEM, "out of memory");
    }
    for (int i = 0; i < in_ch; i++) m[i] = 1.0 / in_ch;
    e = swr_set_matrix(t->swr, m, in_ch);
    free(m);
    if (e < 0) goto ffail;
  }
  e = swr_init(t->swr);
  if (e < 0) goto ffail;
  t->swr_rate = f->sample_rate;
  t->swr_fmt = f->format;
  av_channel_layout_uninit(&t->swr_layout);
  av_channel_layout_copy(&t->swr_layout, &in_layout);
  av_channel_layout_uninit(&in_layout);
  return AVS_OK;
ffail:
  av_channel_layout_uninit(&in_layout);
  return avs_ff_seterr(e, t->path, "cannot set up the resampler");
}

static int buf_reserve(avs_track *t, int64_t extra) {
  if (t->pos > 0) { /* compact */
    memmove(t->buf, t->buf + t->pos * t->out_channels, (size_t)((t->len - t->pos) * t->out_channels) * sizeof(float));
    t->len -= t->pos;
    t->pos = 0;
  }
  if (t->len + extra <= t->cap) return AVS_OK;
  int64_t ncap = t->cap ? t->cap : 8192;
  while (ncap < t->len + extra) ncap *= 2;
  float *b = realloc(t->buf, (size_t)(ncap * t->out_channels) * sizeof(float));
  if (!b) return avs_seterr(AVS_ENOMEM, "out of memory decoding (%s)", t->path);
  t->buf = b;
  t->cap = ncap;
  return AVS_OK;
}

/* Runs swr on one frame from its sample `from` on (or flushes with f == NULL) into buf. */
static int resample_into(avs_track *t, const AVFrame *f, int from) {
  int in_n = f ? f->nb_samples - from : 0;
  const uint8_t *planes[AVS_AUDIO_MAX_CHANNELS];
  const uint8_t **in = NULL;
  if (f) {
    in = (const uint8_t **)f->extended_data;
    if (from > 0) {
      const int bps = av_get_bytes_per_sample(f->format), ch = f->ch_layout.nb_channels;
      const bool planar = av_sample_fmt_is_planar(f->format);
      for (int c = 0; c < (planar ? ch : 1); c++)
        planes[c] = f->extended_data[c] + (size_t)from * bps * (planar ? 1 : ch);
      in = planes;
    }
  }
  int64_t want = swr_get_out_samples(t->swr, in_n);
  if (want < 0) return avs_ff_seterr((int)want, t->path, "resampler failed");
  want += 16;
  int rc = buf_reserve(t, want);
  if (rc) return rc;
  uint8_t *outp = (uint8_t *)(t->buf + t->len * t->out_channels);
  int n = swr_convert(t->swr, &outp, (int)want, in, in_n);
  if (n < 0) return avs_ff_seterr(n, t->path, "resampler failed");
  const float *p = t->buf + t->len * t->out_channels;
  int64_t bad = avs_audio_find_nonfinite(p, (int64_t)n * t->out_channels);
  if (bad >= 0)
    return avs_seterr(AVS_EFORMAT, "%s sample in the audio track at %.3f s (%s)", isnan(p[bad]) ? "NaN" : "infinite",
                      (double)(t->produced + bad / t->out_channels) / t->out_rate, t->path);
  t->len += n;
  t->produced += n;
  return n;
}

/* A decoder failure caused by the data (a damaged packet) is skipped and
 * counted, for one summary warning at avs_track_free (-v logs each). Decoders
 * say so in more ways than AVERROR_INVALIDDATA: AAC returns -1 (EPERM) or
 * AVERROR_PATCHWELCOME on garbage bits. Only running out of memory or a misuse
 * of the API is a failure of its own. Returns 0 when skipped. */
static int skip_damaged(avs_track *t, int e) {
  if (e == AVERROR(ENOMEM) || e == AVERROR(EINVAL) || e == AVERROR_EOF)
    return avs_ff_seterr(e, t->path, "cannot decode the audio track");
  if (!t->damaged++) t->first_damage = e;
  char msg[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(e, msg, sizeof msg);
  avs_log(AVS_LOG_DEBUG, "skipping a damaged audio packet: %s (%s)", msg, t->path);
  return 0;
}

/* The input sample index of a frame from its timestamp; -1 when it has none. */
static int64_t frame_index(const avs_track *t, const AVFrame *f) {
  int64_t ts = f->best_effort_timestamp;
  if (ts == AV_NOPTS_VALUE) return -1;
  int64_t st0 = t->st->start_time != AV_NOPTS_VALUE ? t->st->start_time : 0;
  return av_rescale_q_rnd(ts - st0, t->st->time_base, (AVRational){1, f->sample_rate}, AV_ROUND_NEAR_INF);
}

/* Silence for the packets skipped as damaged before frame f, so what follows
 * stays at its time (a damaged estimate must not slide against its reference).
 * Only after damage: the container's timestamps of other gaps are not ours to
 * trust, and a gap over 30 s is a broken timestamp, not lost packets. */
static int fill_damage_gap(avs_track *t, const AVFrame *f) {
  bool new_damage = t->damaged > t->damage_seen;
  t->damage_seen = t->damaged;
  int64_t m = frame_index(t, f);
  int64_t expected = t->next_in;
  t->next_in = m >= 0 ? m + f->nb_samples : -1;
  if (!new_damage || m < 0 || expected < 0) return AVS_OK;
  int64_t gap = m - expected;
  if (gap <= 0 || gap > (int64_t)30 * f->sample_rate) return AVS_OK;
  AVFrame *z = av_frame_alloc();
  int e = z ? 0 : AVERROR(ENOMEM);
  if (!e) {
    z->format = f->format;
    z->sample_rate = f->sample_rate;
    z->nb_samples = (int)gap;
    e = av_channel_layout_copy(&z->ch_layout, &f->ch_layout);
  }
  if (!e) e = av_frame_get_buffer(z, 0);
  if (!e) e = av_samples_set_silence(z->extended_data, 0, (int)gap, z->ch_layout.nb_channels, z->format);
  int rc = e < 0 ? avs_ff_seterr(e, t->path, "cannot fill the gap of a damaged packet") : 0;
  if (!rc) {
    avs_log(AVS_LOG_DEBUG, "%lld samples of silence for damaged packets (%s)", (long long)gap, t->path);
    rc = resample_into(t, z, 0);
  }
  av_frame_free(&z);
  return rc < 0 ? rc : AVS_OK;
}

static bool layout_changed(const avs_track *t, const AVFrame *f) {
  return f->sample_rate != t->swr_rate || f->format != t->swr_fmt ||
         (f->ch_layout.nb_channels > 0 && av_channel_layout_compare(&f->ch_layout, &t->swr_layout) != 0);
}

/* Decodes until at least one resampled frame is buffered or the track ends.
 * Returns 0 on progress/end, negative on error. */
static int decode_more(avs_track *t) {
  int e;
  while (!t->done) {
    e = avcodec_receive_frame(t->dec, t->frame);
    if (e == 0) {
      AVFrame *f = t->frame;
      int rc;
      t->decoded += f->nb_samples;
      if (!t->swr || layout_changed(t, f)) {
        if (t->swr) { /* drain the old configuration first */
          while ((rc = resample_into(t, NULL, 0)) > 0) {}
          if (rc < 0) return rc;
          avs_log(AVS_LOG_INFO, "audio format changes mid-stream (%s)", t->path);
        }
        if ((rc = swr_setup(t, f))) return rc;
      }
      if (t->skip < 0) { /* the first frame after a seek tells where we are */
        int64_t ts = f->best_effort_timestamp;
        int64_t st0 = t->st->start_time != AV_NOPTS_VALUE ? t->st->start_time : 0;
        const int64_t in_rate = f->sample_rate, out_rate = t->out_rate;
        const int64_t target = (int64_t)llround(t->start * out_rate);
        if (ts == AV_NOPTS_VALUE) {
          avs_log(AVS_LOG_WARN, "no timestamps after seeking: the start may be off (%s)", t->path);
          t->skip = 0;
        } else {
          /* The input sample index of the frame. Drop input samples up to the next
           * index where the input and output grids meet (a multiple of
           * in_rate / gcd), so the output samples fall on k / out_rate as they
           * do when decoding from the start. */
          int64_t m = av_rescale_q_rnd(ts - st0, t->st->time_base, (AVRational){1, (int)in_rate}, AV_ROUND_NEAR_INF);
          const int64_t P = in_rate / av_gcd(in_rate, out_rate);
          int64_t drop = ((-m) % P + P) % P;
          t->in_drop = drop;
          int64_t first_out = (m + drop) / P * (out_rate / av_gcd(in_rate, out_rate));
          t->skip = target - first_out;
          if (t->skip < 0) {
            avs_log(AVS_LOG_WARN, "seek landed %.3f s late (%s)", (double)-t->skip / out_rate, t->path);
            t->skip = 0;
          }
        }
      }
      if (t->in_drop == 0 && (rc = fill_damage_gap(t, f))) return rc;
      int from = 0;
      if (t->in_drop > 0) {
        if (t->in_drop >= f->nb_samples) {
          t->in_drop -= f->nb_samples;
          av_frame_unref(f);
          continue;
        }
        from = (int)t->in_drop;
        t->in_drop = 0;
      }
      rc = resample_into(t, f, from);
      av_frame_unref(f);
      if (rc < 0) return rc;
      if (rc > 0) return 0;
      continue;
    }
    if (e == AVERROR_EOF) {
      if (!t->decoded && t->damaged) { /* nothing but damage: the real cause, not "no audio" */
        int rc = avs_ff_seterr(t->first_damage, t->path, "the audio track is damaged: none of its %lld packets decodes",
                               (long long)t->damaged);
        t->damaged = 0; /* said in the error: no summary */
        return rc;
      }
      if (t->swr) {
        int rc;
        while ((rc = resample_into(t, NULL, 0)) > 0) {}
        if (rc < 0) return rc;
      }
      t->done = 1;
      return 0;
    }
    if (e != AVERROR(EAGAIN)) {
      int rc = skip_damaged(t, e);
      if (rc) return rc;
      continue;
    }
    /* the decoder wants input */
    if (t->demux_eof) { /* already flushed: nothing more will come */
      t->done = 1;
      return 0;
    }
    e = av_read_frame(t->fmt, t->pkt);
    if (e == AVERROR_EOF) {
      t->demux_eof = 1;
      e = avcodec_send_packet(t->dec, NULL);
      if (e < 0 && e != AVERROR_EOF) return avs_ff_seterr(e, t->path, "cannot decode the audio track");
      continue;
    }
    if (e < 0) return avs_ff_seterr(e, t->path, "cannot read the media file");
    if (t->pkt->stream_index == t->sidx) {
      e = avcodec_send_packet(t->dec, t->pkt);
      if (e < 0 && e != AVERROR(EAGAIN) && (e = skip_damaged(t, e))) {
        av_packet_unref(t->pkt);
        return e;
      }
    }
    av_packet_unref(t->pkt);
  }
  return 0;
}

/* ---- public -------------------------------------------------------------- */

int avs_track_open(const char *path, const avs_track_opts *opts, avs_track **out) {
  *out = NULL;
  avs_ff_init();
  avs_track_opts o = opts ? *opts : (avs_track_opts){0};
  if (o.rate != 0 && (o.rate < AVS_AUDIO_RATE_MIN || o.rate > AVS_AUDIO_RATE_MAX))
    return avs_seterr(AVS_EINVAL, "output sample rate %d Hz is outside %d..%d Hz", o.rate, AVS_AUDIO_RATE_MIN,
                      AVS_AUDIO_RATE_MAX);
  if (o.channels < 0 || o.channels > AVS_AUDIO_MAX_CHANNELS)
    return avs_seterr(AVS_EINVAL, "bad output channel count %d", o.channels);
  if (!isfinite(o.start) || o.start < 0 || !isfinite(o.duration))
    return avs_seterr(AVS_EINVAL, "bad start/duration %g/%g s", o.start, o.duration);
  int e, rc = AVS_OK;
  avs_track *t = calloc(1, sizeof *t);
  if (!t || !(t->path = strdup(path))) {
    free(t);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  t->skip = 0;
  t->limit = -1;
  t->next_in = -1;
  t->out_rate = o.rate;
  t->out_channels = o.channels;
  if (o.channels > 0) av_channel_layout_default(&t->out_layout, o.channels);

  if ((rc = avs_ff_open_input(&t->fmt, path, NULL, NULL, "media file"))) goto fail;
  const AVCodec *codec = NULL;
  if (o.stream > 0) {
    t->sidx = o.stream - 1;
    if (t->sidx >= (int)t->fmt->nb_streams || t->fmt->streams[t->sidx]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) {
      rc = avs_seterr(AVS_ENOTFOUND, "stream %d is not an audio stream (%s)", t->sidx, path);
      goto fail;
    }
    codec = avcodec_find_decoder(t->fmt->streams[t->sidx]->codecpar->codec_id);
    if (!codec) {
      rc = avs_seterr(AVS_EUNSUPPORTED, "no decoder for the audio codec %s (%s)",
                      avcodec_get_name(t->fmt->streams[t->sidx]->codecpar->codec_id), path);
      goto fail;
    }
  } else {
    t->sidx = av_find_best_stream(t->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (t->sidx == AVERROR_STREAM_NOT_FOUND) {
      rc = avs_seterr(AVS_ENOTFOUND, "no audio stream in the file (%s)", path);
      goto fail;
    }
    if (t->sidx == AVERROR_DECODER_NOT_FOUND) {
      rc = avs_seterr(AVS_EUNSUPPORTED, "no decoder for the file's audio codec (%s)", path);
      goto fail;
    }
    if (t->sidx < 0) {
      rc = avs_ff_seterr(t->sidx, path, "cannot find the audio stream");
      goto fail;
    }
  }
  t->st = t->fmt->streams[t->sidx];
  for (unsigned i = 0; i < t->fmt->nb_streams; i++)
    if ((int)i != t->sidx) t->fmt->streams[i]->discard = AVDISCARD_ALL;

  if (!(t->dec = avcodec_alloc_context3(codec))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  if ((e = avcodec_parameters_to_context(t->dec, t->st->codecpar)) < 0) {
    rc = avs_ff_seterr(e, path, "cannot set up the audio decoder");
    goto fail;
  }
  t->dec->thread_count = 1;
  t->dec->pkt_timebase = t->st->time_base;
  if ((e = avcodec_open2(t->dec, codec, NULL)) < 0) {
    rc = avs_ff_seterr(e, path, "cannot open the audio decoder");
    goto fail;
  }
  int src_rate = t->dec->sample_rate;
  if (src_rate < AVS_AUDIO_RATE_MIN || src_rate > AVS_AUDIO_RATE_MAX) {
    rc = avs_seterr(AVS_EFORMAT, "sample rate %d Hz of the audio track is outside %d..%d Hz (%s)", src_rate,
                    AVS_AUDIO_RATE_MIN, AVS_AUDIO_RATE_MAX, path);
    goto fail;
  }
  if (t->dec->ch_layout.nb_channels < 1) {
    rc = avs_seterr(AVS_EFORMAT, "the audio track has no channels (%s)", path);
    goto fail;
  }
  if (t->out_rate == 0) t->out_rate = src_rate;
  if (t->out_channels == 0) { /* as the source */
    t->out_channels = t->dec->ch_layout.nb_channels;
    if (t->out_channels > AVS_AUDIO_MAX_CHANNELS) {
      rc = avs_seterr(AVS_EFORMAT, "unsupported channel count %d in the audio track (%s)", t->out_channels, path);
      goto fail;
    }
    if (t->dec->ch_layout.order == AV_CHANNEL_ORDER_NATIVE)
      av_channel_layout_copy(&t->out_layout, &t->dec->ch_layout);
    else
      av_channel_layout_default(&t->out_layout, t->out_channels);
  }
  if (!(t->pkt = av_packet_alloc()) || !(t->frame = av_frame_alloc())) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  t->start = o.start;
  if (o.duration > 0) t->limit = (int64_t)llround(o.duration * t->out_rate);
  if (o.start >= AVS_TRACK_SEEK_MIN && !o.exact) {
    /* Seek a second early (codec pre-roll, grid alignment), then drop samples. */
    int64_t st0 = t->st->start_time != AV_NOPTS_VALUE ? t->st->start_time : 0;
    int64_t ts = st0 + av_rescale_q((int64_t)llround((o.start - 1.0) * AV_TIME_BASE), AV_TIME_BASE_Q, t->st->time_base);
    if (av_seek_frame(t->fmt, t->sidx, ts, AVSEEK_FLAG_BACKWARD) >= 0) {
      t->skip = -1; /* decided by the first decoded frame's timestamp */
      avcodec_flush_buffers(t->dec);
    } else { /* not seekable: decode from the start */
      avs_log(AVS_LOG_DEBUG, "cannot seek, decoding from the start (%s)", path);
      t->skip = (int64_t)llround(o.start * t->out_rate);
    }
  } else {
    t->skip = (int64_t)llround(o.start * t->out_rate); /* decode from the start: sample-exact */
  }
  *out = t;
  return AVS_OK;
fail:
  avs_track_free(&t);
  return rc;
}

int avs_track_rate(const avs_track *t) { return t->out_rate; }
int avs_track_channels(const avs_track *t) { return t->out_channels; }
int avs_track_source_rate(const avs_track *t) { return t->dec->sample_rate; }
int avs_track_source_channels(const avs_track *t) { return t->dec->ch_layout.nb_channels; }

int64_t avs_track_frames_hint(const avs_track *t) {
  double secs = 0;
  if (t->st->duration != AV_NOPTS_VALUE && t->st->duration > 0)
    secs = (double)t->st->duration * av_q2d(t->st->time_base);
  else if (t->fmt->duration != AV_NOPTS_VALUE && t->fmt->duration > 0)
    secs = (double)t->fmt->duration / AV_TIME_BASE;
  secs -= t->start;
  if (secs <= 0) return 0;
  int64_t n = (int64_t)ceil(secs * t->out_rate);
  if (t->limit >= 0 && n > t->limit) n = t->limit;
  return n;
}

int64_t avs_track_read(avs_track *t, float *buf, int64_t max_frames) {
  if (max_frames <= 0) return avs_seterr(AVS_EINVAL, "avs_track_read: max_frames must be positive");
  for (;;) {
    if (t->limit >= 0 && t->emitted >= t->limit) return 0;
    if (t->len > t->pos && t->skip >= 0) {
      int64_t avail = t->len - t->pos;
      if (t->skip > 0) {
        int64_t d = t->skip < avail ? t->skip : avail;
        t->pos += d;
        t->skip -= d;
        continue;
      }
      int64_t n = avail < max_frames ? avail : max_frames;
      if (t->limit >= 0 && n > t->limit - t->emitted) n = t->limit - t->emitted;
      int ch = t->out_channels;
      memcpy(buf, t->buf + t->pos * ch, (size_t)(n * ch) * sizeof(float));
      t->pos += n;
      t->emitted += n;
      return n;
    }
    if (t->done) return 0;
    int rc = decode_more(t);
    if (rc < 0) return rc;
  }
}

void avs_track_free(avs_track **tp) {
  if (!tp || !*tp) return;
  avs_track *t = *tp;
  if (t->damaged) {
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(t->first_damage, msg, sizeof msg);
    avs_log(AVS_LOG_WARN, "skipped %lld damaged audio packet%s (%s) (%s)", (long long)t->damaged,
            t->damaged == 1 ? "" : "s", msg, t->path);
  }
  swr_free(&t->swr);
  av_channel_layout_uninit(&t->swr_layout);
  av_channel_layout_uninit(&t->out_layout);
  av_packet_free(&t->pkt);
  av_frame_free(&t->frame);
  avcodec_free_context(&t->dec);
  avformat_close_input(&t->fmt);
  free(t->buf);
  free(t->path);
  free(t);
  *tp = NULL;
}
