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
 *   - the prior of a long stretch, every frame once (avs_sep_prior_new, what
 *     avsep uses), against each window's own (check_stretch);
 *   - no classes refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_nmf.h"
#include "fusion/separation.h"
#include "fusion/xattn.h"
#include "tests/harness.h"

enum { PER_CLASS = 4, CLASSES = 3, COMPS = 2 };

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
  size_t plane = (size_t)g->freq * g->time, same_sign = 0, all = 0;
  float worst0 = 0;
  double diff = 0;
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
  }
  tst_true(!rc && pr, "a stretch's prior: %s", rc ? avs_errmsg() : "made");
  tst_true(worst0 == 0, "with the stretch's prior, channel 0 unchanged (max diff %g)", worst0);
  tst_true(all && same_sign >= 0.95 * all && diff / all < 0.5,
           "the stretch's shares agree with each window's own: same sign in %zu of %zu, mean |diff| %.3f", same_sign,
           all, all ? diff / all : 0);
  avs_sep_prior_free(&pr);
  avs_sep_window_release(&own), avs_sep_window_release(&in);
  free(x);
}

static avs_model *xattn_model(int nmf) {
  avs_xattn_cfg cfg = avs_xattn_default_cfg();
  cfg.freq = cfg.time = 64, cfg.frames = 1, cfg.height = cfg.width = 32;
  cfg.nmf = nmf, cfg.nmf_components = COMPS;
  avs_model *m = NULL;
  int rc = avs_model_new("xattn", &cfg, &m);
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
    rc = avs_sep_nmf_shares(&g, dict->data, CLASSES, COMPS, w.mag, g.time, direct);
    float diff = 0;
    for (size_t e = 0; !rc && e < plane; e++)
      for (int c = 0; c < CLASSES; c++) diff = fmaxf(diff, fabsf(direct[e * CLASSES + c] - w.input[e * ch + 1 + c]));
    tst_true(!rc && diff == 0, "the model's input channels 1..%d are avs_sep_nmf_shares' (max diff %g)", CLASSES, diff);
    tst_true(avs_sep_nmf_shares(&g, dict->data, 0, COMPS, w.mag, g.time, direct) == AVS_EINVAL &&
                 strstr(avs_errmsg(), "classes"),
             "no classes refused: %s", avs_errmsg());
    free(direct);
    check_stretch(fe, &g, a, b);
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
