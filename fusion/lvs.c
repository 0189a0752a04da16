/* LVS, "Localizing Visual Sounds the Hard Way" (Chen et al., CVPR 2021), as
 * its code hche11/Localizing-Visual-Sounds-the-Hard-Way (model.py): the
 * cosine map of the image's features with its audio, trained contrastively
 * with the own image's background as a hard negative (fusion/loc_models.h).
 *
 *   imgnet   ResNet-18, layer4 stride 1       (N, h, w, 8 width), h = size / 16
 *   audnet   ResNet-18, 1 channel, max pool   (N, 8 audio_width)
 *   both L2-normalised; A = cosine map (N, h w); A0 every image x audio (N, N, h w)
 *   Pos = sigmoid((A - eps_pos) / tau)          the sounding region, soft
 *   Neg = 1 - sigmoid((A - eps_neg) / tau)      the background (tri-map: between both: neither)
 *   logits = [mean_Pos A, mean_Pos_all A0 (own pair x -99), mean_Neg A] / temperature
 *   loss = cross-entropy towards the first (own sounding region) */
#include "av/ops.h"
#include "av/status.h"
#include "fusion/loc_branches.h"

static const avs_loc_cfg lvs_default = {.width = 64, .audio_width = 64, .dim = 512, .size = 224, .rate = 11025,
                                        .samples = 33075, .tau = 0.03f, .eps_pos = 0.65f, .eps_neg = 0.4f,
                                        .temperature = 0.07f, .alpha = 0.4f, .sup_weight = 1.0f};

static const avs_hparam lvs_hparams[] = {
    AVS_HP(avs_loc_cfg, width, AVS_HP_INT, "image ResNet-18 width (64: 512 features)"),
    AVS_HP(avs_loc_cfg, audio_width, AVS_HP_INT, "audio ResNet-18 width (64; must equal width)"),
    AVS_HP(avs_loc_cfg, size, AVS_HP_INT, "image side the frame is resized to (224)"),
    AVS_HP(avs_loc_cfg, rate, AVS_HP_INT, "audio sample rate, Hz (11025)"),
    AVS_HP(avs_loc_cfg, samples, AVS_HP_INT, "audio window centred on the frame, samples (33075: 3 s)"),
    AVS_HP(avs_loc_cfg, tau, AVS_HP_FLOAT, "tri-map sharpness (0.03)"),
    AVS_HP(avs_loc_cfg, eps_pos, AVS_HP_FLOAT, "tri-map: cosine above which a location is sounding (0.65)"),
    AVS_HP(avs_loc_cfg, eps_neg, AVS_HP_FLOAT, "tri-map: cosine below which a location is background (0.4)"),
    AVS_HP(avs_loc_cfg, temperature, AVS_HP_FLOAT, "contrastive temperature (0.07)"),
};

static int lvs_check(const avs_loc_cfg *c) {
  int rc = avs_loc_cfg_check(c, "lvs");
  if (!rc && c->width != c->audio_width)
    return avs_seterr(AVS_EINVAL, "lvs: width %d and audio_width %d must be equal (the cosine compares them)",
                      c->width, c->audio_width);
  return rc;
}

static int avs_lvs_declare(avs_params *p, const avs_loc_cfg *c) {
  int rc = lvs_check(c);
  avs_resnet18_spec img = avs_loc_image_spec(c, true), aud = avs_loc_audio_spec(c, true);
  if (!rc) rc = avs_resnet18_declare(p, "imgnet.", &img);
  return rc ? rc : avs_resnet18_declare(p, "audnet.", &aud);
}

/* The normalised image map (N, h w, C) and audio vector (N, C). */
static void embed(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, avs_tensor *images, avs_tensor *spec,
                  avs_tensor **img, avs_tensor **aud) {
  avs_tensor *x = avs_loc_image_map(ctx, p, c, true, images);
  if (x) x = avs_reshape(ctx, x, 3, AVS_SHAPE(x->shape[0], x->shape[1] * x->shape[2], x->shape[3]));
  *img = avs_l2_normalize(ctx, x, 1e-12f);
  *aud = avs_l2_normalize(ctx, avs_loc_audio_vector(ctx, p, c, true, spec), 1e-12f);
}

