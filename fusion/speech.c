/* The speech kind (see speech.h). */
#include "fusion/speech.h"

#include <math.h>
#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "nn/fold.h"

avs_stft_cfg avs_speech_stft_cfg(void) {
  avs_stft_cfg c = AVS_STFT_SPEECH;
  c.time_major = true;
  return c;
}

void avs_speech_compress(const float *spec, int64_t n, float power, float *out) {
  const float e = 0.5f * (power - 1.0f);
  for (int64_t i = 0; i < n; i++) {
    float re = spec[2 * i], im = spec[2 * i + 1];
    float k = powf(re * re + im * im + AVS_SPEECH_COMPRESS_EPS, e);
    out[2 * i] = re * k, out[2 * i + 1] = im * k;
  }
}

avs_tensor *avs_speech_apply_masks(avs_ctx *ctx, avs_tensor *masks, avs_tensor *spec) {
  if (!masks || !spec) return NULL;
  if (masks->ndim != 5 || spec->ndim != 4 || masks->shape[0] != spec->shape[0] || masks->shape[4] != 2 ||
      memcmp(masks->shape + 2, spec->shape + 1, 3 * sizeof(int64_t))) {
    char a[96], b[96];
    avs_shape_str(masks->ndim, masks->shape, a, sizeof a), avs_shape_str(spec->ndim, spec->shape, b, sizeof b);
    avs_seterr(AVS_ESHAPE, "speech masks %s do not fit the mixture %s: want (N, S, T, F, 2) and (N, T, F, 2)", a, b);
    return NULL;
  }
  int64_t n = spec->shape[0], s = masks->shape[1], t = spec->shape[1], f = spec->shape[2];
  avs_tensor *x = avs_reshape(ctx, spec, 5, AVS_SHAPE(n, 1, t, f, 2));
  if (s > 1) { /* one copy of the mixture per speaker */
    avs_tensor *copies[64];
    if (s > 64) {
      avs_seterr(AVS_EINVAL, "speech masks: %lld speakers, at most 64", (long long)s);
      return NULL;
    }
    for (int64_t i = 0; i < s; i++) copies[i] = x;
    x = avs_concat(ctx, (int)s, copies, 1);
  }
  avs_tensor *mr = avs_slice(ctx, masks, 4, 0, 1, 1), *mi = avs_slice(ctx, masks, 4, 1, 2, 1);
  avs_tensor *xr = avs_slice(ctx, x, 4, 0, 1, 1), *xi = avs_slice(ctx, x, 4, 1, 2, 1);
  avs_tensor *re = avs_sub(ctx, avs_mul(ctx, mr, xr), avs_mul(ctx, mi, xi));
  avs_tensor *im = avs_add(ctx, avs_mul(ctx, mr, xi), avs_mul(ctx, mi, xr));
  return re && im ? avs_concat(ctx, 2, (avs_tensor *[]){re, im}, 4) : NULL;
}

avs_tensor *avs_speech_snr_loss(avs_ctx *ctx, avs_tensor *est, avs_tensor *target, float cap_db) {
  if (!est || !target) return NULL;
  if (est->ndim < 2 || est->ndim != target->ndim || memcmp(est->shape, target->shape, sizeof(int64_t) * est->ndim)) {
    char a[96], b[96];
    avs_shape_str(est->ndim, est->shape, a, sizeof a), avs_shape_str(target->ndim, target->shape, b, sizeof b);
    avs_seterr(AVS_ESHAPE, "SNR loss: estimate %s and target %s must be alike, (N, S, ...)", a, b);
    return NULL;
  }
  int64_t rows = est->shape[0] * est->shape[1], len = est->numel / rows;
  /* the per-row sums as a product with ones; the target's terms are constants */
  avs_tensor *ones = avs_ctx_tensor(ctx, 2, AVS_SHAPE(len, 1)), *floor = avs_ctx_tensor(ctx, 2, AVS_SHAPE(rows, 1));
  if (!ones || !floor) return NULL;
  for (int64_t i = 0; i < len; i++) ones->data[i] = 1;
  const double tau = pow(10, -cap_db / 10), to_db = 10 / log(10);
  double log_energy = 0;
  for (int64_t r = 0; r < rows; r++) {
    double e = 1e-12;
    for (int64_t i = 0; i < len; i++) e += (double)target->data[r * len + i] * target->data[r * len + i];
    floor->data[r] = (float)(tau * e);
    log_energy += log(e);
  }
  avs_tensor *d = avs_sub(ctx, est, target);
  avs_tensor *err = avs_matmul(ctx, avs_reshape(ctx, avs_mul(ctx, d, d), 2, AVS_SHAPE(rows, len)), ones, false, false);
  avs_tensor *mean_log = avs_mean(ctx, avs_ln(ctx, avs_add(ctx, err, floor)));
  return avs_affine(ctx, mean_log, (float)to_db, (float)(-to_db * log_energy / rows));
}

int avs_speech_model_load(const char *path, const char *want_arch, avs_model **out) {
  return avs_model_load(path, AVS_KIND_SPEECH, want_arch, NULL, out);
}

void avs_speech_model_geometry(const avs_model *m, avs_speech_geometry *g) {
  avs_speech_task_of(m->arch)->geometry(m->cfg, g);
}

avs_tensor *avs_speech_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *spec, avs_tensor *mouths,
                                     avs_tensor *faces) {
  struct avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  avs_tensor *y = avs_speech_task_of(m->arch)->forward(ctx, &m->params, m->cfg, spec, mouths, faces);
  avs_ctx_swap_fold(ctx, prev);
  return y;
}
