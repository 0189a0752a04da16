#include "apps/avloc/soundtrack.h"

#include <stdbool.h>
#include <stdlib.h>

#include "audio/audio_track.h"
#include "av/status.h"

#define CHUNK 4096

struct avloc_sound {
  avs_track *track;
  int rate, channels;
  int64_t written;
  bool eof;
  float *buf; /* CHUNK frames */
};

int avloc_sound_open(const char *path, avloc_sound **out) {
  *out = NULL;
  avloc_sound *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  int rc = avs_track_open(path, NULL, &s->track);
  if (!rc && avs_track_channels(s->track) > 8) {
    avs_track_free(&s->track);
    rc = avs_track_open(path, &(avs_track_opts){.channels = 1}, &s->track);
  }
  if (!rc) {
    s->rate = avs_track_rate(s->track), s->channels = avs_track_channels(s->track);
    if (!(s->buf = malloc(sizeof(float) * CHUNK * (size_t)s->channels))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  }
  if (rc) {
    avloc_sound_free(&s);
    return rc;
  }
  *out = s;
  return 0;
}

void avloc_sound_free(avloc_sound **s) {
  if (!*s) return;
  avs_track_free(&(*s)->track);
  free((*s)->buf);
  free(*s);
  *s = NULL;
}

int avloc_sound_rate(const avloc_sound *s) { return s->rate; }
int avloc_sound_channels(const avloc_sound *s) { return s->channels; }

int avloc_sound_pass(avloc_sound *s, avs_video_writer *w, double until) {
  int64_t target = until < 0 ? INT64_MAX : (int64_t)(until * s->rate);
  while (!s->eof && s->written < target) {
    int64_t want = target - s->written < CHUNK ? target - s->written : CHUNK;
    int64_t n = avs_track_read(s->track, s->buf, want);
    if (n < 0) return (int)n;
    if (!n) {
      s->eof = true;
      break;
    }
    int rc = avs_video_writer_write_audio(w, s->buf, n);
    if (rc) return rc;
    s->written += n;
  }
  return 0;
}
