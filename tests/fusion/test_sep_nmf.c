/* The NMF prior of separation models (fusion/sep_nmf.h) on a hand-made set of
 * two instrument classes, harmonic tones near 440 Hz and near 1.9 kHz with
 * noise, plus a third class with no audio:
 *   - the dictionaries: learned for the two classes, the third kept at zero and
 *     counted missing; an object of a category beyond the classes refused;
 *   - the shares of a mixture of one tone of each class: where one tone holds
 *     most of a bin (its ideal binary mask, among the bins above 1 % of the
 *     loudest), its class's share logit is the larger in at least 90 % of them;
 *     the missing class's share logit is ln(1e-3 / 1.001) everywhere;
 *   - xattn with nmf = 3 (fusion/xattn.h): the net input's channel 0 is the log
 *     magnitude of the model without the prior, channels 1..3 the shares;
 *   - the window's prior on the linear bins: the logits of audio/nmf.h's shares
 *     of the window's magnitude, computed here on their own;
 *   - the prior of a long stretch, every frame once (avs_sep_prior_new, what
 *     avsep uses), against each window's own (check_stretch), warped and linear;
 *   - the masks on the linear bins (avs_sep_linear_logits, check_linear_logits):
 *     xattn's forward gives each source's weights of the shares (the synthesizer
 *     kernel's share columns; none without the prior), and the linear logits
 *     equal the synthesizer evaluated here on the decoder's features unwarped and
 *     the linear shares, within 1e-4 of their largest magnitude (the forward runs
 *     the audio encoder once for the two sources of the one mixture, the features
 *     here come from avs_xattn_encode on the mixture's row copied per source);
 *   - the count of classes heard (avs_sep_nmf_count, discovery's count): 2 in
 *     the mixture of two tones, 1 in one tone with the other at 1/25 of its
 *     energy, 0 in silence;
 *   - no classes refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/logfreq.h"
#include "audio/nmf.h"
#include "av/avs.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_nmf.h"
#include "fusion/separation.h"
#include "fusion/xattn.h"
#include "tests/harness.h"

enum { PER_CLASS = 4, CLASSES = 3, COMPS = 2, ITERS = 20 }; /* ITERS: the model's nmf_iters, not the default */

/* A harmonic tone at f0 Hz (3 partials) with a little noise. */
static float *tone(const avs_sep_geometry *g, double f0, avs_rng *rng) {
  float *x = malloc(sizeof(float) * (size_t)g->samples);
  for (int64_t t = 0; t < g->samples; t++) {
    double s = 0;
    for (int h = 1; h <= 3; h++) s += sin(2 * M_PI * f0 * h * (double)t / g->rate) / h;
    x[t] = (float)(0.2 * s) + 0.002f * avs_rng_normal(rng);
  }
  return x;
}

/* A stretch of 3.5 windows (a's and b's tones taking turns every 16 frames) analysed window by window with the
 * prior computed once for the stretch (avs_sep_prior_new, every frame once) against each window
 * on its own: channel 0 the same, the shares' signs (which class) the same in at least 95 % of
 * the bins, and nearly the same values (frames near a window's edge see other neighbours). */
