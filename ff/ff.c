#include "video/ff_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
  if (e == AVERROR(ENOENT)) return AVS_ENOTFOUND;
  if (e == AVERROR(ENOMEM)) return AVS_ENOMEM;
  if (e == AVERROR(EINVAL)) return AVS_EINVAL;
  if (e == AVERROR_INVALIDDATA || e == AVERROR_EOF) return AVS_EFORMAT;
  if (e == AVERROR_DECODER_NOT_FOUND || e == AVERROR_DEMUXER_NOT_FOUND || e == AVERROR_ENCODER_NOT_FOUND ||
      e == AVERROR_MUXER_NOT_FOUND || e == AVERROR_PATCHWELCOME || e == AVERROR(ENOSYS))
    return AVS_EUNSUPPORTED;
  if (e == AVERROR(EIO) || e == AVERROR(EACCES) || e == AVERROR(EISDIR) || e == AVERROR(ENOSPC) ||
      e == AVERROR(EPERM) || e == AVERROR(ENOTDIR) || e == AVERROR(EBUSY) || e == AVERROR(ENODEV))
    return AVS_EIO;
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

double avs_ff_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
