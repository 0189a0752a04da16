/* NMF class shares (see sep_nmf.h). */
#include "fusion/sep_nmf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/logfreq.h"
#include "audio/nmf.h"
#include "av/status.h"

#define SHARE_EPS 1e-3f

static float share_logit(float v) { return logf((v + SHARE_EPS) / (1.0f - v + SHARE_EPS)); }

/* One chunk: frames [t0, t0 + n) of mag (bins, frames) -> shares (freq, frames, classes) and, when linear is
 * not NULL, linear (classes, bins, frames) at those frames. */
static int shares_chunk(const avs_sep_geometry *g, const float *const *W, int classes, int comps, int iters,
                        const float *mag, int64_t frames, int64_t t0, int n, float *shares, float *linear) {
  size_t lin = (size_t)g->bins * n;
  float *V = malloc(sizeof(float) * lin), *s = malloc(sizeof(float) * lin * (size_t)classes);
  float *warped = malloc(sizeof(float) * (size_t)g->freq * n);
  int rc = V && s && warped ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int f = 0; !rc && f < g->bins; f++) memcpy(V + (size_t)f * n, mag + f * frames + t0, sizeof(float) * n);
  if (!rc) rc = avs_nmf_separate(V, g->bins, n, W, classes, comps, iters, 7, s);
  avs_logfreq_shape sh = {.n = 1, .in_bins = g->bins, .frames = n, .channels = 1, .out_bins = g->freq,
                          .align_corners = true};
  for (int c = 0; !rc && c < classes; c++) {
    if ((rc = avs_logfreq_warp(&sh, s + lin * c, warped))) break;
    for (int r = 0; r < g->freq; r++)
      for (int t = 0; t < n; t++) {
        float v = warped[(size_t)r * n + t];
        shares[((size_t)r * frames + t0 + t) * classes + c] = share_logit(v);
      }
    for (int f = 0; linear && f < g->bins; f++)
      for (int t = 0; t < n; t++)
        linear[((size_t)c * g->bins + f) * frames + t0 + t] = share_logit(s[lin * c + (size_t)f * n + t]);
  }
  free(V), free(s), free(warped);
  return rc;
}

int avs_sep_nmf_count(const avs_sep_geometry *g, int classes, const float *linear, const float *mag, float min_share) {
  size_t lin = (size_t)g->bins * g->time;
  double e[AVS_SEP_NMF_MAX_CLASSES] = {0}, total = 0;
  int count = 0;
  for (int c = 0; c < classes && c < AVS_SEP_NMF_MAX_CLASSES; c++) {
    for (size_t i = 0; i < lin; i++) {
      /* the share back from its logit L = ln((s + eps) / (1 - s + eps)) */
      double x = exp((double)linear[lin * c + i]), s = (x * (1 + SHARE_EPS) - SHARE_EPS) / (1 + x);
      e[c] += s * mag[i] * mag[i];
    }
    total += e[c];
  }
  for (int c = 0; c < classes && c < AVS_SEP_NMF_MAX_CLASSES; c++) count += total > 0 && e[c] >= min_share * total;
  return count || total <= 0 ? count : 1;
}

int avs_sep_nmf_shares(const avs_sep_geometry *g, const float *dict, int classes, int comps, int iters,
                       const float *mag, int64_t frames, float *shares, float *linear) {
  if (classes < 1 || frames < 1 || iters < 1)
    return avs_seterr(AVS_EINVAL, "NMF shares: %d classes, %lld frames, %d updates", classes, (long long)frames,
                      iters);
  const float **W = malloc(sizeof *W * (size_t)classes);
  if (!W) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int c = 0; c < classes; c++) W[c] = dict + (size_t)c * g->bins * comps;
  int64_t chunks = (frames + g->time - 1) / g->time;
  int rc = AVS_OK;
#pragma omp parallel for schedule(dynamic, 1) if (chunks > 1)
  for (int64_t k = 0; k < chunks; k++) {
    int64_t t0 = k * g->time;
    int n = (int)(frames - t0 < g->time ? frames - t0 : g->time);
    int r = shares_chunk(g, W, classes, comps, iters, mag, frames, t0, n, shares, linear);
#pragma omp critical(avs_sep_nmf_shares)
    if (r && !rc) rc = r;
  }
  free(W);
  return rc;
}

