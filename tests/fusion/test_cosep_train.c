/* avtrain cosep's batch and loss (fusion/sep_data.h .videos, fusion/cosep.h
 * avs_cosep_train_loss) on a hand-made set of random stems and crops: each
 * video's target is clamp(|STFT(its stems' sum)| / |STFT(mixture)|, 0, 5) on
 * the warped rows, recomputed here from the set; video_of and labels follow
 * the objects; the loss equals avs_cosep_coseparation_loss + W x the
 * consistency loss built by hand on the same batch, and its gradient reaches
 * the visual net, the U-Net and the classifier. A gated model (prior_gate)
 * starts with uniform class weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "fusion/cosep.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_data.h"
#include "fusion/separation.h"
#include "tests/fusion/sep_fixture.h"
#include "tests/harness.h"

enum { CLASSES = 6 };

/* Warped magnitude of a wave. */
static void warped(avs_sep_audio *fe, const avs_sep_geometry *g, const float *wave, float *lin, float *out) {
  tst_true(!avs_sep_magnitude(fe, wave, lin) && !avs_sep_warp(g, lin, out), "STFT and warp");
}

/* prior_gate starts at zero (nn/init.c): every object's class weights are uniform, 1 / nmf, and the
 * separation kind hands them out as the prior's weights (for the masks on the linear bins). */
static void check_gate_start(void) {
  avs_cosep_cfg cfg;
  avs_cosep_cfg_default(&cfg);
  cfg.ngf = 4, cfg.downs = 4, cfg.visual_width = 4, cfg.classifier_width = 4, cfg.crop = 32, cfg.classes = 3;
  cfg.freq = 64, cfg.time = 64, cfg.nmf = 2, cfg.nmf_components = 2, cfg.prior_gate = true;
  avs_model *m = NULL;
  int rc = avs_model_new("cosep", &cfg, &m);
  if (!rc) rc = avs_model_init(m, 7);
  if (!tst_true(!rc, "gated cosep model: %s", rc ? avs_errmsg() : "made")) return;
  const avs_tensor *w = avs_params_find(&m->params, "audio.nmf.gate.weight");
  const avs_tensor *b = avs_params_find(&m->params, "audio.nmf.gate.bias");
  float largest = 0;
  for (int64_t i = 0; w && i < w->numel; i++) largest = fmaxf(largest, fabsf(w->data[i]));
  for (int64_t i = 0; b && i < b->numel; i++) largest = fmaxf(largest, fabsf(b->data[i]));
  tst_true(w && b && largest == 0, "the gate starts at zero (largest |value| %g)", largest);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *logmag = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, 64, 64, 3));
  avs_tensor *crops = avs_ctx_tensor(ctx, 5, AVS_SHAPE(2, 1, 32, 32, 3)), *weights = NULL;
  for (int64_t i = 0; i < logmag->numel; i++) logmag->data[i] = sinf(0.37f * (float)i);
  for (int64_t i = 0; i < crops->numel; i++) crops->data[i] = cosf(0.11f * (float)i);
  avs_tensor *logits = avs_sep_model_forward_prior(ctx, m, logmag, crops, (const int[]){0, 0}, &weights);
  float off = 0;
  for (int64_t i = 0; weights && i < weights->numel; i++) off = fmaxf(off, fabsf(weights->data[i] - 0.5f));
  tst_true(logits && weights && weights->numel == 4 && off < 1e-6f,
           "its prior weights are uniform at the start, (2 objects, 2 classes) of 0.5 (largest deviation %g)", off);
  avs_ctx_free(&ctx);
  avs_model_free(&m);
}

