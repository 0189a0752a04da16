/* The separation kind (see separation.h). */
#include "fusion/separation.h"

#include <math.h>
#include <stdlib.h>

#include "audio/logfreq.h"
#include "av/ops.h"
#include "av/status.h"
#include "nn/fold.h"

int avs_sep_model_load(const char *path, const char *want_arch, avs_model **out) {
  return avs_model_load(path, AVS_KIND_SEPARATION, want_arch, NULL, out);
}

void avs_sep_model_geometry(const avs_model *m, avs_sep_geometry *g) {
  avs_sep_task_of(m->arch)->geometry(m->cfg, g);
}

int avs_sep_sop_logmag(int freq, const float *mag, int64_t frames, float *logmag) {
  int64_t n = AVS_SEP_SOP_BINS * frames;
  float *eps = frames > 0 ? malloc(sizeof(float) * (size_t)n) : NULL;
  if (!eps) return frames > 0 ? avs_seterr(AVS_ENOMEM, "out of memory") : avs_seterr(AVS_EINVAL, "no STFT frames");
  for (int64_t i = 0; i < n; i++) eps[i] = mag[i] + 1e-10f;
  avs_logfreq_shape sh = {.n = 1, .in_bins = AVS_SEP_SOP_BINS, .frames = frames, .channels = 1, .out_bins = freq,
                          .align_corners = true};
  int rc = avs_logfreq_warp(&sh, eps, logmag);
  for (int64_t i = 0; !rc && i < freq * frames; i++) logmag[i] = logf(logmag[i]);
  free(eps);
  return rc;
}

void avs_sep_sop_geometry(int freq, int time, int frames, int height, int width, avs_sep_geometry *g) {
  *g = (avs_sep_geometry){.rate = 11025, .n_fft = 2 * AVS_SEP_SOP_BINS - 2, .hop = 256, .samples = 256 * time - 1,
                          .bins = AVS_SEP_SOP_BINS, .time = time, .freq = freq, .channels = 1, .frames = frames,
                          .height = height, .width = width, .norm = "imagenet"};
}

avs_tensor *avs_sep_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *logmag, avs_tensor *crops,
                                  const int *mix_of) {
  return avs_sep_model_forward_prior(ctx, m, logmag, crops, mix_of, NULL);
}

avs_tensor *avs_sep_model_forward_prior(avs_ctx *ctx, const avs_model *m, avs_tensor *logmag, avs_tensor *crops,
                                        const int *mix_of, avs_tensor **prior_weights) {
  if (prior_weights) *prior_weights = NULL;
  if (!logmag || !crops) return NULL;
  const avs_sep_task *t = avs_sep_task_of(m->arch);
  int n = (int)logmag->shape[0], sources = (int)crops->shape[0];
  for (int j = 0; j < sources; j++)
    if (mix_of[j] < 0 || mix_of[j] >= n) {
      avs_seterr(AVS_EINVAL, "source %d belongs to mixture %d of %d", j, mix_of[j], n);
      return NULL;
    }
  struct avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  avs_tensor *y = NULL;
  if (t->forward) {
    y = t->forward(ctx, &m->params, m->cfg, logmag, mix_of, crops, prior_weights);
  } else {
    avs_tensor *feats = avs_rows(ctx, t->audio(ctx, &m->params, m->cfg, logmag), mix_of, sources);
    avs_tensor *vis = t->visual(ctx, &m->params, m->cfg, crops);
    y = feats && vis ? t->masks(ctx, &m->params, m->cfg, feats, vis) : NULL;
  }
  avs_ctx_swap_fold(ctx, prev);
  return y;
}
