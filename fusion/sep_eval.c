/* Scoring separation on a set (see sep_eval.h). */
#include "fusion/sep_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/metrics.h"
#include "av/status.h"
#include "fusion/discover.h"
#include "fusion/separate.h"

typedef struct {
  const avs_sep_set *s;
  const int *obj;
  int n;
} crops_job;

/* The set keeps one window's crops per object: every window of the
 * separation sees them (the set's windows are the model's own length). */
static int set_crops(void *user, int64_t k, int64_t s0, float *crops) {
  (void)k, (void)s0;
  const crops_job *j = user;
  const avs_sep_geometry *g = &j->s->g;
  size_t per = (size_t)g->frames * g->height * g->width * 3;
  for (int i = 0; i < j->n; i++) memcpy(crops + per * i, j->s->obj[j->obj[i]].crops, sizeof(float) * per);
  return AVS_OK;
}

static double energy(const float *x, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; i++) e += (double)x[i] * x[i];
  return e;
}

typedef struct {
  const avs_sep_set *s;
  const int *obj;
  int n;
  bool ratio;
} oracle_job;

/* The ideal masks of the window at s0 from the objects' stems. */
static int oracle_masks(void *user, avs_sep_audio *fe, int64_t s0, const avs_sep_window *w, float *masks) {
  const oracle_job *j = user;
  const avs_sep_geometry *g = &j->s->g;
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  float *wave = malloc(sizeof(float) * (size_t)g->samples), *mag = malloc(sizeof(float) * lin);
  float *wmix = malloc(sizeof(float) * plane), *wsrc = malloc(sizeof(float) * plane);
  int rc = wave && mag && wmix && wsrc ? avs_sep_warp(g, w->mag, wmix) : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < j->n; i++) {
    const float *stem = j->s->obj[j->obj[i]].wave;
    for (int64_t t = 0; t < g->samples; t++)
      wave[t] = stem && s0 + t >= 0 && s0 + t < g->samples ? stem[s0 + t] : 0.0f;
    if (!(rc = avs_sep_magnitude(fe, wave, mag)) && !(rc = avs_sep_warp(g, mag, wsrc)))
      avs_sep_ideal_mask(wsrc, wmix, plane, j->ratio, 1.0f, masks + plane * i);
  }
  free(wave), free(mag), free(wmix), free(wsrc);
  return rc;
}

int avs_sep_eval_score(const float *const *ref, float *const *est, const float *mix, int n, int64_t L,
                       avs_sep_eval_result *r) {
  if (n < 1 || n > AVS_SEP_EVAL_MAX) return avs_seterr(AVS_EINVAL, "%d sources to score (1 to %d)", n, AVS_SEP_EVAL_MAX);
  const float *est_c[AVS_SEP_EVAL_MAX];
  for (int i = 0; i < n; i++) {
    /* A silent estimate has no defined SDR in BSS Eval: a faint dither stands for it. */
    if (energy(est[i], L) == 0)
      for (int64_t t = 0; t < L; t++) est[i][t] = (t & 1 ? 1e-7f : -1e-7f);
    est_c[i] = est[i];
    r->si_sdr[i] = avs_metrics_si_sdr(ref[i], est[i], L, true);
  }
  r->n_sounding = n;
  avs_bss_result res[AVS_SEP_EVAL_MAX], mres[1];
  int rc = avs_metrics_bss_eval(ref, est_c, n, L, false, res);
  /* The mixture as every source's estimate, one reference at a time (NSDR). */
  for (int i = 0; !rc && i < n; i++) {
    r->sdr[i] = res[i].sdr, r->sir[i] = res[i].sir, r->sar[i] = res[i].sar;
    if (!(rc = avs_metrics_bss_eval(&ref[i], &mix, 1, L, false, mres))) r->mix_sdr[i] = mres[0].sdr;
  }
  return rc;
}

