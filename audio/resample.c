/* Resampling a whole buffer with libswresample (avs_audio_resample). Tracks
 * resample as they decode (track_decode.c); this is for audio already in
 * memory, e.g. a WAV at another rate than a model's. */
#include "audio/audio_track.h"

#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libswresample/swresample.h>

#include "av/status.h"
#include "ff/ff.h"

int avs_audio_resample(const avs_audio *in, int rate, avs_audio **out) {
  *out = NULL;
  avs_ff_init();
  int rc = avs_audio_check(in, "resampler input");
  if (rc) return rc;
  if (rate < AVS_AUDIO_RATE_MIN || rate > AVS_AUDIO_RATE_MAX)
    return avs_seterr(AVS_EINVAL, "output sample rate %d Hz is outside %d..%d Hz", rate, AVS_AUDIO_RATE_MIN,
                      AVS_AUDIO_RATE_MAX);
  if (rate == in->rate) {
    *out = avs_audio_slice(in, 0, in->frames);
    return *out ? AVS_OK : avs_errcode();
  }
  SwrContext *swr = NULL;
  AVChannelLayout layout;
  av_channel_layout_default(&layout, in->channels);
  avs_audio *a = NULL;
  int e = swr_alloc_set_opts2(&swr, &layout, AV_SAMPLE_FMT_FLT, rate, &layout, AV_SAMPLE_FMT_FLT, in->rate, 0, NULL);
  if (e >= 0) e = swr_init(swr);
  if (e < 0) {
    rc = avs_ff_seterr(e, NULL, "cannot set up the resampler");
    goto fail;
  }
  int64_t cap = av_rescale_rnd(in->frames, rate, in->rate, AV_ROUND_UP) + 256;
  a = avs_audio_new(cap, in->channels, rate);
  if (!a) {
    rc = avs_errcode();
    goto fail;
  }
  int64_t n = 0;
  for (int64_t i = 0; i < in->frames;) {
    int64_t m = in->frames - i < (1 << 20) ? in->frames - i : (1 << 20);
    const uint8_t *ip = (const uint8_t *)(in->data + i * in->channels);
    uint8_t *op = (uint8_t *)(a->data + n * in->channels);
    int got = swr_convert(swr, &op, (int)(cap - n), &ip, (int)m);
    if (got < 0) {
      rc = avs_ff_seterr(got, NULL, "resampling failed");
      goto fail;
    }
    n += got;
    i += m;
  }
  while (n < cap) { /* drain the filter's tail */
    uint8_t *op = (uint8_t *)(a->data + n * in->channels);
    int got = swr_convert(swr, &op, (int)(cap - n), NULL, 0);
    if (got < 0) {
      rc = avs_ff_seterr(got, NULL, "resampling failed");
      goto fail;
    }
    if (got == 0) break;
    n += got;
  }
  a->frames = n;
  swr_free(&swr);
  av_channel_layout_uninit(&layout);
  *out = a;
  return AVS_OK;
fail:
  swr_free(&swr);
  av_channel_layout_uninit(&layout);
  avs_audio_free(&a);
  return rc;
}
