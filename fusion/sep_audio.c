/* Separation audio front end (see sep_audio.h). */
#include "fusion/sep_audio.h"

#include <stdlib.h>
#include <string.h>

#include "audio/logfreq.h"
#include "audio/mask.h"
#include "audio/stft.h"
#include "av/status.h"

struct avs_sep_audio {
  const avs_model *m;
  avs_sep_geometry g;
  avs_stft *stft;
  float *scratch;        /* (bins, time, 2) */
  float *logmag, *prior; /* (freq, time), (freq, time, channels - 1): the input's parts */
  float *plane;          /* (freq, time) */
};

struct avs_sep_prior {
  int64_t frames;
  float *data;   /* (freq, frames, channels - 1) */
  float *linear; /* (channels - 1, bins, frames) */
};

int avs_sep_audio_new(const avs_model *m, avs_sep_audio **out) {
  *out = NULL;
  avs_sep_audio *a = calloc(1, sizeof *a);
  if (!a) return avs_seterr(AVS_ENOMEM, "out of memory");
  a->m = m;
  avs_sep_model_geometry(m, &a->g);
  int rc = avs_stft_new(&(avs_stft_cfg){.n_fft = a->g.n_fft, .hop = a->g.hop, .win = a->g.n_fft}, &a->stft);
  size_t n = (size_t)a->g.bins * a->g.time;
  size_t plane = (size_t)a->g.freq * a->g.time;
  if (!rc && (!(a->scratch = malloc(sizeof(float) * n * 2)) ||
              !(a->logmag = malloc(sizeof(float) * plane)) || !(a->plane = malloc(sizeof(float) * plane)) ||
              !(a->prior = malloc(sizeof(float) * plane * (size_t)(a->g.channels > 1 ? a->g.channels - 1 : 1)))))
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
  free(a->scratch), free(a->logmag), free(a->prior), free(a->plane), free(a);
  *ap = NULL;
}

const avs_sep_geometry *avs_sep_audio_geometry(const avs_sep_audio *a) { return &a->g; }

int avs_sep_window_alloc(const avs_sep_audio *a, avs_sep_window *w) {
  size_t n = (size_t)a->g.bins * a->g.time;
  w->spec = malloc(sizeof(float) * n * 2);
  w->mag = malloc(sizeof(float) * n);
  w->input = malloc(sizeof(float) * (size_t)a->g.freq * a->g.time * a->g.channels);
  w->linear = a->g.channels > 1 ? malloc(sizeof(float) * n * (a->g.channels - 1)) : NULL;
  if (w->spec && w->mag && w->input && (w->linear || a->g.channels == 1)) return AVS_OK;
  avs_sep_window_release(w);
  return avs_seterr(AVS_ENOMEM, "out of memory");
}

void avs_sep_window_release(avs_sep_window *w) {
  free(w->spec), free(w->mag), free(w->input), free(w->linear);
  w->spec = w->mag = w->input = w->linear = NULL;
}

int avs_sep_analyze(avs_sep_audio *a, const float *x, avs_sep_window *w) {
  return avs_sep_analyze_in(a, x, NULL, 0, w);
}

static int64_t clamp_frame(int64_t i, int64_t frames) { return i < 0 ? 0 : i >= frames ? frames - 1 : i; }

/* The window's prior channels from prior (freq, frames, channels - 1) and linear (channels - 1, bins,
 * frames), window frame t being frame first + t there (the nearest one past either end). */
static void take_prior(avs_sep_audio *a, const float *prior, const float *linear, int64_t frames, int64_t first,
                       avs_sep_window *w) {
  const avs_sep_geometry *g = &a->g;
  int ch = g->channels, np = ch - 1;
  for (int r = 0; r < g->freq; r++)
    for (int t = 0; t < g->time; t++) {
      size_t e = (size_t)r * g->time + t;
      w->input[e * ch] = a->logmag[e];
      memcpy(w->input + e * ch + 1, prior + ((size_t)r * frames + clamp_frame(first + t, frames)) * np,
             sizeof(float) * np);
    }
  /* window frames [t0, t1) lie inside the stretch: one copy per row; the ends repeat its edge frames */
  int64_t t0 = first < 0 ? -first : 0, t1 = frames - first < g->time ? frames - first : g->time;
  t1 = t1 < t0 ? t0 : t1;
  for (int64_t row = 0; linear && row < (int64_t)np * g->bins; row++) {
    float *to = w->linear + row * g->time;
    const float *from = linear + row * frames;
    for (int64_t t = 0; t < t0; t++) to[t] = from[clamp_frame(first + t, frames)];
    if (t1 > t0) memcpy(to + t0, from + first + t0, sizeof(float) * (size_t)(t1 - t0));
    for (int64_t t = t1; t < g->time; t++) to[t] = from[clamp_frame(first + t, frames)];
  }
}

int avs_sep_analyze_in(avs_sep_audio *a, const float *x, const avs_sep_prior *pr, int64_t offset, avs_sep_window *w) {
  const avs_sep_geometry *g = &a->g;
  const avs_sep_task *task = avs_sep_task_of(a->m->arch);
  int rc = avs_stft_forward(a->stft, x, g->samples, w->spec);
  if (rc) return rc;
  avs_stft_magphase(w->spec, (int64_t)g->bins * g->time, w->mag, NULL);
  if (g->channels == 1) return task->audio_input(a->m->cfg, w->mag, w->input);
  if ((rc = task->audio_input(a->m->cfg, w->mag, a->logmag))) return rc;
  if (!pr) {
    if ((rc = task->audio_prior(&a->m->params, a->m->cfg, w->mag, g->time, a->prior, w->linear))) return rc;
    take_prior(a, a->prior, NULL, g->time, 0, w); /* w->linear is the window's already */
  } else /* frame t of the window is centred at sample offset + hop t of pr's stretch: its nearest frame there */
    take_prior(a, pr->data, pr->linear, pr->frames, (2 * offset + g->hop) / (2 * g->hop), w);
  return AVS_OK;
}

