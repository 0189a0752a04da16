/* How avs_sep_separate (fusion/separate.h) cuts a signal into the model's
 * windows and puts their outputs back together, with masks given by hand
 * (job.masks) on a small xattn geometry:
 *  - for lengths from 1 sample to ten windows: the first window starts at 0,
 *    the starts rise by at most half a window, none reaches past the end when
 *    the signal is at least a window long, the last is flush with the end,
 *    and no window is spare; the masks are asked for exactly these starts;
 *  - a mask of one everywhere gives the signal back (the STFT's round trip),
 *    and two sources of masks 0.3 and 0.7 add up to it;
 *  - a constant mask c_k per window: the samples only window k covers (the
 *    start and the end of the signal) get exactly c_k of the signal, so no
 *    window padded with silence beyond the ends takes part. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/rng.h"
#include "av/status.h"
#include "fusion/separate.h"
#include "fusion/xattn.h"
#include "tests/harness.h"

typedef struct {
  int64_t starts[64];
  int calls, sources, by_window; /* by_window: window k's mask is 0.5 (even k) or 1 (odd k) */
  const avs_sep_geometry *g;
} hand_masks;

static float window_gain(int k) { return k % 2 ? 1.0f : 0.5f; }

static int masks_by_hand(void *user, avs_sep_audio *fe, int64_t s0, const avs_sep_window *w, float *masks) {
  (void)fe, (void)w;
  hand_masks *h = user;
  size_t plane = (size_t)h->g->freq * h->g->time;
  if (h->calls < 64) h->starts[h->calls] = s0;
  for (int j = 0; j < h->sources; j++) {
    float v = h->by_window ? window_gain(h->calls) : h->sources == 1 ? 1.0f : j ? 0.7f : 0.3f;
    for (size_t e = 0; e < plane; e++) masks[plane * j + e] = v;
  }
  h->calls++;
  return AVS_OK;
}

static bool starts_ok(const avs_sep_geometry *g, int64_t n, int64_t K) {
  int64_t L = g->samples;
  if (K < 1 || avs_sep_window_start(g, n, 0) != 0) return false;
  for (int64_t k = 1; k < K; k++) {
    int64_t a = avs_sep_window_start(g, n, k - 1), b = avs_sep_window_start(g, n, k);
    if (b <= a || b - a > L / 2) return false;
  }
  int64_t last = avs_sep_window_start(g, n, K - 1);
  if (n >= L && last != n - L) return false;
  return K == 1 || avs_sep_window_start(g, n, K - 2) + L < n; /* no spare window */
}

static double max_err(const float *a, const float *b, float gain, int64_t from, int64_t to) {
  double e = 0;
  for (int64_t t = from; t < to; t++) e = fmax(e, fabs((double)a[t] - gain * (double)b[t]));
  return e;
}

int main(void) {
  avs_model *m = NULL;
  avs_xattn_cfg cfg = avs_xattn_default_cfg();
  cfg.freq = cfg.time = 64, cfg.frames = 1, cfg.height = cfg.width = 32;
  if (avs_model_new("xattn", &cfg, &m)) {
    tst_true(false, "xattn model: %s", avs_errmsg());
    return tst_finish();
  }
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  const int64_t L = g.samples;
  const int64_t lengths[] = {1, L / 3, L - 1, L, L + 1, L + L / 3, 2 * L, 3 * L + L * 7 / 10, 10 * L + 7};
  avs_rng rng;
  avs_rng_seed(&rng, 3);
  for (size_t c = 0; c < sizeof lengths / sizeof *lengths; c++) {
    int64_t n = lengths[c], K = avs_sep_windows(&g, n);
    tst_true(starts_ok(&g, n, K), "n = %lld (window %lld): %lld windows from 0, at most half a window apart, the "
             "last flush with the end", (long long)n, (long long)L, (long long)K);
    float *x = malloc(sizeof(float) * (size_t)n), *y[2] = {calloc((size_t)n, 4), calloc((size_t)n, 4)};
    for (int64_t t = 0; t < n; t++) x[t] = 0.3f * sinf(0.05f * (float)t) + 0.1f * avs_rng_normal(&rng);
    double tol = 2e-6; /* the STFT round trip in float32 (3e-7 seen), |x| < 1 */
    for (int mode = 0; mode < 3; mode++) {
      hand_masks h = {.sources = mode == 1 ? 2 : 1, .by_window = mode == 2, .g = &g};
      avs_sep_job job = {.sources = h.sources, .masks = masks_by_hand, .user = &h};
      int rc = avs_sep_separate(m, x, n, &job, y);
      bool asked = h.calls == K;
      for (int k = 0; asked && k < K && k < 64; k++) asked = h.starts[k] == avs_sep_window_start(&g, n, k);
      tst_true(!rc && asked, "n = %lld, mode %d: separated (%s), masks asked for the %lld windows' starts (%d calls)",
               (long long)n, mode, rc ? avs_errmsg() : "ok", (long long)K, h.calls);
      if (mode == 0) {
        double e = max_err(y[0], x, 1.0f, 0, n);
        tst_true(e < tol, "n = %lld: a mask of one gives the signal back (max error %.2g)", (long long)n, e);
      } else if (mode == 1) {
        for (int64_t t = 0; t < n; t++) y[0][t] += y[1][t];
        double e = max_err(y[0], x, 1.0f, 0, n);
        tst_true(e < tol, "n = %lld: masks 0.3 and 0.7 add up to the signal (max error %.2g)", (long long)n, e);
      } else {
        int64_t head = K > 1 ? avs_sep_window_start(&g, n, 1) : n;
        int64_t tail = K > 1 ? avs_sep_window_start(&g, n, K - 2) + L : 0;
        double e0 = max_err(y[0], x, window_gain(0), 0, head);
        double e1 = max_err(y[0], x, window_gain((int)K - 1), tail, n);
        tst_true(e0 < tol && e1 < tol, "n = %lld: the head [0, %lld) is window 0's own (max error %.2g), the "
                 "tail [%lld, %lld) the last window's (%.2g)", (long long)n, (long long)head, e0, (long long)tail,
                 (long long)n, e1);
      }
    }
    free(x), free(y[0]), free(y[1]);
  }
  avs_model_free(&m);
  return tst_finish();
}
