/* Whole files in one buffer: a media file's audio track (avs_track_load, on
 * the chunked reader of track_decode.c) and any audio (avs_audio_load:
 * libsndfile first, FFmpeg for what it does not read). No FFmpeg here. */
#include "audio/audio_track.h"

#include <stdlib.h>

#include "av/status.h"

int avs_track_load(const char *path, const avs_track_opts *opts, avs_audio **out) {
  *out = NULL;
  avs_track *t = NULL;
  avs_audio *a = NULL;
  int rc = avs_track_open(path, opts, &t);
  if (rc) return rc;
  /* the container's duration sizes the buffer, within reason (it may lie) */
  const int rate = avs_track_rate(t), ch = avs_track_channels(t);
  int64_t hint = avs_track_frames_hint(t), most = (int64_t)rate * 600;
  int64_t cap = hint > 0 ? (hint < most ? hint : most) + 4096 : 1 << 16;
  int64_t n = 0;
  a = avs_audio_new(cap, ch, rate);
  if (!a) {
    rc = avs_errcode();
    goto fail;
  }
  for (;;) {
    if (n == cap) {
      int64_t ncap = cap + cap / 2;
      float *d = realloc(a->data, (size_t)(ncap * ch) * sizeof(float));
      if (!d) {
        rc = avs_seterr(AVS_ENOMEM, "out of memory decoding (%s)", path);
        goto fail;
      }
      a->data = d;
      cap = ncap;
    }
    int64_t got = avs_track_read(t, a->data + n * ch, cap - n);
    if (got < 0) {
      rc = (int)got;
      goto fail;
    }
    if (got == 0) break;
    n += got;
  }
  if (n == 0) {
    const char *when = opts && opts->start > 0 ? " after the start time" : "";
    rc = avs_seterr(AVS_EFORMAT, "audio track has no samples%s (%s)", when, path);
    goto fail;
  }
  a->frames = n;
  avs_track_free(&t);
  *out = a;
  return AVS_OK;
fail:
  avs_audio_free(&a);
  avs_track_free(&t);
  return rc;
}

int avs_audio_load(const char *path, int rate, int channels, avs_audio **out) {
  *out = NULL;
  if (rate != 0 && (rate < AVS_AUDIO_RATE_MIN || rate > AVS_AUDIO_RATE_MAX))
    return avs_seterr(AVS_EINVAL, "output sample rate %d Hz is outside %d..%d Hz", rate, AVS_AUDIO_RATE_MIN,
                      AVS_AUDIO_RATE_MAX);
  avs_audio *a = NULL, *b = NULL;
  int rc = avs_audio_read(path, &a);
  if (rc == AVS_EUNSUPPORTED) /* not for libsndfile: FFmpeg, resampling and mixing on the way */
    return avs_track_load(path, &(avs_track_opts){.rate = rate, .channels = channels}, out);
  if (rc) return rc;
  if (channels != 0 && channels != a->channels) {
    if (channels != 1) {
      avs_audio_free(&a);
      return avs_track_load(path, &(avs_track_opts){.rate = rate, .channels = channels}, out);
    }
    rc = avs_audio_downmix(a, &b);
    avs_audio_free(&a);
    if (rc) return rc;
    a = b, b = NULL;
  }
  if (rate != 0 && rate != a->rate) {
    rc = avs_audio_resample(a, rate, &b);
    avs_audio_free(&a);
    if (rc) return rc;
    a = b;
  }
  *out = a;
  return AVS_OK;
}
