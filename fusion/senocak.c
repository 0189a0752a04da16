/* Senocak et al., "Learning to Localize Sound Source in Visual Scenes" (CVPR
 * 2018), as its PyTorch re-implementation (network.py, losses.py): an audio
 * embedding attends over the image's locations; the attended visual vector
 * must land nearer to its own audio than to another clip's (unsupervised),
 * and where boxes are known the attention must fall on them (supervised).
 * The paper's frozen VGG-16 and SoundNet features become trained ResNet-18
 * branches (fusion/loc_models.h says why and how). */
#include <stdbool.h>
#include <string.h>

#include "av/ops.h"
#include "av/status.h"
#include "fusion/loc_branches.h"
#include "nn/unit.h"

static const avs_loc_cfg senocak_default = {.width = 64, .audio_width = 64, .dim = 512, .size = 224, .rate = 11025,
                                            .samples = 33075, .tau = 0.03f, .eps_pos = 0.65f, .eps_neg = 0.4f,
                                            .temperature = 0.07f, .alpha = 0.4f, .sup_weight = 1.0f};

static const avs_hparam senocak_hparams[] = {
    AVS_HP(avs_loc_cfg, width, AVS_HP_INT, "image ResNet-18 width (64: 512 features)"),
    AVS_HP(avs_loc_cfg, audio_width, AVS_HP_INT, "audio ResNet-18 width (64)"),
    AVS_HP(avs_loc_cfg, size, AVS_HP_INT, "image side the frame is resized to (224)"),
    AVS_HP(avs_loc_cfg, rate, AVS_HP_INT, "audio sample rate, Hz (11025)"),
    AVS_HP(avs_loc_cfg, samples, AVS_HP_INT, "audio window centred on the frame, samples (33075: 3 s)"),
    AVS_HP(avs_loc_cfg, sup_weight, AVS_HP_FLOAT, "weight of the supervised attention term where boxes exist (1)"),
    AVS_HP(avs_loc_cfg, silent_weight, AVS_HP_FLOAT,
           "weight of the silent-object term, -log(1 - attention on silent instruments' boxes) (0: the paper's objective)"),
};

static int senocak_check(const avs_loc_cfg *c) {
  int rc = avs_loc_cfg_check(c, "senocak");
  if (!rc && !(c->sup_weight >= 0 && c->sup_weight <= 1000))
    return avs_seterr(AVS_EINVAL, "senocak: sup_weight %g is outside [0, 1000]", (double)c->sup_weight);
  if (!rc && !(c->silent_weight >= 0 && c->silent_weight <= 1000))
    return avs_seterr(AVS_EINVAL, "senocak: silent_weight %g is outside [0, 1000]", (double)c->silent_weight);
  return rc;
}

static int avs_senocak_declare(avs_params *p, const avs_loc_cfg *c) {
  int rc = senocak_check(c);
  avs_resnet18_spec img = avs_loc_image_spec(c, true), aud = avs_loc_audio_spec(c, false);
  int cv = avs_resnet18_features(c->width), ca = avs_resnet18_features(c->audio_width);
  if (!rc) rc = avs_resnet18_declare(p, "imgnet.", &img);
  if (!rc) rc = avs_resnet18_declare(p, "audnet.", &aud);
  if (!rc) rc = avs_unit_declare_linear(p, "sound_fc1", ca, ca);
  if (!rc) rc = avs_unit_declare_linear(p, "sound_fc2", ca, cv);
  if (!rc) rc = avs_unit_declare_linear(p, "att_fc1", cv, cv);
  return rc ? rc : avs_unit_declare_linear(p, "att_fc2", cv, ca);
}

typedef struct {
  avs_tensor *v;     /* (N, L, C) the image map */
  avs_tensor *a;     /* (N, Ca) the audio vector */
  avs_tensor *score; /* (N, L) ReLU of the cosine with the audio embedding */
} attention;

