/* Whole-signal separation by overlapping windows (see separate.h). */
#include "fusion/separate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mask.h"
#include "av/ops.h"
#include "av/status.h"

/* The windows are audio/mask.h's chunks (avs_chunk_start) with a hop of half a window. They stay
 * inside the signal: a window reaching past an end would be half silence, which
 * no training window is, and the models separate such a window's sound worse (the shipped sep model
 * on music1000's test split: 13.98 dB SDR with the signal padded by half a window at both ends,
 * 15.69 with its one window inside; docs/BENCHMARK.md). */
int64_t avs_sep_windows(const avs_sep_geometry *g, int64_t n) { return avs_chunk_count(n, g->samples, g->samples / 2); }

int64_t avs_sep_window_start(const avs_sep_geometry *g, int64_t n, int64_t k) {
  return avs_chunk_start(n, g->samples, g->samples / 2, k);
}

int avs_sep_mask_rule_parse(const char *text, bool binary, avs_sep_mask_rule *rule) {
  if (!text || (strcmp(text, "compete") && strcmp(text, "independent")))
    return avs_seterr(AVS_EINVAL, "masks must be compete or independent, not '%s'", text ? text : "");
  *rule = (avs_sep_mask_rule){.binary = binary, .independent = !strcmp(text, "independent")};
  return AVS_OK;
}

void avs_sep_compete_masks(float *masks, int sources, size_t plane) {
  if (sources > 1) avs_compete_rows(masks, sources, (int64_t)plane, NULL);
}

/* Logits (sources x plane) -> masks: sigmoid, competing (unless independent), thresholded when binary. */
static void logits_to_masks(float *x, int sources, size_t plane, avs_sep_mask_rule rule) {
  size_t total = plane * (size_t)sources;
#pragma omp parallel for schedule(static)
  for (size_t e = 0; e < total; e++) x[e] = 1.0f / (1.0f + expf(-x[e]));
  if (!rule.independent) avs_sep_compete_masks(x, sources, plane);
  for (size_t e = 0; rule.binary && e < total; e++) x[e] = (float)(x[e] > 0.5f);
}

/* The model's masks of one window on the linear bins (sources x bins x time). A model whose logits are
 * linear in its prior channels has them taken on the linear bins (avs_sep_linear_logits); the others'
 * masks are made on the warped rows (rows: sources x freq x time) and unwarped. */
static int model_masks(const avs_model *m, avs_sep_audio *fe, avs_ctx *ctx, const avs_sep_job *job, int64_t k,
                       int64_t s0, const avs_sep_window *w, const int *mix_of, float *rows, float *mask) {
  const avs_sep_geometry *g = avs_sep_audio_geometry(fe);
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  avs_ctx_reset(ctx);
  avs_tensor *logmag = avs_sep_window_tensor(ctx, g, w);
  avs_tensor *crops = avs_ctx_tensor(ctx, 5, AVS_SHAPE(job->sources, g->frames, g->height, g->width, 3));
  if (!logmag || !crops) return avs_errcode();
  int rc = job->crops(job->user, k, s0, crops->data);
  if (rc) return rc;
  avs_tensor *weights = NULL;
  avs_tensor *logits = avs_sep_model_forward_prior(ctx, m, logmag, crops, mix_of, &weights);
  if (!logits) return avs_errcode();
  if (!weights) {
    memcpy(rows, logits->data, sizeof(float) * plane * (size_t)job->sources);
    logits_to_masks(rows, job->sources, plane, job->rule);
    return avs_sep_unwarp(fe, rows, job->sources, mask);
  }
  for (int j = 0; j < job->sources; j++)
    if ((rc = avs_sep_linear_logits(fe, w, logits->data + plane * j, weights->data + weights->shape[1] * j,
                                    mask + lin * j)))
      return rc;
  logits_to_masks(mask, job->sources, lin, job->rule);
  return AVS_OK;
}

/* The input's prior channels (a model with them) are computed for a stretch of PRIOR_WINDOWS
 * windows at once: each frame once instead of twice (the windows overlap by half), on every
 * thread, in bounded memory. */
#define PRIOR_WINDOWS 16

/* *pr: the prior of samples [s0, s1) of x (zero outside [0, n)); the previous one freed. */
static int prior_for(avs_sep_audio *fe, const float *x, int64_t n, int64_t s0, int64_t s1, avs_sep_prior **pr) {
  avs_sep_prior_free(pr);
  if (avs_sep_audio_geometry(fe)->channels == 1) return AVS_OK;
  float *stretch = malloc(sizeof(float) * (size_t)(s1 - s0));
  if (!stretch) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int64_t t = s0; t < s1; t++) stretch[t - s0] = t >= 0 && t < n ? x[t] : 0.0f;
  int rc = avs_sep_prior_new(fe, stretch, s1 - s0, pr);
  free(stretch);
  return rc;
}