static void check_stretch(avs_sep_audio *fe, const avs_sep_geometry *g, const float *a, const float *b) {
  int64_t L = g->samples, hop = L / 2, n = 7 * hop, ch = g->channels;
  float *x = calloc((size_t)n, sizeof(float));
  for (int64_t t = 0; t < n; t++) x[t] = (t / (16 * g->hop)) % 2 ? a[t % L] : b[t % L];
  avs_sep_prior *pr = NULL;
  avs_sep_window own = {0}, in = {0};
  int rc = avs_sep_prior_new(fe, x, n, &pr) || avs_sep_window_alloc(fe, &own) || avs_sep_window_alloc(fe, &in);
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time * (ch - 1);
  size_t same_sign = 0, all = 0, lin_same = 0, lin_all = 0;
  float worst0 = 0;
  double diff = 0, lin_diff = 0;
  for (int64_t s0 = 0; !rc && s0 + L <= n; s0 += hop) {
    if ((rc = avs_sep_analyze(fe, x + s0, &own)) || (rc = avs_sep_analyze_in(fe, x + s0, pr, s0, &in))) break;
    for (size_t e = 0; e < plane; e++) {
      worst0 = fmaxf(worst0, fabsf(own.input[e * ch] - in.input[e * ch]));
      for (int c = 1; c < ch; c++, all++) {
        float u = own.input[e * ch + c], v = in.input[e * ch + c];
        same_sign += (u > 0) == (v > 0);
        diff += fabsf(u - v);
      }
    }
    for (size_t e = 0; e < lin; e++, lin_all++) {
      lin_same += (own.linear[e] > 0) == (in.linear[e] > 0);
      lin_diff += fabsf(own.linear[e] - in.linear[e]);
    }
  }
  tst_true(!rc && pr, "a stretch's prior: %s", rc ? avs_errmsg() : "made");
  tst_true(worst0 == 0, "with the stretch's prior, channel 0 unchanged (max diff %g)", worst0);
  tst_true(all && same_sign >= 0.95 * all && diff / all < 0.5,
           "the stretch's shares agree with each window's own: same sign in %zu of %zu, mean |diff| %.3f", same_sign,
           all, all ? diff / all : 0);
  tst_true(lin_all && lin_same >= 0.95 * lin_all && lin_diff / lin_all < 0.5,
           "and on the linear bins: same sign in %zu of %zu, mean |diff| %.3f", lin_same, lin_all,
           lin_all ? lin_diff / lin_all : 0);
  avs_sep_prior_free(&pr);
  avs_sep_window_release(&own), avs_sep_window_release(&in);
  free(x);
}

/* check_linear_logits' synthesizer of source j on the linear bins, from the parts: features (N, freq, time,
 * K + classes) unwarped, the window's linear shares, the kernel synth(mean visual token of source j). */
static void synth_on_bins(const avs_model *m, const avs_sep_geometry *g, const avs_xattn_enc *enc, int j,
                          const avs_sep_window *w, float *kern, float *out) {
  const avs_xattn_cfg *c = m->cfg;
  int K = c->mask_channels, KC = K + c->nmf;
  const avs_tensor *W = avs_params_find(&m->params, "synth.weight"), *b = avs_params_find(&m->params, "synth.bias");
  int64_t Lv = enc->visual->shape[1], dim = enc->visual->shape[2];
  for (int o = 0; o <= KC; o++) {
    double acc = b->data[o];
    for (int64_t d = 0; d < dim; d++) {
      double v = 0;
      for (int64_t i = 0; i < Lv; i++) v += enc->visual->data[((size_t)j * Lv + i) * dim + d];
      acc += W->data[(size_t)o * dim + d] * v / (double)Lv;
    }
    kern[o] = (float)acc;
  }
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  float *f = malloc(sizeof(float) * plane), *uf = malloc(sizeof(float) * lin);
  avs_logfreq_shape sh = {.n = 1, .in_bins = g->freq, .frames = g->time, .channels = 1, .out_bins = g->bins,
                          .align_corners = true};
  for (size_t e = 0; e < lin; e++) out[e] = kern[KC];
  for (int k = 0; k < KC; k++) {
    for (size_t e = 0; k < K && e < plane; e++) f[e] = enc->features->data[((size_t)j * plane + e) * K + k];
    if (k < K) avs_logfreq_unwarp(&sh, f, uf);
    const float *basis = k < K ? uf : w->linear + lin * (k - K);
    for (size_t e = 0; e < lin; e++) out[e] += kern[k] * basis[e];
  }
  free(f), free(uf);
}

