/* KL-NMF (audio/nmf.h) on synthetic spectrograms:
 *   - the multiplicative updates never increase D(V || WH) (to float rounding:
 *     1e-6 relative per step) and bring a random V's to half where it started;
 *   - two sources with disjoint spectra (bins 0-31 and 32-63), dictionaries
 *     learned from each source alone, a mixture of new activations: the masks
 *     recover each source's magnitudes with SDR above 25 dB, and told the
 *     wrong dictionaries (swapped) the same code scores below 0 dB; spectra
 *     that overlap on a quarter of the bins still above 20 dB;
 *   - with the process precision bf16 (where the CPU has AVX-512) the overlapping
 *     spectra's masks stay within 0.01 of fp32's and the SDRs within 0.3 dB;
 *   - learned dictionaries' columns sum to 1 and keep to their source's bins;
 *   - bad sizes are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/nmf.h"
#include "av/ctx.h"
#include "av/rng.h"
#include "av/status.h"
#include "tests/harness.h"

enum { F = 64, K = 4, T_TRAIN = 300, T = 200, ITERS = 200 };

static float *alloc(size_t n) {
  float *x = calloc(n, sizeof(float));
  AVS_ASSERT(x);
  return x;
}

/* W (F x K): random templates on bins [lo, hi), zero elsewhere. */
static void templates(avs_rng *r, int lo, int hi, float *W) {
  for (int f = 0; f < F; f++)
    for (int k = 0; k < K; k++) W[f * K + k] = f >= lo && f < hi ? avs_rng_uniform(r) : 0;
}

/* H (K x n): sparse-ish activations, uniform squared. */
static void activations(avs_rng *r, int n, float *H) {
  for (int i = 0; i < K * n; i++) {
    float u = avs_rng_uniform(r);
    H[i] = u * u;
  }
}

/* V (F x n) = W H in double, then to float. */
static void product(const float *W, const float *H, int n, int k, float *V) {
  for (int f = 0; f < F; f++)
    for (int t = 0; t < n; t++) {
      double s = 0;
      for (int j = 0; j < k; j++) s += (double)W[f * k + j] * H[j * n + t];
      V[f * n + t] = (float)s;
    }
}

static double sdr(const float *ref, const float *mask, const float *mix, int n) {
  double num = 0, den = 0;
  for (int i = 0; i < n; i++) {
    double e = ref[i] - (mask ? (double)mask[i] : 1.0) * mix[i];
    num += (double)ref[i] * ref[i];
    den += e * e;
  }
  return 10 * log10(num / (den + 1e-30));
}

static void monotone(bool update_w) {
  enum { FF = 40, TT = 60, KK = 5, STEPS = 150 };
  avs_rng r;
  avs_rng_seed(&r, 3);
  float *V = alloc(FF * TT), *W = alloc(FF * KK), *H = alloc(KK * TT);
  for (int i = 0; i < FF * TT; i++) V[i] = avs_rng_uniform(&r) < 0.1f ? 0 : 2 * avs_rng_uniform(&r);
  for (int i = 0; i < FF * KK; i++) W[i] = 0.1f + avs_rng_uniform(&r);
  for (int i = 0; i < KK * TT; i++) H[i] = 0.1f + avs_rng_uniform(&r);
  double d0 = avs_nmf_kl(V, W, H, FF, TT, KK), prev = d0, worst = 0;
  int rc = 0, ups = 0;
  for (int s = 0; s < STEPS && !rc; s++) {
    rc = avs_nmf_update(V, FF, TT, KK, W, H, update_w, 1);
    double d = avs_nmf_kl(V, W, H, FF, TT, KK);
    if (d > prev * (1 + 1e-6)) ups++;
    if (d - prev > worst) worst = d - prev;
    prev = d;
  }
  tst_true(rc == 0, "%s updates run", update_w ? "W and H" : "H only");
  tst_true(ups == 0, "%s updates: D(V||WH) never rises (%d rises, largest %.3g)", update_w ? "W and H" : "H only", ups,
           worst);
  double want = update_w ? 0.5 : 0.6;
  tst_true(prev < want * d0, "%s updates: D from %.1f to %.1f in %d steps (below %.1f of the start)",
           update_w ? "W and H" : "H only", d0, prev, STEPS, want);
  free(V), free(W), free(H);
}

