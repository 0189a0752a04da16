/* FFmpeg's log and error codes, translated once for audio/ and video/. */
#include "ff/ff.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavdevice/avdevice.h>
#include <libavutil/log.h>

#include "av/status.h"

static void ff_log(void *avcl, int level, const char *fmt, va_list ap) {
  (void)avcl;
  if (level > AV_LOG_WARNING || avs_log_get_level() < AVS_LOG_DEBUG) return;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
  if (n) avs_log(AVS_LOG_DEBUG, "ffmpeg: %s", line);
}

static void init_once(void) {
  av_log_set_callback(ff_log);
  avdevice_register_all();
}

void avs_ff_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init_once);
}

int avs_ff_code(int e) {
  switch (e) {
  case AVERROR_INVALIDDATA:
  case AVERROR_EOF: return AVS_EFORMAT;
  case AVERROR_STREAM_NOT_FOUND:
  case AVERROR_HTTP_NOT_FOUND: return AVS_ENOTFOUND;
  case AVERROR_DECODER_NOT_FOUND:
  case AVERROR_DEMUXER_NOT_FOUND:
  case AVERROR_ENCODER_NOT_FOUND:
  case AVERROR_MUXER_NOT_FOUND:
  case AVERROR_PROTOCOL_NOT_FOUND:
  case AVERROR_FILTER_NOT_FOUND:
  case AVERROR_BSF_NOT_FOUND:
  case AVERROR_PATCHWELCOME: return AVS_EUNSUPPORTED;
  case AVERROR_OPTION_NOT_FOUND: return AVS_EINVAL;
  case AVERROR_HTTP_FORBIDDEN:
  case AVERROR_HTTP_UNAUTHORIZED: return AVS_EIO;
  default: break;
  }
  /* AVERROR(errno) is -errno; FFmpeg's own codes are tags far below -4096. */
  if (e < 0 && e > -4096) return avs_errno_code(-e);
  return AVS_EBACKEND;
}

int avs_ff_seterr(int fferr, const char *path, const char *fmt, ...) {
  char what[384], ff[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (av_strerror(fferr, ff, sizeof ff) < 0) snprintf(ff, sizeof ff, "FFmpeg error %d", fferr);
  if (path) return avs_seterr(avs_ff_code(fferr), "%s: %s (%s)", what, ff, path);
  return avs_seterr(avs_ff_code(fferr), "%s: %s", what, ff);
}