static int eval_mixture(const avs_model *m, const avs_sep_set *s, const int *clips, int n, avs_sep_mask_rule rule,
                        const oracle_job *oracle, avs_sep_eval_result *r) {
  memset(r, 0, sizeof *r);
  const avs_sep_geometry *g = &s->g;
  int obj[AVS_SEP_EVAL_MAX], n_obj = 0;
  for (int k = 0; k < n; k++)
    for (int q = 0; q < s->count[clips[k]]; q++) {
      if (n_obj == AVS_SEP_EVAL_MAX) return avs_seterr(AVS_EINVAL, "more than %d objects in a mixture", AVS_SEP_EVAL_MAX);
      obj[n_obj++] = s->first[clips[k]] + q;
    }
  int64_t L = g->samples;
  float *mix = calloc((size_t)L, sizeof *mix), *tracks[AVS_SEP_EVAL_MAX] = {0};
  int rc = mix ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < n_obj; i++) {
    const float *w = s->obj[obj[i]].wave;
    for (int64_t t = 0; w && t < L; t++) mix[t] += w[t];
    if (!(tracks[i] = malloc(sizeof(float) * (size_t)L))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  }
  crops_job cj = {s, obj, n_obj};
  oracle_job oj = {s, obj, n_obj, oracle && oracle->ratio};
  avs_sep_job job = {.sources = n_obj, .crops = set_crops, .user = &cj, .rule = rule};
  if (oracle) job.masks = oracle_masks, job.user = &oj;
  if (!rc) rc = avs_sep_separate(m, mix, L, &job, tracks);
  const float *ref[AVS_SEP_EVAL_MAX];
  float *est[AVS_SEP_EVAL_MAX];
  int sounding[AVS_SEP_EVAL_MAX], n_sounding = 0;
  double mix_e = mix ? energy(mix, L) : 0;
  for (int i = 0; !rc && i < n_obj; i++) {
    const avs_sep_object *o = &s->obj[obj[i]];
    if (o->wave && energy(o->wave, L) > 0) {
      sounding[n_sounding] = obj[i], ref[n_sounding] = o->wave, est[n_sounding++] = tracks[i];
    } else {
      r->silent_obj[r->n_silent] = obj[i];
      r->silent_db[r->n_silent++] = 10 * log10((energy(tracks[i], L) + 1e-20) / (mix_e + 1e-20));
    }
  }
  if (!rc && !n_sounding) rc = avs_seterr(AVS_EINVAL, "the mixture has no sounding object");
  if (!rc) rc = avs_sep_eval_score(ref, est, mix, n_sounding, L, r);
  for (int i = 0; !rc && i < n_sounding; i++) r->obj[i] = sounding[i];
  for (int i = 0; i < n_obj; i++) free(tracks[i]);
  free(mix);
  return rc;
}

int avs_sep_eval_mixture(const avs_model *m, const avs_sep_set *s, const int *clips, int n, avs_sep_mask_rule rule,
                         avs_sep_eval_result *r) {
  return eval_mixture(m, s, clips, n, rule, NULL, r);
}

int avs_sep_eval_oracle(const avs_model *m, const avs_sep_set *s, const int *clips, int n, bool ratio,
                        avs_sep_eval_result *r) {
  return eval_mixture(m, s, clips, n, (avs_sep_mask_rule){0}, &(oracle_job){.ratio = ratio}, r);
}

/* ---- discovered: no boxes, as avsep separate finds the sources ---- */

typedef struct {
  const float *crops; /* sources x frames x height x width x 3 */
  size_t bytes;
} found_crops;

static int copy_found_crops(void *user, int64_t k, int64_t s0, float *crops) {
  (void)k, (void)s0;
  const found_crops *f = user;
  memcpy(crops, f->crops, f->bytes);
  return AVS_OK;
}

/* The frames of clip c's window, discovered regions (exactly `want`), their
 * crops and the separated tracks. */
