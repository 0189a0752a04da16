/* BSS Eval v3, NSDR and SI-SDR against mir_eval 0.7 (gen_metrics.py):
 * every SDR/SIR/SAR/NSDR within 0.01 dB, the same permutation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/metrics.h"
#include "tests/harness.h"

#define TOL_DB 0.01

static double worst;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool near_db(const char *what, int j, double got, double want) {
  double d = fabs(got - want);
  if (isfinite(d) && d > worst) worst = d;
  return tst_true(d <= TOL_DB, "%-22s source %d: %9.4f dB, mir_eval %9.4f dB (diff %.2e)", what, j + 1, got, want, d);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[256], what[64];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    avs_tensor *ref = tst_tensor(st, "%s.ref", name), *est = tst_tensor(st, "%s.est", name);
    avs_tensor *mix = tst_tensor(st, "%s.mix", name);
    avs_tensor *sdr = tst_tensor(st, "%s.sdr", name), *sir = tst_tensor(st, "%s.sir", name);
    avs_tensor *sar = tst_tensor(st, "%s.sar", name), *perm = tst_tensor(st, "%s.perm", name);
    avs_tensor *nsdr = tst_tensor(st, "%s.nsdr", name), *si = tst_tensor(st, "%s.si_sdr", name);
    const bool permute = tst_meta_int(st, "%s.permute", name);
    const int ns = (int)ref->shape[0];
    const int64_t n = ref->shape[1];
    const float *r[8], *e[8];
    for (int j = 0; j < ns; j++) r[j] = ref->data + j * n, e[j] = est->data + j * n;
    avs_bss_result res[8];
    double t0 = now();
    int rc = avs_metrics_bss_eval(r, e, ns, n, permute, res);
    double t1 = now();
    if (!tst_true(rc == 0, "%s: bss_eval runs, %d sources x %lld samples, %.2f s (%s)", name, ns, (long long)n,
                  t1 - t0, avs_errmsg()))
      continue;
    for (int j = 0; j < ns; j++) {
      snprintf(what, sizeof what, "%s SDR", name);
      near_db(what, j, res[j].sdr, sdr->data[j]);
      snprintf(what, sizeof what, "%s SIR", name);
      near_db(what, j, res[j].sir, sir->data[j]);
      snprintf(what, sizeof what, "%s SAR", name);
      near_db(what, j, res[j].sar, sar->data[j]);
      tst_true(res[j].est == (int)perm->data[j], "%s: reference %d <- estimate %d (mir_eval %d)", name, j + 1,
               res[j].est + 1, (int)perm->data[j] + 1);
      double s = avs_metrics_si_sdr(r[j], e[res[j].est], n, true);
      snprintf(what, sizeof what, "%s SI-SDR", name);
      near_db(what, j, s, si->data[j]);
    }
    double ns_got[8];
    rc = avs_metrics_nsdr(r, e, mix->data, ns, n, permute, res, ns_got);
    if (tst_true(rc == 0, "%s: nsdr runs (%s)", name, avs_errmsg()))
      for (int j = 0; j < ns; j++) {
        snprintf(what, sizeof what, "%s NSDR", name);
        near_db(what, j, ns_got[j], nsdr->data[j]);
      }
    /* both in one pass (one decomposition of the references): the same numbers, bit for bit */
    avs_bss_result both[8];
    double ns_both[8];
    rc = avs_metrics_bss_eval_nsdr(r, e, mix->data, ns, n, permute, both, ns_both);
    bool same = rc == 0;
    for (int j = 0; same && j < ns; j++)
      same = both[j].est == res[j].est && both[j].sdr == res[j].sdr && both[j].sir == res[j].sir &&
             both[j].sar == res[j].sar && ns_both[j] == ns_got[j];
    tst_true(same, "%s: bss_eval_nsdr gives bss_eval's and nsdr's numbers exactly (%s)", name,
             rc ? avs_errmsg() : "ok");
    avs_tensor_free(&ref), avs_tensor_free(&est), avs_tensor_free(&mix), avs_tensor_free(&sdr);
    avs_tensor_free(&sir), avs_tensor_free(&sar), avs_tensor_free(&perm), avs_tensor_free(&nsdr);
    avs_tensor_free(&si);
  }
  avs_st_close(&st);
  printf("largest difference from mir_eval: %.2e dB\n", worst);

  /* perfect estimate: +inf SIR/SAR/SDR as mir_eval (zero error terms) are fine, but
   * the definition needs non-silent sources: a silent one is refused */
  enum { N = 2000 };
  static float a[N], b[N], z[N];
  unsigned u = 1;
  for (int i = 0; i < N; i++) {
    u = u * 1664525u + 1013904223u;
    a[i] = (float)((u >> 8) & 0xffff) / 65536.0f - 0.5f;
    b[i] = sinf(0.05f * i) * 0.3f + 0.1f * a[(i * 7) % N];
  }
  const float *rr[2] = {a, b}, *ez[2] = {a, z};
  avs_bss_result res[2];
  tst_true(avs_metrics_bss_eval(rr, ez, 2, N, true, res) == AVS_EINVAL, "silent estimate refused: %s", avs_errmsg());
  const float *rz[2] = {z, b};
  tst_true(avs_metrics_bss_eval(rz, rr, 2, N, true, res) == AVS_EINVAL, "silent reference refused: %s", avs_errmsg());
  z[5] = NAN;
  const float *en[2] = {a, z};
  tst_true(avs_metrics_bss_eval(rr, en, 2, N, true, res) == AVS_EINVAL, "NaN estimate refused: %s", avs_errmsg());
  tst_true(avs_metrics_bss_eval(rr, rr, 0, N, true, res) == AVS_EINVAL, "zero sources refused");
  tst_true(isinf(avs_metrics_si_sdr(a, a, N, true)), "SI-SDR of a perfect estimate is +inf");
  float s2[N];
  for (int i = 0; i < N; i++) s2[i] = 3.0f * a[i];
  tst_true(avs_metrics_si_sdr(a, s2, N, false) > 100, "SI-SDR ignores scale");

  /* references no score means anything for: too short, silent, constant, tiny, the same signal twice */
  static float dc[N], tiny[N];
  for (int i = 0; i < N; i++) dc[i] = 0.25f, tiny[i] = (i % 2 ? 1e-40f : -1e-40f);
  tst_true(avs_metrics_check_references(rr, 2, N) == AVS_OK, "two distinct references pass");
  tst_true(avs_metrics_check_references(rr, 2, 1) == AVS_EINVAL && strstr(avs_errmsg(), "too short to score: 1 sample,"),
           "1 sample: %s", avs_errmsg());
  tst_true(avs_metrics_check_references(rr, 2, AVS_BSS_FILTER_LEN - 1) == AVS_EINVAL, "511 samples: too short");
  const float *rdc[2] = {a, dc}, *rtiny[2] = {tiny, b}, *rsame[3] = {a, b, s2};
  tst_true(avs_metrics_check_references(rdc, 2, N) == AVS_EINVAL && strstr(avs_errmsg(), "reference 2 is silent or constant"),
           "a DC reference: %s", avs_errmsg());
  tst_true(avs_metrics_check_references(rtiny, 2, N) == AVS_EINVAL && strstr(avs_errmsg(), "reference 1 is silent"),
           "a 1e-40 reference: %s", avs_errmsg());
  tst_true(avs_metrics_check_references(rsame, 3, N) == AVS_EINVAL && strstr(avs_errmsg(), "references 1 and 3 are the same"),
           "a reference and 3x itself: %s", avs_errmsg());
  return tst_finish();
}