/* Two sources (random crops) of the window w: avs_sep_linear_logits against synth_on_bins. */
static void check_linear_logits(const avs_model *m, const avs_model *plain, avs_sep_audio *fe,
                                const avs_sep_geometry *g, const avs_sep_window *w, avs_rng *rng) {
  const avs_xattn_cfg *c = m->cfg;
  enum { S = 2 };
  int mix_of[S] = {0, 0};
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *in = avs_sep_window_tensor(ctx, g, w);
  avs_tensor *crops = avs_ctx_tensor(ctx, 5, AVS_SHAPE(S, g->frames, g->height, g->width, 3));
  for (int64_t i = 0; crops && i < crops->numel; i++) crops->data[i] = avs_rng_normal(rng);
  avs_tensor *weights = NULL, *none = NULL;
  avs_tensor *logits = avs_sep_model_forward_prior(ctx, m, in, crops, mix_of, &weights);
  avs_tensor *plain_in = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, g->freq, g->time, 1));
  for (int64_t i = 0; plain_in && i < plain_in->numel; i++) plain_in->data[i] = in->data[i * g->channels];
  tst_true(avs_sep_model_forward_prior(ctx, plain, plain_in, crops, mix_of, &none) && !none,
           "without the prior, no prior weights");
  tst_true(logits && weights && weights->shape[0] == S && weights->shape[1] == c->nmf,
           "forward with the prior's weights: %s", logits && weights ? "(S, classes)" : avs_errmsg());
  avs_tensor *rows = in ? avs_concat(ctx, 2, (avs_tensor *[]){in, in}, 0) : NULL;
  avs_xattn_enc enc;
  if (!logits || !weights || !rows || avs_xattn_encode(ctx, &m->params, c, rows, crops, &enc)) {
    tst_true(false, "encode: %s", avs_errmsg());
    avs_ctx_free(&ctx);
    return;
  }
  size_t plane = (size_t)g->freq * g->time, lin = (size_t)g->bins * g->time;
  float *got = malloc(sizeof(float) * lin), *want = malloc(sizeof(float) * lin);
  float kern[64], worst = 0, top = 0, worst_w = 0;
  for (int j = 0; j < S; j++) {
    int rc = avs_sep_linear_logits(fe, w, logits->data + plane * j, weights->data + c->nmf * j, got);
    tst_true(!rc, "linear logits of source %d: %s", j, rc ? avs_errmsg() : "ok");
    synth_on_bins(m, g, &enc, j, w, kern, want);
    for (size_t e = 0; e < lin; e++) worst = fmaxf(worst, fabsf(got[e] - want[e])), top = fmaxf(top, fabsf(want[e]));
    for (int k = 0; k < c->nmf; k++)
      worst_w = fmaxf(worst_w, fabsf(weights->data[c->nmf * j + k] - kern[c->mask_channels + k]));
  }
  tst_true(worst_w < 1e-5f, "the prior's weights are the synthesizer kernels' share columns (max diff %g)", worst_w);
  tst_true(top > 0 && worst <= 1e-4f * top, "linear logits = the synthesizer on the linear bins: max diff %g of %g",
           worst, top);
  free(got), free(want);
  avs_ctx_free(&ctx);
}

static avs_model *xattn_model(int nmf) {
  avs_xattn_cfg cfg = avs_xattn_default_cfg();
  cfg.freq = cfg.time = 64, cfg.frames = 1, cfg.height = cfg.width = 32;
  cfg.nmf = nmf, cfg.nmf_components = COMPS, cfg.nmf_iters = ITERS;
  avs_model *m = NULL;
  int rc = avs_model_new("xattn", &cfg, &m);
  if (!rc) rc = avs_model_init(m, 5);
  tst_true(!rc, "xattn nmf=%d: %s", nmf, rc ? avs_errmsg() : "made");
  return m;
}

