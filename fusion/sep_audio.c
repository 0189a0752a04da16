/* Separation audio front end (see sep_audio.h). */
#include "fusion/sep_audio.h"

#include <stdlib.h>

#include "audio/logfreq.h"
#include "audio/mask.h"
#include "audio/stft.h"
#include "av/status.h"

struct avs_sep_audio {
  const avs_model *m;
  avs_sep_geometry g;
  avs_stft *stft;
  float *lin_mask, *scratch; /* (bins, time), (bins, time, 2) */
};

int avs_sep_audio_new(const avs_model *m, avs_sep_audio **out) {
  *out = NULL;
  avs_sep_audio *a = calloc(1, sizeof *a);
  if (!a) return avs_seterr(AVS_ENOMEM, "out of memory");
  a->m = m;
  avs_sep_model_geometry(m, &a->g);
  int rc = avs_stft_new(&(avs_stft_cfg){.n_fft = a->g.n_fft, .hop = a->g.hop, .win = a->g.n_fft}, &a->stft);
  size_t n = (size_t)a->g.bins * a->g.time;
  if (!rc && (!(a->lin_mask = malloc(sizeof(float) * n)) || !(a->scratch = malloc(sizeof(float) * n * 2))))
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc && (avs_stft_bins(a->stft) != a->g.bins || avs_stft_frames(a->stft, a->g.samples) != a->g.time))
    rc = avs_seterr(AVS_EINVAL, "%s: STFT %d/%d of %d samples does not give %d x %d", m->arch->name, a->g.n_fft,
                    a->g.hop, a->g.samples, a->g.bins, a->g.time);
  if (rc) avs_sep_audio_free(&a);
  *out = a;
  return rc;
}

void avs_sep_audio_free(avs_sep_audio **ap) {
  avs_sep_audio *a = ap ? *ap : NULL;
  if (!a) return;
  avs_stft_free(&a->stft);
  free(a->lin_mask), free(a->scratch), free(a);
  *ap = NULL;
}

const avs_sep_geometry *avs_sep_audio_geometry(const avs_sep_audio *a) { return &a->g; }

int avs_sep_window_alloc(const avs_sep_audio *a, avs_sep_window *w) {
  size_t n = (size_t)a->g.bins * a->g.time;
  w->spec = malloc(sizeof(float) * n * 2);
  w->mag = malloc(sizeof(float) * n);
  w->logmag = malloc(sizeof(float) * (size_t)a->g.freq * a->g.time);
  if (w->spec && w->mag && w->logmag) return AVS_OK;
  avs_sep_window_release(w);
  return avs_seterr(AVS_ENOMEM, "out of memory");
}

void avs_sep_window_release(avs_sep_window *w) {
  free(w->spec), free(w->mag), free(w->logmag);
  w->spec = w->mag = w->logmag = NULL;
}

int avs_sep_analyze(avs_sep_audio *a, const float *x, avs_sep_window *w) {
  int rc = avs_stft_forward(a->stft, x, a->g.samples, w->spec);
  if (rc) return rc;
  avs_stft_magphase(w->spec, (int64_t)a->g.bins * a->g.time, w->mag, NULL);
  return avs_sep_task_of(a->m->arch)->audio_input(a->m->cfg, w->mag, w->logmag);
}

int avs_sep_magnitude(avs_sep_audio *a, const float *x, float *mag) {
  int rc = avs_stft_forward(a->stft, x, a->g.samples, a->scratch);
  if (!rc) avs_stft_magphase(a->scratch, (int64_t)a->g.bins * a->g.time, mag, NULL);
  return rc;
}

int avs_sep_synthesize(avs_sep_audio *a, const avs_sep_window *w, const float *mask, float *y) {
  avs_logfreq_shape sh = {.n = 1, .in_bins = a->g.freq, .frames = a->g.time, .channels = 1, .out_bins = a->g.bins,
                          .align_corners = true};
  int rc = avs_logfreq_unwarp(&sh, mask, a->lin_mask);
  if (rc) return rc;
  int64_t n = (int64_t)a->g.bins * a->g.time;
  avs_mask_apply(a->lin_mask, w->spec, n, a->scratch);
  return avs_stft_inverse(a->stft, a->scratch, a->g.time, a->g.samples, y);
}