int avs_sep_prior_new(avs_sep_audio *a, const float *x, int64_t n, avs_sep_prior **out) {
  *out = NULL;
  const avs_sep_geometry *g = &a->g;
  if (g->channels == 1) return AVS_OK;
  avs_sep_prior *pr = calloc(1, sizeof *pr);
  if (!pr) return avs_seterr(AVS_ENOMEM, "out of memory");
  pr->frames = avs_stft_frames(a->stft, n);
  size_t lin = (size_t)g->bins * pr->frames;
  float *spec = malloc(sizeof(float) * lin * 2), *mag = malloc(sizeof(float) * lin);
  pr->data = malloc(sizeof(float) * (size_t)g->freq * pr->frames * (g->channels - 1));
  pr->linear = malloc(sizeof(float) * lin * (g->channels - 1));
  int rc = spec && mag && pr->data && pr->linear ? avs_stft_forward(a->stft, x, n, spec)
                                                 : avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc) {
    avs_stft_magphase(spec, (int64_t)lin, mag, NULL);
    rc = avs_sep_task_of(a->m->arch)->audio_prior(&a->m->params, a->m->cfg, mag, pr->frames, pr->data, pr->linear);
  }
  free(spec), free(mag);
  if (rc) avs_sep_prior_free(&pr);
  *out = pr;
  return rc;
}

void avs_sep_prior_free(avs_sep_prior **pr) {
  if (!pr || !*pr) return;
  free((*pr)->data), free((*pr)->linear), free(*pr);
  *pr = NULL;
}

int avs_sep_analyze_batch(const avs_sep_audio *a, const float *x, int n, float *mags, float *inputs) {
  const avs_sep_geometry *g = &a->g;
  size_t lin = (size_t)g->bins * g->time, in = (size_t)g->freq * g->time * g->channels;
  int rc = AVS_OK;
#pragma omp parallel
  {
    avs_sep_audio *mine = NULL;
    avs_sep_window w = {0};
    int my_rc = avs_sep_audio_new(a->m, &mine);
    if (!my_rc) my_rc = avs_sep_window_alloc(mine, &w);
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
      if (my_rc || (my_rc = avs_sep_analyze(mine, x + (size_t)g->samples * i, &w))) continue;
      memcpy(inputs + in * i, w.input, sizeof(float) * in);
      if (mags) memcpy(mags + lin * i, w.mag, sizeof(float) * lin);
    }
    avs_sep_window_release(&w);
    avs_sep_audio_free(&mine);
#pragma omp critical(avs_sep_analyze_batch)
    if (my_rc && !rc) rc = my_rc;
  }
  return rc;
}

avs_tensor *avs_sep_window_tensor(avs_ctx *ctx, const avs_sep_geometry *g, const avs_sep_window *w) {
  avs_tensor *t = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, g->freq, g->time, g->channels));
  if (t) memcpy(t->data, w->input, sizeof(float) * (size_t)t->numel);
  return t;
}

int avs_sep_magnitude(avs_sep_audio *a, const float *x, float *mag) {
  int rc = avs_stft_forward(a->stft, x, a->g.samples, a->scratch);
  if (!rc) avs_stft_magphase(a->scratch, (int64_t)a->g.bins * a->g.time, mag, NULL);
  return rc;
}

int avs_sep_unwarp(const avs_sep_audio *a, const float *rows, int n, float *linear) {
  avs_logfreq_shape sh = {.n = n, .in_bins = a->g.freq, .frames = a->g.time, .channels = 1, .out_bins = a->g.bins,
                          .align_corners = true};
  return avs_logfreq_unwarp(&sh, rows, linear);
}

int avs_sep_linear_logits(avs_sep_audio *a, const avs_sep_window *w, const float *logits, const float *weights,
                          float *out) {
  const avs_sep_geometry *g = &a->g;
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  if (g->channels == 1 || !w->linear) return avs_seterr(AVS_EINVAL, "%s has no prior channels", a->m->arch->name);
  /* The unwarp is linear: one of (logits - sum_c weights_c prior_c) instead of one per channel. */
  const int P = g->channels - 1;
  for (size_t e = 0; e < plane; e++) {
    const float *prior = w->input + e * g->channels + 1;
    float v = logits[e];
    for (int c = 0; c < P; c++) v -= weights[c] * prior[c];
    a->plane[e] = v;
  }
  int rc = avs_sep_unwarp(a, a->plane, 1, out);
  if (rc) return rc;
#pragma omp parallel for schedule(static)
  for (size_t e = 0; e < lin; e++) {
    float v = out[e];
    for (int c = 0; c < P; c++) v += weights[c] * w->linear[lin * c + e];
    out[e] = v;
  }
  return AVS_OK;
}

int avs_sep_synthesize(avs_sep_audio *a, const avs_sep_window *w, const float *mask, float *y) {
  avs_mask_apply(mask, w->spec, (int64_t)a->g.bins * a->g.time, a->scratch);
  return avs_stft_inverse(a->stft, a->scratch, a->g.time, a->g.samples, y);
}