static avs_tensor *lvs_heatmap(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images,
                               avs_tensor *spec) {
  const avs_loc_cfg *c = cfg;
  avs_tensor *img, *aud;
  embed(ctx, p, c, images, spec, &img, &aud);
  avs_tensor *a = avs_loc_own_pairs(ctx, img, aud);
  int side = avs_loc_grid_side(c, true);
  return a ? avs_reshape(ctx, a, 3, AVS_SHAPE(a->shape[0], side, side)) : NULL;
}

static avs_tensor *lvs_loss(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images, avs_tensor *spec,
                            const avs_loc_targets *gt) {
  (void)gt; /* self-supervised */
  const avs_loc_cfg *c = cfg;
  avs_tensor *img, *aud;
  embed(ctx, p, c, images, spec, &img, &aud);
  avs_tensor *a = avs_loc_own_pairs(ctx, img, aud), *a0 = avs_loc_all_pairs(ctx, img, aud);
  if (!a || !a0) return NULL;
  int64_t n = a->shape[0];
  float k = 1.0f / c->tau;
  avs_tensor *pos = avs_sigmoid(ctx, avs_affine(ctx, a, k, -c->eps_pos * k));
  avs_tensor *neg = avs_sigmoid(ctx, avs_affine(ctx, a, -k, c->eps_neg * k)); /* 1 - sigmoid(x) = sigmoid(-x) */
  avs_tensor *pos_all = avs_sigmoid(ctx, avs_affine(ctx, a0, k, -c->eps_pos * k));
  avs_tensor *sim1 = avs_weighted_mean(ctx, a, pos), *sim2 = avs_weighted_mean(ctx, a, neg);
  avs_tensor *sim = avs_weighted_mean(ctx, a0, pos_all);
  /* the reference multiplies the own pair's easy-negative term by 1 - 100 */
  avs_tensor *mask = avs_ctx_tensor(ctx, 2, AVS_SHAPE(n, n));
  if (!mask || !sim1 || !sim2 || !sim) return NULL;
  float *md = mask->data;
  for (int64_t i = 0; i < n * n; i++) md[i] = i % (n + 1) ? 1.0f : -99.0f;
  sim = avs_mul(ctx, sim, mask);
  avs_tensor *parts[3] = {avs_reshape(ctx, sim1, 2, AVS_SHAPE(n, 1)), sim, avs_reshape(ctx, sim2, 2, AVS_SHAPE(n, 1))};
  avs_tensor *logits = avs_scale(ctx, avs_concat(ctx, 3, parts, 1), 1.0f / c->temperature);
  int *labels = avs_ctx_alloc(ctx, sizeof(int) * (size_t)n);
  if (!labels) return NULL;
  for (int64_t i = 0; i < n; i++) labels[i] = 0;
  return avs_cross_entropy(ctx, logits, labels);
}

static void lvs_grid(const void *cfg, int *h, int *w) { *h = *w = avs_loc_grid_side(cfg, true); }

static void lvs_geometry(const void *cfg, avs_loc_geometry *g) { avs_loc_cfg_geometry(cfg, g); }

static const avs_loc_task lvs_task = {.geometry = lvs_geometry, .heatmap = lvs_heatmap, .loss = lvs_loss,
                                      .grid = lvs_grid};

AVS_ARCH_DECLARE_GLUE(lvs, avs_loc_cfg)
const avs_arch avs_arch_lvs = {
    .name = "lvs", .title = "LVS: cosine map, contrastive with hard negatives from the own image (Chen et al., CVPR 2021)",
    .kind = AVS_KIND_LOCALIZATION, .task = &lvs_task,
    AVS_ARCH_FIELDS(lvs, avs_loc_cfg, lvs_default, lvs_hparams)};