static attention attend(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, avs_tensor *images,
                        avs_tensor *spec) {
  attention r = {0};
  avs_tensor *v = avs_loc_image_map(ctx, p, c, true, images);
  if (v) r.v = avs_reshape(ctx, v, 3, AVS_SHAPE(v->shape[0], v->shape[1] * v->shape[2], v->shape[3]));
  r.a = avs_loc_audio_vector(ctx, p, c, false, spec);
  avs_tensor *h = avs_unit_linear(ctx, p, "sound_fc2", avs_relu(ctx, avs_unit_linear(ctx, p, "sound_fc1", r.a)));
  r.score = avs_relu(ctx, avs_loc_own_pairs(ctx, avs_l2_normalize(ctx, r.v, 1e-12f), avs_l2_normalize(ctx, h, 1e-12f)));
  return r;
}

static avs_tensor *senocak_heatmap(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images,
                                   avs_tensor *spec) {
  const avs_loc_cfg *c = cfg;
  attention r = attend(ctx, p, c, images, spec);
  avs_tensor *att = avs_softmax(ctx, r.score);
  int side = avs_loc_grid_side(c, true);
  return att ? avs_reshape(ctx, att, 3, AVS_SHAPE(att->shape[0], side, side)) : NULL;
}

/* |x| over the last dim, as <x, x / |x|> (no square root op needed; its gradient is x / |x|). */
static avs_tensor *row_norm(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  avs_tensor *ones = avs_ctx_tensor(ctx, x->ndim, x->shape);
  if (!ones) return NULL;
  for (int64_t i = 0; i < ones->numel; i++) ((float *)ones->data)[i] = 1.0f;
  avs_tensor *m = avs_weighted_mean(ctx, avs_mul(ctx, x, avs_l2_normalize(ctx, x, 1e-12f)), ones);
  return avs_scale(ctx, m, (float)x->shape[x->ndim - 1]);
}

/* Rows of x (N, D) shifted by one: row i is row i + 1 (the last, row 0). */
static avs_tensor *next_rows(avs_ctx *ctx, avs_tensor *x) {
  avs_tensor *parts[2] = {avs_slice(ctx, x, 0, 1, x->shape[0], 1), avs_slice(ctx, x, 0, 0, 1, 1)};
  return avs_concat(ctx, 2, parts, 0);
}

/* grid (N, L) with every non-zero row scaled to sum 1, as a tensor; *rows:
 * how many rows are non-zero (0: the tensor is all zero). */
static avs_tensor *rows_to_one(avs_ctx *ctx, const float *grid, int64_t n, int64_t l, int *rows) {
  avs_tensor *g = avs_ctx_tensor(ctx, 2, AVS_SHAPE(n, l));
  *rows = 0;
  if (!g) return NULL;
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t k = 0; k < l; k++) s += grid[i * l + k];
    *rows += s > 0;
    for (int64_t k = 0; k < l; k++) ((float *)g->data)[i * l + k] = s > 0 ? (float)(grid[i * l + k] / s) : 0.0f;
  }
  return g;
}