int main(void) {
  monotone(true);
  monotone(false);

  avs_rng r;
  avs_rng_seed(&r, 11);
  float *Wa = alloc(F * K), *Wb = alloc(F * K), *Ha = alloc(K * T_TRAIN), *Hb = alloc(K * T_TRAIN);
  float *Va = alloc(F * T_TRAIN), *Vb = alloc(F * T_TRAIN), *Da = alloc(F * K), *Db = alloc(F * K);
  templates(&r, 0, F / 2, Wa);
  templates(&r, F / 2, F, Wb);
  activations(&r, T_TRAIN, Ha);
  activations(&r, T_TRAIN, Hb);
  product(Wa, Ha, T_TRAIN, K, Va);
  product(Wb, Hb, T_TRAIN, K, Vb);
  int ra = avs_nmf_learn(Va, F, T_TRAIN, K, ITERS, 1, Da), rb = avs_nmf_learn(Vb, F, T_TRAIN, K, ITERS, 2, Db);
  tst_true(ra == 0 && rb == 0, "dictionaries learned (%s)", ra || rb ? avs_errmsg() : "ok");
  double col_err = 0, leak = 0, total = 0;
  for (int k = 0; k < K; k++) {
    double sa = 0, sb = 0;
    for (int f = 0; f < F; f++) {
      sa += Da[f * K + k], sb += Db[f * K + k];
      leak += f < F / 2 ? Db[f * K + k] : Da[f * K + k];
      total += Da[f * K + k] + Db[f * K + k];
    }
    col_err = fmax(col_err, fmax(fabs(sa - 1), fabs(sb - 1)));
  }
  tst_true(col_err < 1e-5, "dictionary columns sum to 1 (largest error %.2e)", col_err);
  tst_true(leak < 1e-3 * total, "each dictionary keeps to its source's bins (%.2e of the weight outside)",
           leak / total);

  /* a mixture of new activations */
  float *A = alloc(F * T), *B = alloc(F * T), *mix = alloc(F * T), *masks = alloc(2 * F * T);
  activations(&r, T, Ha);
  activations(&r, T, Hb);
  product(Wa, Ha, T, K, A);
  product(Wb, Hb, T, K, B);
  for (int i = 0; i < F * T; i++) mix[i] = A[i] + B[i];
  const float *dict[2] = {Da, Db};
  int rc = avs_nmf_separate(mix, F, T, dict, 2, K, ITERS, 7, masks);
  double sum_err = 0;
  for (int i = 0; i < F * T; i++) sum_err = fmax(sum_err, fabs(masks[i] + masks[F * T + i] - 1));
  tst_true(rc == 0 && sum_err < 1e-6, "the masks share the mixture (sum 1 within %.1e)", sum_err);
  double sa = sdr(A, masks, mix, F * T), sb = sdr(B, masks + F * T, mix, F * T);
  tst_true(sa > 25 && sb > 25, "disjoint spectra separated: SDR %.1f dB and %.1f dB (bound 25 dB)", sa, sb);
  const float *swapped[2] = {Db, Da};
  rc = avs_nmf_separate(mix, F, T, swapped, 2, K, ITERS, 7, masks);
  sa = sdr(A, masks, mix, F * T), sb = sdr(B, masks + F * T, mix, F * T);
  tst_true(rc == 0 && sa < 0 && sb < 0, "told the wrong dictionaries: SDR %.1f dB and %.1f dB (below 0 dB)", sa, sb);

  /* overlapping spectra (bins 0-39 and 24-63): still well above the mixture */
  templates(&r, 0, 40, Wa);
  templates(&r, 24, F, Wb);
  activations(&r, T_TRAIN, Ha);
  activations(&r, T_TRAIN, Hb);
  product(Wa, Ha, T_TRAIN, K, Va);
  product(Wb, Hb, T_TRAIN, K, Vb);
  ra = avs_nmf_learn(Va, F, T_TRAIN, K, ITERS, 1, Da), rb = avs_nmf_learn(Vb, F, T_TRAIN, K, ITERS, 2, Db);
  activations(&r, T, Ha);
  activations(&r, T, Hb);
  product(Wa, Ha, T, K, A);
  product(Wb, Hb, T, K, B);
  for (int i = 0; i < F * T; i++) mix[i] = A[i] + B[i];
  rc = avs_nmf_separate(mix, F, T, dict, 2, K, ITERS, 7, masks);
  sa = sdr(A, masks, mix, F * T), sb = sdr(B, masks + F * T, mix, F * T);
  double ma = sdr(A, NULL, mix, F * T), mb = sdr(B, NULL, mix, F * T);
  tst_true(ra == 0 && rb == 0 && rc == 0 && sa > 20 && sb > 20,
           "overlapping spectra: SDR %.1f dB and %.1f dB (bound 20 dB; the mixture %.1f and %.1f dB)", sa, sb, ma, mb);

  /* the same in bf16 (the process precision): the masks of fp32's within 0.01, the SDRs within 0.3 dB */
  avs_precision bf16;
  if (avs_precision_parse("bf16", &bf16) == AVS_OK) {
    float *m16 = alloc(2 * F * T);
    avs_precision_set_default(AVS_BF16);
    rc = avs_nmf_separate(mix, F, T, dict, 2, K, ITERS, 7, m16);
    avs_precision_set_default(AVS_FP32);
    double off = 0;
    for (int i = 0; i < 2 * F * T; i++) off = fmax(off, fabs(m16[i] - masks[i]));
    double ha = sdr(A, m16, mix, F * T), hb = sdr(B, m16 + F * T, mix, F * T);
    tst_true(rc == 0 && off < 0.01 && fabs(ha - sa) < 0.3 && fabs(hb - sb) < 0.3 && off > 0,
             "bf16 products: masks %.4f off fp32's (bound 0.01, not 0), SDR %.2f and %.2f dB (fp32 %.2f, %.2f)", off,
             ha, hb, sa, sb);
    free(m16);
  } else {
    printf("no bf16 on this CPU: %s\n", avs_errmsg());
  }

  /* bad sizes */
  tst_true(avs_nmf_learn(Va, F, 3, K, 10, 1, Da) == AVS_EINVAL && strstr(avs_errmsg(), "components"),
           "fewer frames than components: %s", avs_errmsg());
  tst_true(avs_nmf_update(Va, 0, T, K, Da, Ha, true, 1) == AVS_EINVAL, "zero bins: %s", avs_errmsg());
  tst_true(avs_nmf_separate(mix, F, T, dict, 0, K, 10, 7, masks) == AVS_EINVAL, "no sources: %s", avs_errmsg());
  free(Wa), free(Wb), free(Ha), free(Hb), free(Va), free(Vb), free(Da), free(Db);
  free(A), free(B), free(mix), free(masks);
  return tst_finish();
}