static int discover_and_separate(const avs_model *m, const avs_sep_set *s, int c, const float *mix, int want,
                                 avs_sep_mask_rule rule, int *found, int *n_est, float **tracks) {
  const avs_sep_geometry *g = &s->g;
  if (g->frames > AVS_DISCOVER_MAX_FRAMES) return avs_seterr(AVS_EINVAL, "too many frames per window");
  double times[AVS_DISCOVER_MAX_FRAMES];
  avs_image frames[AVS_DISCOVER_MAX_FRAMES] = {0};
  avs_sep_frame_times(g, avs_sep_set_window_start(s, c), times);
  int rc = avs_image_frames_at(s->mf->clips[c].video, times, g->frames, frames);
  avs_discover_result free_count, forced;
  if (!rc) rc = avs_sep_discover(m, mix, frames, &(avs_discover_opts){0}, &free_count);
  if (!rc) rc = avs_sep_discover(m, mix, frames, &(avs_discover_opts){.sources = want}, &forced);
  size_t per = (size_t)g->frames * g->height * g->width * 3;
  float *crops = rc ? NULL : malloc(sizeof(float) * per * (size_t)(forced.n ? forced.n : 1));
  if (!rc && !crops) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < forced.n; i++) {
    float boxes[AVS_DISCOVER_MAX_FRAMES][4];
    for (int f = 0; f < g->frames; f++) memcpy(boxes[f], forced.src[i].box, sizeof boxes[f]);
    rc = avs_sep_crop_boxes(g, frames, (const float(*)[4])boxes, crops + per * i);
  }
  if (!rc && forced.n > 0) {
    found_crops fc = {crops, sizeof(float) * per * (size_t)forced.n};
    rc = avs_sep_separate(m, mix, g->samples, &(avs_sep_job){.sources = forced.n, .crops = copy_found_crops, .user = &fc,
                                                          .rule = rule},
                          tracks);
  }
  if (!rc) *found = free_count.n, *n_est = forced.n;
  free(crops);
  for (int f = 0; f < g->frames; f++) avs_image_release(&frames[f]);
  return rc;
}

int avs_sep_eval_discovered(const avs_model *m, const avs_sep_set *s, int clip, avs_sep_mask_rule rule,
                            avs_sep_eval_result *r) {
  memset(r, 0, sizeof *r);
  const avs_sep_geometry *g = &s->g;
  int64_t L = g->samples;
  const float *ref[AVS_SEP_EVAL_MAX], *est[AVS_SEP_EVAL_MAX], *mixes[AVS_SEP_EVAL_MAX];
  for (int q = 0; q < s->count[clip] && r->n_sounding < AVS_SEP_EVAL_MAX; q++) {
    const avs_sep_object *o = &s->obj[s->first[clip] + q];
    if (o->wave && energy(o->wave, L) > 0) r->obj[r->n_sounding] = s->first[clip] + q, ref[r->n_sounding++] = o->wave;
  }
  if (!r->n_sounding) return avs_seterr(AVS_EINVAL, "the clip has no sounding object");
  float *mix = calloc((size_t)L, sizeof *mix), *tracks[AVS_SEP_EVAL_MAX] = {0};
  int rc = mix ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < r->n_sounding; i++)
    for (int64_t t = 0; t < L; t++) mix[t] += ref[i][t];
  for (int i = 0; !rc && i < r->n_sounding; i++)
    if (!(tracks[i] = calloc((size_t)L, sizeof(float)))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc) rc = discover_and_separate(m, s, clip, mix, r->n_sounding, rule, &r->found, &r->n_est, tracks);
  /* Fewer regions than sources: the missing estimates are silence (a faint dither, as above). */
  for (int i = 0; !rc && i < r->n_sounding; i++) {
    if (energy(tracks[i], L) == 0)
      for (int64_t t = 0; t < L; t++) tracks[i][t] = (t & 1 ? 1e-7f : -1e-7f);
    est[i] = tracks[i], mixes[i] = mix;
  }
  avs_bss_result res[AVS_SEP_EVAL_MAX], mres[AVS_SEP_EVAL_MAX];
  if (!rc) rc = avs_metrics_bss_eval(ref, est, r->n_sounding, L, true, res);
  for (int i = 0; !rc && i < r->n_sounding; i++) {
    r->sdr[i] = res[i].sdr, r->sir[i] = res[i].sir, r->sar[i] = res[i].sar;
    r->si_sdr[i] = avs_metrics_si_sdr(ref[i], est[res[i].est], L, true);
    if (!(rc = avs_metrics_bss_eval(&ref[i], &mixes[i], 1, L, false, mres))) r->mix_sdr[i] = mres[0].sdr;
  }
  for (int i = 0; i < r->n_sounding; i++) free(tracks[i]);
  free(mix);
  return rc;
}
