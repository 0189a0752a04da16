/* Masks and chunked resynthesis: ideal masks rebuild their sources, shares
 * and dominant-source masks among several sources, complex
 * masks invert exactly, compression round-trips, chunked processing of an
 * identity returns the signal exactly and of a gain, the scaled signal; its
 * windows end flush with the signal (none padded past the end unless the
 * signal is shorter than one), and a gain per window gives the first and the
 * last window's own gain where no other window reaches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/mask.h"
#include "audio/stft.h"
#include "tests/harness.h"

static float frand(unsigned *u) {
  *u = *u * 1664525u + 1013904223u;
  return (float)((*u >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int identity(void *user, const float *in, int64_t chunk, int n_out, float *out) {
  int *calls = user;
  ++*calls;
  for (int k = 0; k < n_out; k++)
    for (int64_t i = 0; i < chunk; i++) out[k * chunk + i] = in[i] * (float)(k + 1);
  return 0;
}

/* Gain 1 + (calls % 3) per window; records each window's last input sample and the count. */
typedef struct {
  int calls;
  float last_in[64];
} window_log;

static float window_gain(int k) { return 1.0f + (float)(k % 3); }

static int gain_per_window(void *user, const float *in, int64_t chunk, int n_out, float *out) {
  window_log *log = user;
  float g = window_gain(log->calls);
  if (log->calls < 64) log->last_in[log->calls] = in[chunk - 1];
  log->calls++;
  for (int k = 0; k < n_out; k++)
    for (int64_t i = 0; i < chunk; i++) out[k * chunk + i] = g * in[i];
  return 0;
}

static int failing(void *user, const float *in, int64_t chunk, int n_out, float *out) {
  (void)user, (void)in, (void)chunk, (void)n_out, (void)out;
  return AVS_EBACKEND;
}

/* Per-chunk STFT -> ratio mask (0.25) -> ISTFT, as a separator would. */
static int stft_gain(void *user, const float *in, int64_t chunk, int n_out, float *out) {
  avs_stft *s = user;
  int64_t T = avs_stft_frames(s, chunk), F = avs_stft_bins(s);
  float *spec = malloc(sizeof(float) * (size_t)(F * T * 2)), *m = malloc(sizeof(float) * (size_t)(F * T));
  int rc = avs_stft_forward(s, in, chunk, spec);
  for (int64_t i = 0; i < F * T; i++) m[i] = 0.25f;
  avs_mask_apply(m, spec, F * T, spec);
  for (int k = 0; k < n_out && !rc; k++) rc = avs_stft_inverse(s, spec, T, chunk, out + k * chunk);
  free(spec), free(m);
  return rc;
}