int avs_sep_separate(const avs_model *m, const float *x, int64_t n, const avs_sep_job *job, float *const *out) {
  if (n < 1 || job->sources < 1) return avs_seterr(AVS_EINVAL, "nothing to separate (%lld samples, %d sources)",
                                                   (long long)n, job->sources);
  avs_sep_audio *fe = NULL;
  int rc = avs_sep_audio_new(m, &fe);
  if (rc) return rc;
  const avs_sep_geometry *g = avs_sep_audio_geometry(fe);
  int64_t L = g->samples, K = avs_sep_windows(g, n), S = job->sources;
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  float *win = malloc(sizeof(float) * (size_t)L), *taper = malloc(sizeof(float) * (size_t)L);
  float *y = malloc(sizeof(float) * (size_t)L), *rows = malloc(sizeof(float) * plane * (size_t)S);
  float *cover = calloc((size_t)n, sizeof(float)); /* the sum of the tapers over each sample */
  float *mask = malloc(sizeof(float) * lin * (size_t)S); /* on the linear bins */
  avs_sep_window w = {0};
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  if (!win || !taper || !y || !rows || !mask || !cover || !ctx)
    rc = ctx ? avs_seterr(AVS_ENOMEM, "out of memory") : avs_errcode();
  if (!rc) rc = avs_sep_window_alloc(fe, &w);
  for (int64_t t = 0; !rc && t < L; t++) {
    double s = sin(M_PI * (t + 0.5) / (double)L);
    taper[t] = (float)(s * s);
  }
  for (int j = 0; !rc && j < S; j++) memset(out[j], 0, sizeof(float) * (size_t)n);
  int *mix_of = calloc((size_t)S, sizeof *mix_of);
  if (!rc && !mix_of) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  avs_sep_prior *prior = NULL;
  int64_t stretch = 0; /* first sample of the prior's stretch */
  for (int64_t k = 0; !rc && k < K; k++) {
    int64_t s0 = avs_sep_window_start(g, n, k);
    if (k % PRIOR_WINDOWS == 0) {
      int64_t last = k + PRIOR_WINDOWS - 1 < K ? k + PRIOR_WINDOWS - 1 : K - 1;
      if ((rc = prior_for(fe, x, n, s0, avs_sep_window_start(g, n, last) + L, &prior))) break;
      stretch = s0;
    }
    for (int64_t t = 0; t < L; t++) win[t] = s0 + t < n ? x[s0 + t] : 0.0f; /* a signal shorter than L */
    if ((rc = avs_sep_analyze_in(fe, win, prior, s0 - stretch, &w))) break;
    if (!job->masks) rc = model_masks(m, fe, ctx, job, k, s0, &w, mix_of, rows, mask);
    else if (!(rc = job->masks(job->user, fe, s0, &w, rows))) rc = avs_sep_unwarp(fe, rows, (int)S, mask);
    for (int j = 0; !rc && j < S; j++) {
      if ((rc = avs_sep_synthesize(fe, &w, mask + lin * j, y))) break;
      for (int64_t t = 0; t < L; t++)
        if (s0 + t < n) out[j][s0 + t] += taper[t] * y[t];
    }
    for (int64_t t = 0; !rc && t < L && s0 + t < n; t++) cover[s0 + t] += taper[t];
    if (job->progress) job->progress(job->progress_user, (int)(k + 1), (int)K);
  }
  /* Every sample lies inside a window, where the taper is positive. */
  for (int j = 0; !rc && j < S; j++)
    for (int64_t t = 0; t < n; t++) out[j][t] /= cover[t];
  avs_sep_prior_free(&prior);
  avs_sep_window_release(&w);
  avs_ctx_free(&ctx);
  avs_sep_audio_free(&fe);
  free(win), free(taper), free(y), free(rows), free(mask), free(cover), free(mix_of);
  return rc;
}

void avs_sep_complete(float *const *tracks, int sources, const float *mix, int64_t n, int block) {
  for (int64_t b0 = 0; b0 < n; b0 += block) {
    int64_t b1 = b0 + block < n ? b0 + block : n;
    double e[64] = {0}, total = 0;
    int S = sources < 64 ? sources : 64;
    for (int j = 0; j < S; j++) {
      for (int64_t t = b0; t < b1; t++) e[j] += (double)tracks[j][t] * tracks[j][t];
      total += e[j];
    }
    for (int64_t t = b0; t < b1; t++) {
      float rest = mix[t];
      for (int j = 0; j < S; j++) rest -= tracks[j][t];
      for (int j = 0; j < S; j++) tracks[j][t] += rest * (float)(total > 0 ? e[j] / total : 1.0 / S);
    }
  }
}
