/* EZ-VSL, "Localizing Visual Sounds the Easy Way" (Mo & Morgado, ECCV 2022),
 * as its code stoneMo/EZ-VSL (model.py, test.py): multiple-instance
 * contrastive learning — an audio clip matches an image when it matches one
 * location of it — and object-guided localisation at test time
 * (fusion/loc_models.h).
 *
 *   imgnet    ResNet-18                      (N, h, w, 8 width), h = size / 32
 *   img_proj  1x1 conv 8 width -> dim, then L2 over channels
 *   audnet    ResNet-18, 1 channel, max pool (N, 8 audio_width)
 *   aud_proj  linear 8 audio_width -> dim, then L2
 *   S[n, m, l] = <img_n(l), aud_m> / tau; logits[n, m] = max over l
 *   loss = CE(logits, own pair) + CE(logits^T, own pair)
 *   map: normalize(alpha normalize(S[i, i]) + (1 - alpha) normalize(mean_c |imgnet map|)) */
#include <math.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/loc_branches.h"
#include "nn/unit.h"

static const avs_loc_cfg ezvsl_default = {.width = 64, .audio_width = 64, .dim = 512, .size = 224, .rate = 11025,
                                          .samples = 33075, .tau = 0.03f, .eps_pos = 0.65f, .eps_neg = 0.4f,
                                          .temperature = 0.07f, .alpha = 0.4f, .sup_weight = 1.0f};

static const avs_hparam ezvsl_hparams[] = {
    AVS_HP(avs_loc_cfg, width, AVS_HP_INT, "image ResNet-18 width (64: 512 features)"),
    AVS_HP(avs_loc_cfg, audio_width, AVS_HP_INT, "audio ResNet-18 width (64)"),
    AVS_HP(avs_loc_cfg, dim, AVS_HP_INT, "shared embedding size of both projections (512)"),
    AVS_HP(avs_loc_cfg, size, AVS_HP_INT, "image side the frame is resized to (224)"),
    AVS_HP(avs_loc_cfg, rate, AVS_HP_INT, "audio sample rate, Hz (11025)"),
    AVS_HP(avs_loc_cfg, samples, AVS_HP_INT, "audio window centred on the frame, samples (33075: 3 s)"),
    AVS_HP(avs_loc_cfg, tau, AVS_HP_FLOAT, "contrastive temperature (0.03)"),
    AVS_HP(avs_loc_cfg, alpha, AVS_HP_FLOAT, "object-guided map: share of the audio-visual map (0.4; 1: none)"),
};

static avs_conv_spec proj_spec(const avs_loc_cfg *c) {
  return (avs_conv_spec){2, avs_resnet18_features(c->width), c->dim, {1, 1}, {1, 1}, {0, 0}, true, {0}};
}

static int avs_ezvsl_declare(avs_params *p, const avs_loc_cfg *c) {
  int rc = avs_loc_cfg_check(c, "ezvsl");
  avs_resnet18_spec img = avs_loc_image_spec(c, false), aud = avs_loc_audio_spec(c, false);
  avs_conv_spec proj = proj_spec(c);
  if (!rc) rc = avs_resnet18_declare(p, "imgnet.", &img);
  if (!rc) rc = avs_unit_declare_conv(p, "img_proj", &proj);
  if (!rc) rc = avs_resnet18_declare(p, "audnet.", &aud);
  return rc ? rc : avs_unit_declare_linear(p, "aud_proj", avs_resnet18_features(c->audio_width), c->dim);
}

/* The normalised projections (N, h w, dim) and (N, dim); *trunk: imgnet's map (N, h, w, C). */
static void embed(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, avs_tensor *images, avs_tensor *spec,
                  avs_tensor **img, avs_tensor **aud, avs_tensor **trunk) {
  avs_conv_spec proj = proj_spec(c);
  avs_tensor *t = avs_loc_image_map(ctx, p, c, false, images), *x = avs_unit_conv(ctx, p, "img_proj", &proj, t);
  if (x) x = avs_reshape(ctx, x, 3, AVS_SHAPE(x->shape[0], x->shape[1] * x->shape[2], c->dim));
  *img = avs_l2_normalize(ctx, x, 1e-12f);
  *aud = avs_l2_normalize(ctx, avs_unit_linear(ctx, p, "aud_proj", avs_loc_audio_vector(ctx, p, c, false, spec)), 1e-12f);
  if (trunk) *trunk = t;
}

