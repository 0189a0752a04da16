/* Sound of Pixels' synthesizer, models/synthesizer_net.py InnerProd: a
 * learned per-channel weighting of the inner product between the visual
 * vector and the sound features at each time-frequency bin,
 *
 *   z[f, t] = sum_k v_k scale_k s[f, t, k] + bias      (forward)
 *   z[y, x, f, t] = sum_k v[y, x, k] scale_k s[f, t, k] + bias   (forward_pixelwise)
 *
 * scale (K) starts at ones, bias (1) at zero, as the reference. */
#include "av/ops.h"
#include "av/status.h"
#include "fusion/sop.h"
#include "nn/unit.h"

int avs_sop_synth_declare(avs_params *p, const avs_sop_cfg *cfg) {
  avs_tensor *scale = avs_params_add(p, "scale", 1, AVS_SHAPE(cfg->channels));
  if (!scale || !avs_params_add(p, "bias", 1, AVS_SHAPE(1))) return avs_errcode();
  for (int k = 0; k < cfg->channels; k++) scale->data[k] = 1.0f;
  return AVS_OK;
}

/* vis (N, P, K) weighted by scale, as one batch of rows. */
static avs_tensor *scaled(avs_ctx *ctx, const avs_params *p, avs_tensor *vis) {
  return avs_mul(ctx, vis, avs_unit_param(p, "scale"));
}

/* feats (N, F, T, K) -> (N, F T, K); NULL with a message unless vis has K channels. */
static avs_tensor *sound_rows(avs_ctx *ctx, const avs_sop_cfg *c, avs_tensor *feats, const avs_tensor *vis) {
  if (!feats || !vis) return NULL;
  if (feats->ndim != 4 || feats->shape[3] != c->channels || vis->shape[vis->ndim - 1] != c->channels ||
      vis->shape[0] != feats->shape[0]) {
    avs_seterr(AVS_ESHAPE, "sop synthesizer: sound features (N, F, T, %d) and visual ones (N, ..., %d) expected",
               c->channels, c->channels);
    return NULL;
  }
  return avs_reshape(ctx, feats, 3, AVS_SHAPE(feats->shape[0], feats->shape[1] * feats->shape[2], c->channels));
}

avs_tensor *avs_sop_synth_forward(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *feats,
                                  avs_tensor *vis) {
  avs_tensor *s = sound_rows(ctx, cfg, feats, vis);
  if (!s) return NULL;
  int64_t n = feats->shape[0];
  avs_tensor *v = avs_reshape(ctx, scaled(ctx, p, vis), 3, AVS_SHAPE(n, cfg->channels, 1));
  avs_tensor *z = avs_add(ctx, avs_matmul(ctx, s, v, false, false), avs_unit_param(p, "bias"));
  return avs_reshape(ctx, z, 3, AVS_SHAPE(n, feats->shape[1], feats->shape[2]));
}

avs_tensor *avs_sop_synth_pixels(avs_ctx *ctx, const avs_params *p, const avs_sop_cfg *cfg, avs_tensor *feats,
                                 avs_tensor *vis) {
  avs_tensor *s = sound_rows(ctx, cfg, feats, vis);
  if (!s) return NULL;
  if (vis->ndim != 4) {
    avs_seterr(AVS_ESHAPE, "sop synthesizer: pixel vectors (N, H, W, K) expected");
    return NULL;
  }
  int64_t n = vis->shape[0], h = vis->shape[1], w = vis->shape[2];
  avs_tensor *v = avs_reshape(ctx, scaled(ctx, p, vis), 3, AVS_SHAPE(n, h * w, cfg->channels));
  avs_tensor *z = avs_add(ctx, avs_matmul(ctx, v, s, false, true), avs_unit_param(p, "bias"));
  return avs_reshape(ctx, z, 5, AVS_SHAPE(n, h, w, feats->shape[1], feats->shape[2]));
}