int main(void) {
  check_gate_start();
  avs_model *m = NULL;
  avs_cosep_cfg cfg;
  avs_cosep_cfg_default(&cfg);
  cfg.ngf = 4, cfg.downs = 4, cfg.visual_width = 4, cfg.classifier_width = 4, cfg.crop = 32, cfg.classes = CLASSES;
  cfg.freq = 64, cfg.time = 64;
  if (avs_model_new("cosep", &cfg, &m) || avs_model_init(m, 7)) {
    tst_true(false, "tiny cosep model: %s", avs_errmsg());
    return tst_finish();
  }
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  avs_sep_audio *fe = NULL;
  tst_true(!avs_sep_audio_new(m, &fe), "separation front end");
  avs_rng rng;
  avs_rng_seed(&rng, 11);
  avs_sep_set set;
  sep_fixture_make(&g, CLASSES, &rng, &set);

  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  avs_sep_batch b;
  const int n = 2, mix = 2;
  int rc = avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix, .videos = true}, n, &rng, &b);
  tst_true(!rc && b.n_videos == n * mix && b.n_mix == n && !b.target, "batch of %d videos: %s", n * mix,
           rc ? avs_errmsg() : "ok");
  if (rc) return tst_finish();

  /* Per video: recompute its mixture and its own sound from the set. */
  size_t plane = (size_t)g.freq * g.time, lin = (size_t)g.bins * g.time;
  float *wave = calloc((size_t)g.samples, sizeof(float)), *clip = calloc((size_t)g.samples, sizeof(float));
  float *mag = malloc(sizeof(float) * lin), *wmix = malloc(sizeof(float) * plane);
  float *wclip = malloc(sizeof(float) * plane), *want = malloc(sizeof(float) * plane);
  float *want_w = malloc(sizeof(float) * plane);
  int j = 0, video_of_ok = 1, labels_ok = 1;
  for (int i = 0; i < n; i++) {
    memset(wave, 0, sizeof(float) * (size_t)g.samples);
    for (int k = 0; k < mix; k++) {
      int c = b.clip_of_video[i * mix + k];
      for (int q = 0; q < set.count[c]; q++)
        for (int64_t t = 0; set.obj[set.first[c] + q].wave && t < g.samples; t++)
          wave[t] += set.obj[set.first[c] + q].wave[t];
    }
    warped(fe, &g, wave, mag, wmix);
    for (int k = 0; k < mix; k++) {
      int v = i * mix + k, c = b.clip_of_video[v];
      memset(clip, 0, sizeof(float) * (size_t)g.samples);
      for (int q = 0; q < set.count[c]; q++, j++) {
        const avs_sep_object *o = &set.obj[set.first[c] + q];
        for (int64_t t = 0; o->wave && t < g.samples; t++) clip[t] += o->wave[t];
        video_of_ok &= b.video_of[j] == v && b.mix_of[j] == i;
        labels_ok &= b.labels[j] == o->cls;
      }
      warped(fe, &g, clip, mag, wclip);
      for (size_t e = 0; e < plane; e++) {
        want[e] = wmix[e] > 1e-10f ? fminf(fmaxf(wclip[e] / wmix[e], 0.0f), 5.0f) : 0.0f;
        want_w[e] = fminf(fmaxf(log1pf(wmix[e]), 1e-3f), 10.0f);
      }
      char what[64];
      snprintf(what, sizeof what, "video %d ratio target", v);
      tst_close(what, b.video_target->data + plane * v, want, (int64_t)plane, 1e-5f, 1e-4f);
      snprintf(what, sizeof what, "video %d weight", v);
      tst_close(what, b.video_weight->data + plane * v, want_w, (int64_t)plane, 1e-6f, 1e-5f);
      if (k == 0) {
        for (size_t e = 0; e < plane; e++) want[e] = wmix[e] + 1e-10f;
        snprintf(what, sizeof what, "mixture %d magnitude", i);
        tst_close(what, b.mixmag->data + plane * i, want, (int64_t)plane, 1e-6f, 1e-5f);
      }
    }
  }
  tst_true(j == b.n_src && video_of_ok && labels_ok, "video_of, mix_of and labels of %d objects", b.n_src);
  /* A target that is neither all zero nor all one: the stems differ from the mixture. */
  double lo = 5, hi = 0;
  for (int64_t e = 0; e < b.video_target->numel; e++)
    lo = fmin(lo, b.video_target->data[e]), hi = fmax(hi, b.video_target->data[e]);
  tst_true(lo < 0.2 && hi > 0.8, "ratio targets span [%.3f, %.3f]", lo, hi);

  /* The loss against its parts by hand, on the same batch (batch norm's batch statistics are the same). */
  const float w = 0.05f;
  avs_cosep_train_opts co = {.dist = AVS_COSEP_L1, .class_weight = w};
  avs_tensor *loss = avs_cosep_train_loss(ctx, m, &b, &co);
  avs_tensor *masks = avs_sigmoid(ctx, avs_sep_model_forward(ctx, m, b.input, b.crops, b.mix_of));
  avs_tensor *sep = avs_cosep_coseparation_loss(ctx, masks, b.video_of, b.video_target, b.video_weight, AVS_COSEP_L1);
  avs_tensor *objmix = avs_ctx_tensor(ctx, 3, AVS_SHAPE(b.n_src, g.freq, g.time));
  for (int o = 0; o < b.n_src; o++)
    memcpy(objmix->data + plane * o, b.mixmag->data + plane * b.mix_of[o], sizeof(float) * plane);
  avs_tensor *cons = avs_cosep_consistency_loss(ctx, avs_cosep_classify(ctx, &m->params, m->cfg, objmix, masks),
                                                b.labels);
  tst_true(loss && sep && cons, "losses computed: %s", avs_errmsg());
  if (loss && sep && cons) {
    float want_loss = sep->data[0] + w * cons->data[0];
    tst_true(fabsf(loss->data[0] - want_loss) <= 1e-5f * fabsf(want_loss) && cons->data[0] > 0.1f,
             "loss %.7f = coseparation %.7f + %.2f x consistency %.7f", loss->data[0], sep->data[0], w, cons->data[0]);
    avs_cosep_train_opts unweighted = {.dist = AVS_COSEP_L2, .unweighted = true};
    avs_tensor *l2 = avs_cosep_train_loss(ctx, m, &b, &unweighted);
    avs_tensor *l2_hand = avs_cosep_coseparation_loss(ctx, masks, b.video_of, b.video_target, NULL, AVS_COSEP_L2);
    tst_true(l2 && l2_hand && fabsf(l2->data[0] - l2_hand->data[0]) <= 1e-5f * fabsf(l2_hand->data[0]),
             "--cosep-loss l2 --unweighted --class-weight 0: %.7f = %.7f", l2 ? l2->data[0] : NAN,
             l2_hand ? l2_hand->data[0] : NAN);
  }

  /* Gradients: finite, and nonzero in each of the three nets. */
  avs_ctx_reset(ctx);
  rc = avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix, .videos = true}, n, &rng, &b);
  loss = rc ? NULL : avs_cosep_train_loss(ctx, m, &b, &co);
  tst_true(loss && !avs_backward(ctx, loss), "backward: %s", avs_errmsg());
  double norm[3] = {0};
  const char *prefix[3] = {"net_visual.", "net_unet.", "net_classifier."};
  bool finite = true;
  for (int i = 0; i < m->params.n; i++) {
    const avs_tensor *t = m->params.t[i];
    for (int p = 0; p < 3 && t->grad; p++)
      if (!strncmp(t->name, prefix[p], strlen(prefix[p])))
        for (int64_t e = 0; e < t->numel; e++) finite &= isfinite(t->grad[e]), norm[p] += (double)t->grad[e] * t->grad[e];
  }
  tst_true(finite && norm[0] > 0 && norm[1] > 0 && norm[2] > 0,
           "gradients finite and nonzero: visual %.3g, U-Net %.3g, classifier %.3g", sqrt(norm[0]), sqrt(norm[1]),
           sqrt(norm[2]));

  /* A category past the classifier's classes is refused, not indexed. */
  b.labels[0] = CLASSES;
  tst_true(!avs_cosep_train_loss(ctx, m, &b, &co) && avs_errcode() == AVS_EINVAL, "category %d refused: %s", CLASSES,
           avs_errmsg());

  free(wave), free(clip), free(mag), free(wmix), free(wclip), free(want), free(want_w);
  avs_ctx_free(&ctx);
  sep_fixture_free(&set);
  avs_sep_audio_free(&fe);
  avs_model_free(&m);
  return tst_finish();
}