int main(void) {
  avs_model *m = xattn_model(CLASSES), *plain = xattn_model(0);
  avs_sep_audio *fe = NULL, *fe_plain = NULL;
  if (!m || !plain || avs_sep_audio_new(m, &fe) || avs_sep_audio_new(plain, &fe_plain)) {
    tst_true(false, "separation front ends: %s", avs_errmsg());
    return tst_finish();
  }
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  tst_true(g.channels == 1 + CLASSES, "geometry: %d input channels for nmf %d", g.channels, CLASSES);
  avs_rng rng;
  avs_rng_seed(&rng, 3);
  avs_sep_set set = {.g = g, .n_obj = 2 * PER_CLASS};
  set.obj = calloc((size_t)set.n_obj, sizeof *set.obj);
  for (int i = 0; i < set.n_obj; i++) {
    int c = i / PER_CLASS;
    set.obj[i].cls = c;
    set.obj[i].wave = tone(&g, (c ? 1900.0 : 440.0) * (1 + 0.03 * (i % PER_CLASS)), &rng);
  }
  avs_tensor *dict = avs_params_find(&m->params, "audio.nmf.dictionary");
  int missing = -1;
  int rc = dict ? avs_sep_nmf_learn(&set, fe, CLASSES, COMPS, NULL, NULL, dict->data, &missing) : avs_errcode();
  size_t per_class = (size_t)g.bins * COMPS;
  double norm[CLASSES] = {0};
  for (int c = 0; !rc && c < CLASSES; c++)
    for (size_t i = 0; i < per_class; i++) norm[c] += dict->data[c * per_class + i];
  tst_true(!rc && missing == 1 && fabs(norm[0] - COMPS) < 1e-3 && fabs(norm[1] - COMPS) < 1e-3 && norm[2] == 0,
           "dictionaries: rc %d, %d missing, column sums %.4f %.4f %.4f (want %d, %d, 0)", rc, missing, norm[0],
           norm[1], norm[2], COMPS, COMPS);

  /* a mixture of one new tone of each class */
  float *a = tone(&g, 452.0, &rng), *b = tone(&g, 1930.0, &rng), *x = malloc(sizeof(float) * (size_t)g.samples);
  for (int64_t t = 0; t < g.samples; t++) x[t] = a[t] + b[t];
  size_t lin = (size_t)g.bins * g.time, plane = (size_t)g.freq * g.time;
  float *ma = malloc(sizeof(float) * lin), *mb = malloc(sizeof(float) * lin);
  float *wa = malloc(sizeof(float) * plane), *wb = malloc(sizeof(float) * plane);
  avs_sep_window w = {0}, wp = {0};
  rc = avs_sep_window_alloc(fe, &w) || avs_sep_window_alloc(fe_plain, &wp) || avs_sep_analyze(fe, x, &w) ||
       avs_sep_analyze(fe_plain, x, &wp) || avs_sep_magnitude(fe, a, ma) || avs_sep_warp(&g, ma, wa) ||
       avs_sep_magnitude(fe, b, mb) || avs_sep_warp(&g, mb, wb);
  tst_true(!rc, "analysis: %s", rc ? avs_errmsg() : "ok");
  if (!rc) {
    int ch = g.channels, loud = 0, right = 0;
    float top = 0, worst0 = 0, off_missing = 0;
    for (size_t e = 0; e < plane; e++) top = fmaxf(top, wa[e] + wb[e]);
    for (size_t e = 0; e < plane; e++) {
      const float *in = w.input + e * ch;
      worst0 = fmaxf(worst0, fabsf(in[0] - wp.input[e]));
      off_missing = fmaxf(off_missing, fabsf(in[3] - logf(1e-3f / 1.001f)));
      if (wa[e] + wb[e] < 0.01f * top) continue;
      loud++;
      right += (wa[e] > wb[e]) == (in[1] > in[2]);
    }
    tst_true(worst0 < 1e-6f, "channel 0 is the log magnitude of the model without the prior (max diff %g)", worst0);
    tst_true(loud > 20 && right >= 0.9 * loud, "the louder tone's class has the larger share in %d of %d loud bins",
             right, loud);
    tst_true(off_missing < 1e-3f, "the missing class's share logit is ln(1e-3 / 1.001) (max off %g)", off_missing);
    float *direct = malloc(sizeof(float) * plane * CLASSES);
    rc = avs_sep_nmf_shares(&g, dict->data, CLASSES, COMPS, ITERS, w.mag, g.time, direct, NULL);
    float diff = 0, moved = 0;
    for (size_t e = 0; !rc && e < plane; e++)
      for (int c = 0; c < CLASSES; c++) diff = fmaxf(diff, fabsf(direct[e * CLASSES + c] - w.input[e * ch + 1 + c]));
    tst_true(!rc && diff == 0, "the model's input channels 1..%d are avs_sep_nmf_shares' with its nmf_iters %d (max diff %g)",
             CLASSES, ITERS, diff);
    rc = avs_sep_nmf_shares(&g, dict->data, CLASSES, COMPS, AVS_SEP_NMF_ITERS, w.mag, g.time, direct, NULL);
    for (size_t e = 0; !rc && e < plane; e++)
      for (int c = 0; c < CLASSES; c++) moved = fmaxf(moved, fabsf(direct[e * CLASSES + c] - w.input[e * ch + 1 + c]));
    tst_true(!rc && moved > 1e-3f, "%d updates instead of %d move the shares (max %g)", AVS_SEP_NMF_ITERS, ITERS, moved);
    tst_true(avs_sep_nmf_shares(&g, dict->data, 0, COMPS, ITERS, w.mag, g.time, direct, NULL) == AVS_EINVAL &&
                 strstr(avs_errmsg(), "classes"),
             "no classes refused: %s", avs_errmsg());
    tst_true(avs_sep_nmf_shares(&g, dict->data, CLASSES, COMPS, 0, w.mag, g.time, direct, NULL) == AVS_EINVAL &&
                 strstr(avs_errmsg(), "updates"),
             "no updates refused: %s", avs_errmsg());
    /* the linear prior, on its own: audio/nmf.h's shares of the window's magnitude, as logits */
    const float *W[CLASSES];
    for (int c = 0; c < CLASSES; c++) W[c] = dict->data + (size_t)c * g.bins * COMPS;
    float *shares = malloc(sizeof(float) * lin * CLASSES), lin_diff = 0;
    rc = avs_nmf_separate(w.mag, g.bins, g.time, W, CLASSES, COMPS, ITERS, 7, shares);
    for (size_t e = 0; !rc && e < lin * CLASSES; e++)
      lin_diff = fmaxf(lin_diff, fabsf(logf((shares[e] + 1e-3f) / (1 - shares[e] + 1e-3f)) - w.linear[e]));
    tst_true(!rc && lin_diff < 1e-5f, "the window's linear prior is the NMF share logits (max diff %g)", lin_diff);
    free(direct), free(shares);
    avs_sep_window one = {0};
    float *silence = calloc((size_t)g.samples, sizeof(float)), *faint = malloc(sizeof(float) * (size_t)g.samples);
    for (int64_t t = 0; t < g.samples; t++) faint[t] = a[t] + 0.2f * b[t];
    int heard[3] = {-1, -1, -1};
    heard[0] = avs_sep_nmf_count(&g, CLASSES, w.linear, w.mag, 0.12f);
    if (!avs_sep_window_alloc(fe, &one) && !avs_sep_analyze(fe, faint, &one))
      heard[1] = avs_sep_nmf_count(&g, CLASSES, one.linear, one.mag, 0.12f);
    if (!avs_sep_analyze(fe, silence, &one)) heard[2] = avs_sep_nmf_count(&g, CLASSES, one.linear, one.mag, 0.12f);
    tst_true(heard[0] == 2 && heard[1] == 1 && heard[2] == 0,
             "classes heard: %d in the two tones (want 2), %d in one and a faint other (1), %d in silence (0)",
             heard[0], heard[1], heard[2]);
    avs_sep_window_release(&one);
    free(silence), free(faint);
    check_stretch(fe, &g, a, b);
    check_linear_logits(m, plain, fe, &g, &w, &rng);
  }
  set.obj[0].cls = 7;
  tst_true(avs_sep_nmf_learn(&set, fe, CLASSES, COMPS, NULL, NULL, dict->data, &missing) == AVS_EINVAL &&
               strstr(avs_errmsg(), "category 7"),
           "an object beyond the classes refused: %s", avs_errmsg());

  avs_sep_window_release(&w), avs_sep_window_release(&wp);
  free(a), free(b), free(x), free(ma), free(mb), free(wa), free(wb);
  for (int i = 0; i < set.n_obj; i++) free(set.obj[i].wave);
  free(set.obj);
  avs_sep_audio_free(&fe), avs_sep_audio_free(&fe_plain);
  avs_model_free(&m), avs_model_free(&plain);
  return tst_finish();
}
