#include "apps/common/verbose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apps/common/cli.h"
#include "av/threads.h"

void app_verbose_line(const char *fmt, ...) {
  if (!app_verbose()) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", app_name());
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void app_verbose_backend(void) {
  static bool shown;
  if (!app_verbose() || shown) return;
  shown = true;
  char buf[256];
  app_verbose_line("compute: %s", avs_backend_describe(buf, sizeof buf));
}

/* Appends printf-style text to buf (len bytes used of size), truncating. */
static size_t append(char *buf, size_t len, size_t size, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t len, size_t size, const char *fmt, ...) {
  if (len >= size) return len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + len, size - len, fmt, ap);
  va_end(ap);
  return n < 0 ? len : len + (size_t)n;
}

void app_verbose_model(const avs_model *m, const char *path) {
  if (!app_verbose()) return;
  char line[1024], value[64];
  size_t n = append(line, 0, sizeof line, "%s (%s), %lld parameters", m->arch->name, m->arch->title,
                    (long long)avs_params_numel(&m->params));
  for (int i = 0; i < m->arch->n_hparams; i++) {
    const char *key = m->arch->hparams[i].key;
    if (!avs_cfg_get(m->arch, m->cfg, key, value, sizeof value))
      n = append(line, n, sizeof line, "%s%s=%s", i ? "," : ", ", key, value);
  }
  app_verbose_line("model %s: %s", path ? path : "(built in)", line);
  app_verbose_backend();
}

void app_verbose_video(const char *path, const avs_video_info *in) {
  if (!app_verbose()) return;
  char line[1024];
  size_t n = append(line, 0, sizeof line, "%s, %.3g s", in->format, in->duration);
  for (int i = 0; i < in->n_streams && i < AVS_VIDEO_MAX_STREAMS; i++) {
    const avs_stream_info *s = &in->streams[i];
    n = append(line, n, sizeof line, "; #%d %s %s", s->index, s->type, s->codec);
    if (!strcmp(s->type, "video")) n = append(line, n, sizeof line, " %dx%d %.3g fps", s->width, s->height, s->fps);
    if (!strcmp(s->type, "audio")) n = append(line, n, sizeof line, " %d Hz %d ch", s->sample_rate, s->channels);
  }
  app_verbose_line("opened %s: %s", path, line);
}