static avs_tensor *senocak_loss(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images,
                                avs_tensor *spec, const avs_loc_targets *gt) {
  const avs_loc_cfg *c = cfg;
  attention r = attend(ctx, p, c, images, spec);
  avs_tensor *att = avs_softmax(ctx, r.score);
  if (!att || !r.v) return NULL;
  int64_t n = att->shape[0], l = att->shape[1];
  /* z = sum_l att_l V_l, then into the audio feature space */
  avs_tensor *z = avs_matmul(ctx, avs_reshape(ctx, att, 3, AVS_SHAPE(n, 1, l)), r.v, false, false);
  z = avs_reshape(ctx, z, 2, AVS_SHAPE(n, r.v->shape[2]));
  z = avs_unit_linear(ctx, p, "att_fc2", avs_relu(ctx, avs_unit_linear(ctx, p, "att_fc1", avs_relu(ctx, z))));
  avs_tensor *target = avs_detach(ctx, r.a);
  avs_tensor *d_pos = row_norm(ctx, avs_sub(ctx, z, target)), *d_neg = row_norm(ctx, avs_sub(ctx, z, next_rows(ctx, target)));
  if (!d_pos || !d_neg) return NULL;
  avs_tensor *d[2] = {avs_reshape(ctx, d_pos, 2, AVS_SHAPE(n, 1)), avs_reshape(ctx, d_neg, 2, AVS_SHAPE(n, 1))};
  avs_tensor *want = avs_ctx_tensor(ctx, 2, AVS_SHAPE(n, 2));
  if (!want) return NULL;
  for (int64_t i = 0; i < n; i++) ((float *)want->data)[2 * i] = 0.0f, ((float *)want->data)[2 * i + 1] = 1.0f;
  avs_tensor *loss = avs_mse_loss(ctx, avs_softmax(ctx, avs_concat(ctx, 2, d, 1)), want);
  if (!gt) return loss;
  int boxed = 0, silent = 0;
  if (gt->sounding && c->sup_weight > 0) {
    /* supervised: cross-entropy of the attention against the boxes' grid, over the pairs that have boxes */
    avs_tensor *g = rows_to_one(ctx, gt->sounding, n, l, &boxed);
    if (!g) return NULL;
    if (boxed) {
      avs_tensor *sup = avs_sum(ctx, avs_mul(ctx, avs_log_softmax(ctx, r.score), g));
      loss = avs_add(ctx, loss, avs_scale(ctx, sup, -c->sup_weight / (float)boxed));
    }
  }
  if (gt->silent && c->silent_weight > 0) {
    /* silent objects: -log(1 - m), m the attention's mass on their boxes (sum_l sil_l att_l, sil the
     * boxes' coverage), over the pairs that have them (the others add -log 1 = 0). Through the softmax
     * it lowers the silent cells' scores and raises the others', so it cannot silence the whole map
     * (a penalty on the scores alone drove every ReLU to 0 in the first epoch). */
    avs_tensor *s = avs_ctx_tensor(ctx, 3, AVS_SHAPE(n, l, 1));
    if (!s) return NULL;
    memcpy(s->data, gt->silent, sizeof(float) * (size_t)(n * l));
    for (int64_t i = 0; i < n; i++) {
      bool any = false;
      for (int64_t k = 0; k < l; k++) any |= gt->silent[i * l + k] > 0;
      silent += any;
    }
    avs_tensor *m = avs_matmul(ctx, avs_reshape(ctx, att, 3, AVS_SHAPE(n, 1, l)), s, false, false);
    avs_tensor *kept = avs_ln(ctx, avs_affine(ctx, m, -1.0f, 1.0f + 1e-6f)); /* log(1 - m), 1e-6 for m = 1 */
    if (silent) loss = avs_add(ctx, loss, avs_scale(ctx, avs_sum(ctx, kept), -c->silent_weight / (float)silent));
  }
  return loss;
}

static void senocak_grid(const void *cfg, int *h, int *w) { *h = *w = avs_loc_grid_side(cfg, true); }

static void senocak_geometry(const void *cfg, avs_loc_geometry *g) { avs_loc_cfg_geometry(cfg, g); }

static const avs_loc_task senocak_task = {.geometry = senocak_geometry, .heatmap = senocak_heatmap,
                                          .loss = senocak_loss, .grid = senocak_grid, .uses_boxes = true};

AVS_ARCH_DECLARE_GLUE(senocak, avs_loc_cfg)
const avs_arch avs_arch_senocak = {
    .name = "senocak",
    .title = "Senocak et al.: audio-guided attention, unsupervised + supervised by boxes (CVPR 2018)",
    .kind = AVS_KIND_LOCALIZATION, .task = &senocak_task,
    AVS_ARCH_FIELDS(senocak, avs_loc_cfg, senocak_default, senocak_hparams)};