static avs_tensor *ezvsl_heatmap(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images,
                                 avs_tensor *spec) {
  const avs_loc_cfg *c = cfg;
  avs_tensor *img, *aud, *trunk;
  embed(ctx, p, c, images, spec, &img, &aud, &trunk);
  avs_tensor *av = avs_loc_own_pairs(ctx, img, aud);
  if (!av || !trunk) return NULL;
  int64_t n = av->shape[0], l = av->shape[1], ch = trunk->shape[3];
  int side = avs_loc_grid_side(c, false);
  avs_tensor *map = avs_ctx_tensor(ctx, 3, AVS_SHAPE(n, side, side));
  float *obj = avs_ctx_alloc(ctx, sizeof(float) * (size_t)(n * l));
  if (!map || !obj) return NULL;
  const float *td = trunk->data;
  for (int64_t i = 0; i < n * l; i++) {
    double s = 0;
    for (int64_t k = 0; k < ch; k++) s += fabsf(td[i * ch + k]);
    obj[i] = (float)(s / (double)ch);
  }
  float *md = map->data;
  const float *ad = av->data;
  for (int64_t i = 0; i < n * l; i++) md[i] = ad[i];
  avs_loc_normalize_rows(md, n, l);
  avs_loc_normalize_rows(obj, n, l);
  for (int64_t i = 0; i < n * l; i++) md[i] = c->alpha * md[i] + (1 - c->alpha) * obj[i];
  avs_loc_normalize_rows(md, n, l);
  return map;
}

static avs_tensor *ezvsl_loss(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images,
                              avs_tensor *spec, const avs_loc_targets *gt) {
  (void)gt; /* self-supervised */
  const avs_loc_cfg *c = cfg;
  avs_tensor *img, *aud;
  embed(ctx, p, c, images, spec, &img, &aud, NULL);
  avs_tensor *logits = avs_max_last(ctx, avs_scale(ctx, avs_loc_all_pairs(ctx, img, aud), 1.0f / c->tau));
  if (!logits) return NULL;
  int64_t n = logits->shape[0];
  int *labels = avs_ctx_alloc(ctx, sizeof(int) * (size_t)n);
  if (!labels) return NULL;
  for (int64_t i = 0; i < n; i++) labels[i] = (int)i;
  avs_tensor *i2a = avs_cross_entropy(ctx, logits, labels);
  avs_tensor *a2i = avs_cross_entropy(ctx, avs_permute(ctx, logits, (int[]){1, 0}), labels);
  return avs_add(ctx, i2a, a2i);
}

static void ezvsl_grid(const void *cfg, int *h, int *w) { *h = *w = avs_loc_grid_side(cfg, false); }

static void ezvsl_geometry(const void *cfg, avs_loc_geometry *g) { avs_loc_cfg_geometry(cfg, g); }

static const avs_loc_task ezvsl_task = {.geometry = ezvsl_geometry, .heatmap = ezvsl_heatmap, .loss = ezvsl_loss,
                                        .grid = ezvsl_grid};

AVS_ARCH_DECLARE_GLUE(ezvsl, avs_loc_cfg)
const avs_arch avs_arch_ezvsl = {
    .name = "ezvsl",
    .title = "EZ-VSL: max-over-locations contrastive, object-guided map (Mo & Morgado, ECCV 2022)",
    .kind = AVS_KIND_LOCALIZATION, .task = &ezvsl_task,
    AVS_ARCH_FIELDS(ezvsl, avs_loc_cfg, ezvsl_default, ezvsl_hparams)};
