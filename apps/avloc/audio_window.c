#include "apps/avloc/audio_window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "av/status.h"

#define CHUNK 8192
#define SILENT_PEAK 1e-4f /* -80 dBFS */

struct avloc_audio {
  avs_track *track;   /* NULL: buf is the caller's whole signal */
  int samples;
  float *buf;         /* samples [buf0, buf0 + len) of the track */
  int64_t buf0, len, cap;
  bool eof;
};

int avloc_audio_open(const char *path, int rate, int samples, avloc_audio **out) {
  *out = NULL;
  avloc_audio *a = calloc(1, sizeof *a);
  if (!a) return avs_seterr(AVS_ENOMEM, "out of memory");
  a->samples = samples;
  a->cap = (int64_t)samples + CHUNK;
  a->buf = malloc(sizeof(float) * (size_t)a->cap);
  int rc = a->buf ? 0 : avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc) rc = avs_track_open(path, &(avs_track_opts){.rate = rate, .channels = 1}, &a->track);
  if (rc) {
    avloc_audio_free(&a);
    return rc;
  }
  *out = a;
  return 0;
}

int avloc_audio_memory(const float *x, int64_t n, int samples, avloc_audio **out) {
  avloc_audio *a = calloc(1, sizeof *a);
  *out = a;
  if (!a) return avs_seterr(AVS_ENOMEM, "out of memory");
  a->samples = samples, a->buf = (float *)x, a->len = a->cap = n, a->eof = true;
  return 0;
}

void avloc_audio_free(avloc_audio **a) {
  if (!*a) return;
  if ((*a)->track) {
    avs_track_free(&(*a)->track);
    free((*a)->buf);
  }
  free(*a);
  *a = NULL;
}

/* Drops the samples before keep (all of them when keep is past the buffer). */
static void drop_before(avloc_audio *a, int64_t keep) {
  int64_t d = keep - a->buf0;
  if (d > a->len) d = a->len;
  if (d <= 0) return;
  memmove(a->buf, a->buf + d, sizeof(float) * (size_t)(a->len - d));
  a->buf0 += d, a->len -= d;
}

int avloc_audio_window(avloc_audio *a, int64_t start, float *out, bool *silent) {
  int64_t end = start + a->samples, keep = start > 0 ? start : 0;
  if (a->track) drop_before(a, keep);
  /* Invariant: buf0 < keep only with an empty buffer, so len < samples here
   * and a chunk always fits (cap = samples + CHUNK). */
  while (!a->eof && a->buf0 + a->len < end) {
    int64_t n = avs_track_read(a->track, a->buf + a->len, CHUNK);
    if (n < 0) return (int)n;
    if (!n) a->eof = true;
    a->len += n;
    drop_before(a, keep);
  }
  float peak = 0;
  for (int64_t i = 0; i < a->samples; i++) {
    int64_t s = start + i - a->buf0;
    float v = s >= 0 && s < a->len ? a->buf[s] : 0.0f;
    out[i] = v;
    peak = fmaxf(peak, fabsf(v));
  }
  *silent = peak < SILENT_PEAK;
  return 0;
}