int main(void) {
  enum { F = 64, T = 50, N = F * T };
  unsigned u = 7;
  float *s1 = malloc(sizeof(float) * 2 * N), *s2 = malloc(sizeof(float) * 2 * N), *mix = malloc(sizeof(float) * 2 * N);
  float *m1 = malloc(sizeof(float) * N), *m2 = malloc(sizeof(float) * N), *mag1 = malloc(sizeof(float) * N);
  float *mag2 = malloc(sizeof(float) * N), *magm = malloc(sizeof(float) * N), *o = malloc(sizeof(float) * 2 * N);
  float *c1 = malloc(sizeof(float) * 2 * N), *back = malloc(sizeof(float) * 2 * N), *ph = malloc(sizeof(float) * N);
  for (int i = 0; i < 2 * N; i++) s1[i] = frand(&u), s2[i] = 0.5f * frand(&u), mix[i] = s1[i] + s2[i];
  avs_stft_magphase(s1, N, mag1, NULL);
  avs_stft_magphase(s2, N, mag2, NULL);
  avs_stft_magphase(mix, N, magm, ph);

  /* ratio mask (no clamp needed here) times the mixture magnitude is the source magnitude */
  avs_mask_ratio(mag1, magm, N, 1e9f, m1);
  avs_mask_apply_mag(m1, magm, N, o);
  tst_close("ratio mask rebuilds |S1|", o, mag1, N, 1e-5f, 1e-5f);
  avs_mask_ratio(mag1, magm, N, 5.0f, m1);
  bool in_range = true;
  for (int i = 0; i < N; i++) in_range &= m1[i] >= 0 && m1[i] <= 5.0f;
  tst_true(in_range, "ratio mask clamped to [0, 5] (Sound of Pixels)");
  float zero = 0, one = 1, r;
  avs_mask_ratio(&one, &zero, 1, 5.0f, &r);
  tst_true(r == 0.0f, "ratio mask is 0 where the mixture is silent");

  /* binary masks of two sources with thr 0.5 against the sum of their magnitudes
   * partition the bins (against the complex mixture's magnitude both may pass) */
  for (int i = 0; i < N; i++) o[i] = mag1[i] + mag2[i];
  avs_mask_binary(mag1, o, N, 0.5f, m1);
  avs_mask_binary(mag2, o, N, 0.5f, m2);
  int both = 0, none = 0, ones = 0;
  for (int i = 0; i < N; i++) both += m1[i] + m2[i] > 1.5f, none += m1[i] + m2[i] < 0.5f, ones += m1[i] == 1.0f;
  tst_true(ones > 0 && ones < N && both == 0 && none == 0,
           "binary masks partition the bins: source 1 has %d of %d (%d in both, %d in neither)", ones, N, both, none);
  avs_mask_binary(mag1, magm, N, 0.5f, m1);
  avs_mask_threshold(m1, N, 0.5f, m2);
  tst_true(memcmp(m1, m2, sizeof(float) * N) == 0, "threshold of a binary mask is itself");

  /* real mask with the mixture's phase */
  for (int i = 0; i < N; i++) m1[i] = 0.5f;
  avs_mask_apply(m1, mix, N, o);
  float want[2 * N];
  for (int i = 0; i < 2 * N; i++) want[i] = 0.5f * mix[i];
  tst_close("real mask keeps the mixture phase", o, want, 2 * N, 1e-6f, 1e-6f);
  avs_stft_polar(magm, ph, N, o);
  tst_close("polar(magphase(x)) = x", o, mix, 2 * N, 1e-5f, 1e-4f);

  /* complex ideal mask */
  avs_mask_complex_ideal(s1, mix, N, c1);
  avs_mask_complex_apply(c1, mix, N, o);
  tst_close("complex ideal mask rebuilds S1", o, s1, 2 * N, 1e-4f, 1e-4f);
  avs_mask_compress(c1, N, 10.0f, 0.1f, o);
  bool bounded = true;
  for (int i = 0; i < 2 * N; i++) bounded &= fabsf(o[i]) < 10.0f;
  tst_true(bounded, "compressed mask within (-K, K)");
  avs_mask_decompress(o, N, 10.0f, 0.1f, back);
  tst_close("decompress(compress(m)) = m", back, c1, 2 * N, 1e-3f, 1e-3f);
  float expect = 10.0f * (1 - expf(-0.2f)) / (1 + expf(-0.2f));
  float pair[2] = {2.0f, -2.0f}, cp[2];
  avs_mask_compress(pair, 1, 10, 0.1f, cp);
  tst_true(fabsf(cp[0] - expect) < 1e-5f && fabsf(cp[1] + expect) < 1e-5f, "compression formula K(1-e^-Cx)/(1+e^-Cx)");

  /* chunked processing */
  enum { L = 100003 };
  float *x = malloc(sizeof(float) * L), *out = malloc(sizeof(float) * L * 2), *w2 = malloc(sizeof(float) * L);
  for (int i = 0; i < L; i++) x[i] = frand(&u), w2[i] = 2.0f * x[i];
  const int64_t shapes[][2] = {{8192, 8192}, {8192, 6144}, {8192, 4096}, {8192, 2000}, {200000, 100}};
  for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
    int calls = 0;
    int rc = avs_mask_chunked(x, L, shapes[k][0], shapes[k][1], 2, identity, &calls, out);
    char what[96];
    snprintf(what, sizeof what, "chunked identity, chunk %lld hop %lld", (long long)shapes[k][0],
             (long long)shapes[k][1]);
    tst_true(rc == 0 && calls > 0, "%s: %d chunks", what, calls);
    tst_close(what, out, x, L, 1e-6f, 1e-6f);
    tst_close("chunked second output (gain 2)", out + L, w2, L, 1e-6f, 1e-6f);
  }
  /* 100003 = 12 x 8192 + 1699: the last window starts at L - 8192, not at 12 x 8192 with zeros after */
  const int64_t gains[][2] = {{8192, 8192}, {8192, 6144}, {8192, 4096}, {30000, 20000}};
  for (size_t k = 0; k < sizeof gains / sizeof *gains; k++) {
    window_log log = {0};
    int64_t chunk = gains[k][0], hop = gains[k][1];
    int rc = avs_mask_chunked(x, L, chunk, hop, 1, gain_per_window, &log, out);
    int64_t want = (L - chunk + hop - 1) / hop + 1;
    int64_t tail = (want - 2) * hop + chunk; /* where the window before the last ends */
    bool flush = rc == 0 && log.calls == want && log.last_in[log.calls - 1] == x[L - 1];
    tst_true(flush, "chunk %lld hop %lld: %d windows (%lld wanted), the last one ends on the signal's last sample",
             (long long)chunk, (long long)hop, log.calls, (long long)want);
    double e0 = 0, e1 = 0;
    for (int64_t i = 0; i < hop; i++) e0 = fmax(e0, fabs(out[i] - window_gain(0) * x[i]));
    for (int64_t i = tail; i < L; i++) e1 = fmax(e1, fabs(out[i] - window_gain(log.calls - 1) * x[i]));
    tst_true(e0 < 1e-6 && e1 < 1e-6, "chunk %lld hop %lld: the start is the first window's alone (%.1g), the end "
             "the last window's (%.1g)", (long long)chunk, (long long)hop, e0, e1);
  }
  tst_true(avs_mask_chunked(x, L, 100, 200, 1, identity, NULL, out) == AVS_EINVAL, "hop > chunk refused");
  tst_true(avs_mask_chunked(x, L, 1000, 500, 1, failing, NULL, out) == AVS_EBACKEND, "a failing chunk stops the run");

  /* chunked STFT -> mask -> ISTFT at the Sound of Pixels setting */
  avs_stft *s = NULL;
  avs_stft_new(&AVS_STFT_SOP, &s);
  avs_clearerr();
  for (int i = 0; i < L; i++) w2[i] = 0.25f * x[i];
  int rc = avs_mask_chunked(x, L, 65535, 49151, 1, stft_gain, s, out);
  tst_true(rc == 0, "chunked STFT masking runs (%s)", avs_errmsg());
  tst_close("chunked STFT masking = 0.25 x", out, w2, L, 1e-5f, 1e-4f);
  avs_stft_free(&s);
  free(x), free(out), free(w2);
  free(s1), free(s2), free(mix), free(m1), free(m2), free(mag1), free(mag2), free(magm), free(o), free(c1);
  free(back), free(ph);
  /* masks among sources: shares of the sum (1/n where all are 0), the dominant source */
  {
    /* 3 sources x 4 bins: bin 3 silent everywhere, bin 2 a tie between sources 0 and 2 */
    const float mag[12] = {1, 0, 2, 0, /**/ 3, 5, 1, 0, /**/ 0, 5, 2, 0};
    float share[12], dom[12], inplace[12];
    avs_mask_share(mag, 3, 4, share);
    avs_mask_dominant(mag, 3, 4, dom);
    memcpy(inplace, mag, sizeof mag);
    avs_mask_share(inplace, 3, 4, inplace);
    const float want_share[12] = {0.25f, 0, 0.4f, 1 / 3.0f, 0.75f, 0.5f, 0.2f, 1 / 3.0f, 0, 0.5f, 0.4f, 1 / 3.0f};
    const float want_dom[12] = {0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0};
    tst_close("share of the sum", share, want_share, 12, 1e-7f, 1e-6f);
    tst_close("share in place", inplace, want_share, 12, 0, 0);
    tst_close("dominant source (first of equals, none in silence)", dom, want_dom, 12, 0, 0);
  }
  return tst_finish();
}