int avs_sep_nmf_check(const char *arch, int nmf, int comps, int iters) {
  if (nmf < 0 || nmf > AVS_SEP_NMF_MAX_CLASSES || comps < 1 || comps > 1000 || iters < 1 || iters > 1000)
    return avs_seterr(AVS_EINVAL, "%s: nmf %d must be in 0..%d, nmf_components %d and nmf_iters %d in 1..1000", arch,
                      nmf, AVS_SEP_NMF_MAX_CLASSES, comps, iters);
  return AVS_OK;
}

int avs_sep_nmf_declare(avs_params *p, int nmf, int comps) {
  if (!nmf) return AVS_OK;
  avs_tensor *d = avs_params_add(p, AVS_SEP_NMF_DICTIONARY, 3, AVS_SHAPE(nmf, AVS_SEP_SOP_BINS, comps));
  if (!d) return avs_errcode();
  d->requires_grad = false;
  return AVS_OK;
}

int avs_sep_nmf_prior(const avs_params *p, const avs_sep_geometry *g, const char *arch, int nmf, int comps,
                      int iters, const float *mag, int64_t frames, float *prior, float *linear) {
  const avs_tensor *dict = avs_params_find(p, AVS_SEP_NMF_DICTIONARY);
  if (!nmf || !dict) return avs_seterr(AVS_EINVAL, "%s: no NMF prior (nmf %d)", arch, nmf);
  return avs_sep_nmf_shares(g, dict->data, nmf, comps, iters, mag, frames, prior, linear);
}

/* Appends the active frames of one window's magnitude mag (bins, time) to V (bins, cap), *got so far. */
static void add_frames(const avs_sep_geometry *g, const float *mag, float *V, int cap, int *got) {
  double top = 0;
  for (int t = 0; t < g->time; t++) {
    double e = 0;
    for (int f = 0; f < g->bins; f++) e += (double)mag[f * g->time + t] * mag[f * g->time + t];
    if (e > top) top = e;
  }
  for (int t = 0; t < g->time && *got < cap; t++) {
    double e = 0;
    for (int f = 0; f < g->bins; f++) e += (double)mag[f * g->time + t] * mag[f * g->time + t];
    if (e < 1e-3 * top || e <= 0) continue;
    for (int f = 0; f < g->bins; f++) V[(size_t)f * cap + *got] = mag[f * g->time + t];
    (*got)++;
  }
}

int avs_sep_nmf_learn(const avs_sep_set *s, avs_sep_audio *fe, int classes, int comps, avs_sep_progress_fn progress,
                      void *user, float *dict, int *missing) {
  const avs_sep_geometry *g = &s->g;
  for (int i = 0; i < s->n_obj; i++)
    if (s->obj[i].wave && (s->obj[i].cls < 0 || s->obj[i].cls >= classes))
      return avs_seterr(AVS_EINVAL, "NMF dictionaries: an object of category %d, beyond the model's %d classes (nmf)",
                        s->obj[i].cls, classes);
  const int cap = AVS_SEP_NMF_LEARN_FRAMES;
  float *V = malloc(sizeof(float) * (size_t)g->bins * cap), *mag = malloc(sizeof(float) * (size_t)g->bins * g->time);
  int rc = V && mag ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  *missing = 0;
  for (int c = 0; !rc && c < classes; c++) {
    float *W = dict + (size_t)c * g->bins * comps;
    int got = 0;
    for (int i = 0; !rc && i < s->n_obj && got < cap; i++)
      if (s->obj[i].wave && s->obj[i].cls == c && !(rc = avs_sep_magnitude(fe, s->obj[i].wave, mag)))
        add_frames(g, mag, V, cap, &got);
    if (rc) break;
    if (got < comps) {
      memset(W, 0, sizeof(float) * (size_t)g->bins * comps);
      ++*missing;
    } else {
      /* V (bins, cap) holds `got` columns: compact it to (bins, got) */
      for (int f = 1; got < cap && f < g->bins; f++)
        memmove(V + (size_t)f * got, V + (size_t)f * cap, sizeof(float) * got);
      rc = avs_nmf_learn(V, g->bins, got, comps, AVS_SEP_NMF_LEARN_ITERS, 1000 + (uint64_t)c, W);
    }
    if (progress) progress(user, c + 1, classes);
  }
  free(V), free(mag);
  return rc;
}
