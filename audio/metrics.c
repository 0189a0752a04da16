#include "audio/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"

/* LAPACK (in OpenBLAS), Fortran calling convention with the hidden lengths. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t);
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void dgetrs_(const char *trans, const int *n, const int *nrhs, const double *a, const int *lda, const int *ipiv,
             double *b, const int *ldb, int *info, size_t);
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
             double *s, const double *rcond, int *rank, double *work, const int *lwork, int *iwork, int *info);

#define MAX_SOURCES 100
#define MAX_PERMUTE 8

/* A factorised Gram matrix of delayed references: Cholesky, else LU, else
 * least squares on the original (np.linalg.solve, then lstsq, in mir_eval). */
typedef struct {
  int dim, method; /* 0 Cholesky, 1 LU, 2 least squares */
  double *f;       /* factors (or the original for least squares) */
  int *ipiv;
} gram;

typedef struct {
  int nsrc, L;
  int64_t n, np; /* samples; n + L - 1 */
  double **r;    /* references, zero-padded to np */
  gram all;      /* nsrc*L */
  gram *one;     /* L each */
  double *rhs, *coef, *pall, *pj, *e;
} bss;

static int gram_factor(gram *g, const double *G, int dim) {
  g->dim = dim;
  g->f = malloc(sizeof(double) * (size_t)dim * dim);
  if (!g->f) return avs_seterr(AVS_ENOMEM, "out of memory for BSS Eval (%d x %d)", dim, dim);
  memcpy(g->f, G, sizeof(double) * (size_t)dim * dim);
  int info = 0;
  dpotrf_("L", &dim, g->f, &dim, &info, 1);
  if (info == 0) {
    g->method = 0;
    return AVS_OK;
  }
  memcpy(g->f, G, sizeof(double) * (size_t)dim * dim);
  g->ipiv = malloc(sizeof(int) * (size_t)dim);
  if (!g->ipiv) return avs_seterr(AVS_ENOMEM, "out of memory");
  dgetrf_(&dim, &dim, g->f, &dim, g->ipiv, &info);
  if (info == 0) {
    g->method = 1;
    return AVS_OK;
  }
  memcpy(g->f, G, sizeof(double) * (size_t)dim * dim);
  g->method = 2;
  avs_log(AVS_LOG_DEBUG, "bss_eval: singular Gram matrix, least squares");
  return AVS_OK;
}

static int gram_solve(const gram *g, double *b) {
  int info = 0, one = 1, dim = g->dim;
  if (g->method == 0) {
    dpotrs_("L", &dim, &one, g->f, &dim, b, &dim, &info, 1);
  } else if (g->method == 1) {
    dgetrs_("N", &dim, &one, g->f, &dim, g->ipiv, b, &dim, &info, 1);
  } else {
    double *a = malloc(sizeof(double) * (size_t)dim * dim), *s = malloc(sizeof(double) * (size_t)dim);
    int *iw = malloc(sizeof(int) * (size_t)dim * 40);
    double rcond = -1, wq;
    int rank, lwork = -1;
    if (!a || !s || !iw) {
      free(a), free(s), free(iw);
      return avs_seterr(AVS_ENOMEM, "out of memory");
    }
    memcpy(a, g->f, sizeof(double) * (size_t)dim * dim);
    dgelsd_(&dim, &dim, &one, a, &dim, b, &dim, s, &rcond, &rank, &wq, &lwork, iw, &info);
    lwork = (int)wq + 1;
    double *w = malloc(sizeof(double) * (size_t)lwork);
    if (w) dgelsd_(&dim, &dim, &one, a, &dim, b, &dim, s, &rcond, &rank, w, &lwork, iw, &info);
    free(w), free(a), free(s), free(iw);
    if (!w) return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  if (info != 0) return avs_seterr(AVS_EBACKEND, "bss_eval: LAPACK solve failed (info %d)", info);
  return AVS_OK;
}

static void gram_free(gram *g) {
  free(g->f);
  free(g->ipiv);
  g->f = NULL, g->ipiv = NULL;
}

/* x[i] . y[i + k] over the overlap: sum_m y[m + k] x[m] for |k| < n. */
static double xcorr(const double *x, const double *y, int64_t n, int64_t k) {
  double s = 0;
  if (k >= 0) {
#pragma omp simd reduction(+ : s)
    for (int64_t m = 0; m < n - k; m++) s += y[m + k] * x[m];
  } else {
#pragma omp simd reduction(+ : s)
    for (int64_t m = -k; m < n; m++) s += y[m + k] * x[m];
  }
  return s;
}

static void bss_free(bss *b) {
  if (b->r)
    for (int i = 0; i < b->nsrc; i++) free(b->r[i]);
  free(b->r);
  gram_free(&b->all);
  if (b->one)
    for (int i = 0; i < b->nsrc; i++) gram_free(&b->one[i]);
  free(b->one);
  free(b->rhs), free(b->coef), free(b->pall), free(b->pj), free(b->e);
  memset(b, 0, sizeof *b);
}

static int check_sources(const float *const *s, int nsrc, int64_t n, const char *what) {
  for (int j = 0; j < nsrc; j++) {
    bool nonzero = false;
    for (int64_t i = 0; i < n; i++) {
      if (!isfinite(s[j][i]))
        return avs_seterr(AVS_EINVAL, "%s source %d has a non-finite sample at %lld", what, j + 1, (long long)i);
      nonzero |= s[j][i] != 0.0f;
    }
    if (!nonzero)
      return avs_seterr(AVS_EINVAL, "%s source %d is silent (all zeros): BSS Eval is undefined for it", what, j + 1);
  }
  return AVS_OK;
}

static int bss_init(bss *b, const float *const *ref, int nsrc, int64_t n) {
  memset(b, 0, sizeof *b);
  const int L = AVS_BSS_FILTER_LEN;
  b->nsrc = nsrc, b->L = L, b->n = n, b->np = n + L - 1;
  const int dim = nsrc * L;
  int rc = AVS_OK;
  double *G = NULL, *R = NULL; /* G: calloc, every entry is written below */
  b->r = calloc((size_t)nsrc, sizeof *b->r);
  b->one = calloc((size_t)nsrc, sizeof *b->one);
  b->rhs = malloc(sizeof(double) * (size_t)dim);
  b->coef = malloc(sizeof(double) * (size_t)dim);
  b->pall = malloc(sizeof(double) * (size_t)b->np);
  b->pj = malloc(sizeof(double) * (size_t)b->np);
  b->e = calloc((size_t)b->np, sizeof(double));
  G = calloc((size_t)dim * dim, sizeof(double));
  R = malloc(sizeof(double) * (size_t)(2 * L - 1));
  if (!b->r || !b->one || !b->rhs || !b->coef || !b->pall || !b->pj || !b->e || !G || !R) goto oom;
  for (int i = 0; i < nsrc; i++) {
    b->r[i] = calloc((size_t)b->np, sizeof(double));
    if (!b->r[i]) goto oom;
    for (int64_t t = 0; t < n; t++) b->r[i][t] = ref[i][t];
  }
  /* G[(i,a),(j,b)] = <r_i delayed a, r_j delayed b> = R_ij(b - a), R_ij(k) = sum_m r_i[m + k] r_j[m] */
  for (int i = 0; i < nsrc; i++)
    for (int j = i; j < nsrc; j++) {
#pragma omp parallel for schedule(static)
      for (int k = -(L - 1); k <= L - 1; k++) R[k + L - 1] = xcorr(b->r[j], b->r[i], n, k);
      for (int a = 0; a < L; a++)
        for (int c = 0; c < L; c++) {
          double v = R[c - a + L - 1];
          G[(int64_t)(i * L + a) * dim + (j * L + c)] = v;
          G[(int64_t)(j * L + c) * dim + (i * L + a)] = v;
        }
    }
  if ((rc = gram_factor(&b->all, G, dim))) goto fail;
  if (nsrc == 1) {
    if ((rc = gram_factor(&b->one[0], G, L))) goto fail;
  } else {
    double *Gj = malloc(sizeof(double) * (size_t)L * L);
    if (!Gj) goto oom;
    for (int j = 0; j < nsrc; j++) {
      for (int a = 0; a < L; a++)
        memcpy(Gj + (int64_t)a * L, G + (int64_t)(j * L + a) * dim + j * L, sizeof(double) * (size_t)L);
      if ((rc = gram_factor(&b->one[j], Gj, L))) {
        free(Gj);
        goto fail;
      }
    }
    free(Gj);
  }
  free(G), free(R);
  return AVS_OK;
oom:
  rc = avs_seterr(AVS_ENOMEM, "out of memory for BSS Eval of %d sources x %lld samples", nsrc, (long long)n);
fail:
  free(G), free(R);
  bss_free(b);
  return rc;
}

/* out = sum_{i in srcs} sum_a coef[i*L + a] r_i[t - a], t < np. */
static void project(const bss *b, const int *srcs, int ns, const double *coef, double *out) {
  const int L = b->L;
  const int64_t np = b->np, CH = 4096;
  const int64_t nch = (np + CH - 1) / CH;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < nch; c++) {
    int64_t t0 = c * CH, t1 = t0 + CH < np ? t0 + CH : np;
    memset(out + t0, 0, sizeof(double) * (size_t)(t1 - t0));
    for (int q = 0; q < ns; q++) {
      const double *r = b->r[srcs[q]];
      const double *cf = coef + q * L;
      for (int a = 0; a < L; a++) {
        const double w = cf[a];
        int64_t lo = t0 > a ? t0 : a; /* r index t - a >= 0 */
#pragma omp simd
        for (int64_t t = lo; t < t1; t++) out[t] += w * r[t - a];
      }
    }
  }
}

/* rhs[(i,a)] = <r_i delayed a, e> for every reference i: computed once per
 * estimate, its slices serve each single-reference projection too. */
static void estimate_rhs(bss *b) {
  const int L = b->L;
  for (int i = 0; i < b->nsrc; i++) {
    const double *r = b->r[i];
#pragma omp parallel for schedule(static)
    for (int a = 0; a < L; a++) b->rhs[i * L + a] = xcorr(r, b->e, b->n, a); /* sum_m e[m + a] r[m] */
  }
}

/* Projects e onto the references srcs (consecutive: first, first + 1, ...):
 * rhs slice solved against the chosen Gram matrix. */
static int solve_for(bss *b, const int *srcs, int ns, const gram *g, double *out) {
  const int L = b->L;
  memcpy(b->coef, b->rhs + srcs[0] * L, sizeof(double) * (size_t)(ns * L));
  int rc = gram_solve(g, b->coef);
  if (rc) return rc;
  project(b, srcs, ns, b->coef, out);
  return AVS_OK;
}

static double safe_db(double num, double den) { return den == 0 ? INFINITY : 10.0 * log10(num / den); }

/* Criteria of estimate e against every reference (only < 0) or reference
 * `only`: sdr[j], sir[j], sar[j]. */
static int bss_row(bss *b, const float *est, int only, double *sdr, double *sir, double *sar) {
  const int64_t n = b->n, np = b->np;
  for (int64_t t = 0; t < n; t++) b->e[t] = est[t];
  int all[MAX_SOURCES];
  for (int i = 0; i < b->nsrc; i++) all[i] = i;
  estimate_rhs(b);
  int rc = solve_for(b, all, b->nsrc, &b->all, b->pall);
  if (rc) return rc;
  double e_art = 0, s_all = 0;
  for (int64_t t = 0; t < np; t++) {
    double d = b->e[t] - b->pall[t];
    e_art += d * d;
    s_all += b->pall[t] * b->pall[t];
  }
  for (int j = 0; j < b->nsrc; j++) {
    if (only >= 0 && j != only) continue;
    if ((rc = solve_for(b, &j, 1, &b->one[j], b->pj))) return rc;
    /* s_filt = P_j e; e_interf = P_all e - P_j e; e_artif = e - P_all e */
    double sf = 0, ei = 0, eia = 0;
    for (int64_t t = 0; t < np; t++) {
      const double strue = t < n ? b->r[j][t] : 0.0;
      const double espat = b->pj[t] - strue;
      const double sfilt = strue + espat;
      const double eint = b->pall[t] - strue - espat;
      const double eart = -strue - espat - eint + b->e[t];
      sf += sfilt * sfilt;
      ei += eint * eint;
      eia += (eint + eart) * (eint + eart);
    }
    sdr[j] = safe_db(sf, eia);
    sir[j] = safe_db(sf, ei);
    sar[j] = safe_db(s_all, e_art);
  }
  return AVS_OK;
}

static bool next_perm(int *p, int n) {
  int i = n - 2;
  while (i >= 0 && p[i] >= p[i + 1]) i--;
  if (i < 0) return false;
  int j = n - 1;
  while (p[j] <= p[i]) j--;
  int t = p[i];
  p[i] = p[j], p[j] = t;
  for (int a = i + 1, z = n - 1; a < z; a++, z--) t = p[a], p[a] = p[z], p[z] = t;
  return true;
}

static int check_args(const float *const *ref, const float *const *est, int nsrc, int64_t n, bool permute) {
  if (nsrc < 1 || nsrc > MAX_SOURCES) return avs_seterr(AVS_EINVAL, "bss_eval: %d sources (1..%d)", nsrc, MAX_SOURCES);
  if (n < 1) return avs_seterr(AVS_EINVAL, "bss_eval: empty signals");
  if (permute && nsrc > MAX_PERMUTE)
    return avs_seterr(AVS_EINVAL, "bss_eval: trying every permutation of %d sources is too slow (at most %d)", nsrc,
                      MAX_PERMUTE);
  int rc = check_sources(ref, nsrc, n, "reference");
  return rc ? rc : check_sources(est, nsrc, n, "estimated");
}

/* BSS Eval of the estimates against references already decomposed in b:
 * every (estimate, reference) pair once (only the diagonal without permute),
 * then the permutation chosen from that matrix. */
static int bss_eval_with(bss *b, const float *const *est, bool permute, avs_bss_result *res) {
  const int nsrc = b->nsrc;
  int rc = AVS_OK;
  /* m[jest][jtrue] */
  double *m = malloc(sizeof(double) * 3 * (size_t)nsrc * nsrc);
  if (!m) return avs_seterr(AVS_ENOMEM, "out of memory");
  double *sdr = m, *sir = m + nsrc * nsrc, *sar = m + 2 * nsrc * nsrc;
  for (int je = 0; je < nsrc; je++) /* without permutations only the diagonal is needed */
    if ((rc = bss_row(b, est[je], permute ? -1 : je, sdr + je * nsrc, sir + je * nsrc, sar + je * nsrc))) goto done;
  int perm[MAX_SOURCES], best[MAX_SOURCES];
  for (int i = 0; i < nsrc; i++) perm[i] = best[i] = i;
  if (permute) {
    double best_mean = -INFINITY;
    bool first = true;
    do {
      double s = 0;
      for (int j = 0; j < nsrc; j++) s += sir[perm[j] * nsrc + j];
      s /= nsrc;
      if (first || s > best_mean) {
        best_mean = s;
        memcpy(best, perm, sizeof(int) * (size_t)nsrc);
        first = false;
      }
    } while (next_perm(perm, nsrc));
  }
  for (int j = 0; j < nsrc; j++) {
    res[j].est = best[j];
    res[j].sdr = sdr[best[j] * nsrc + j];
    res[j].sir = sir[best[j] * nsrc + j];
    res[j].sar = sar[best[j] * nsrc + j];
  }
done:
  free(m);
  return rc;
}

int avs_metrics_bss_eval(const float *const *ref, const float *const *est, int nsrc, int64_t n, bool permute,
                         avs_bss_result *res) {
  bss b;
  int rc = check_args(ref, est, nsrc, n, permute);
  if (rc || (rc = bss_init(&b, ref, nsrc, n))) return rc;
  rc = bss_eval_with(&b, est, permute, res);
  bss_free(&b);
  return rc;
}

/* nsdr[j] from the estimates' SDR in res and the mixture's row in b. */
static int nsdr_with(bss *b, const float *mix, const avs_bss_result *res, double *nsdr) {
  double sdr[MAX_SOURCES], sir[MAX_SOURCES], sar[MAX_SOURCES];
  int rc = bss_row(b, mix, -1, sdr, sir, sar);
  if (rc) return rc;
  for (int j = 0; j < b->nsrc; j++) nsdr[j] = res[j].sdr - sdr[j];
  return AVS_OK;
}

int avs_metrics_bss_eval_nsdr(const float *const *ref, const float *const *est, const float *mix, int nsrc,
                              int64_t n, bool permute, avs_bss_result *res, double *nsdr) {
  bss b;
  int rc = check_args(ref, est, nsrc, n, permute);
  if (rc || (rc = check_sources(&mix, 1, n, "mixture")) || (rc = bss_init(&b, ref, nsrc, n))) return rc;
  rc = bss_eval_with(&b, est, permute, res);
  if (!rc) rc = nsdr_with(&b, mix, res, nsdr);
  bss_free(&b);
  return rc;
}

double avs_metrics_si_sdr(const float *ref, const float *est, int64_t n, bool zero_mean) {
  double mr = 0, me = 0;
  if (zero_mean && n > 0) {
    for (int64_t i = 0; i < n; i++) mr += ref[i], me += est[i];
    mr /= n, me /= n;
  }
  double rr = 0, re = 0;
  for (int64_t i = 0; i < n; i++) {
    double r = ref[i] - mr, e = est[i] - me;
    rr += r * r;
    re += r * e;
  }
  if (!(rr > 0)) return NAN;
  const double alpha = re / rr;
  double tt = 0, nn = 0;
  for (int64_t i = 0; i < n; i++) {
    double t = alpha * (ref[i] - mr), d = (est[i] - me) - t;
    tt += t * t;
    nn += d * d;
  }
  return safe_db(tt, nn);
}

int avs_metrics_nsdr(const float *const *ref, const float *const *est, const float *mix, int nsrc, int64_t n,
                     bool permute, const avs_bss_result *res, double *nsdr) {
  avs_bss_result own[MAX_SOURCES];
  if (nsrc < 1 || nsrc > MAX_SOURCES) return avs_seterr(AVS_EINVAL, "nsdr: %d sources (1..%d)", nsrc, MAX_SOURCES);
  if (!res) return avs_metrics_bss_eval_nsdr(ref, est, mix, nsrc, n, permute, own, nsdr);
  bss b;
  int rc = check_sources(&mix, 1, n, "mixture");
  if (rc || (rc = bss_init(&b, ref, nsrc, n))) return rc;
  rc = nsdr_with(&b, mix, res, nsdr);
  bss_free(&b);
  return rc;
}

/* Below this RMS (about -120 dBFS, under 16-bit quantisation) after removing
 * the mean, a reference is silence or a constant: every ratio is 0/0. */
#define MIN_REF_RMS 1e-6

int avs_metrics_check_references(const float *const *ref, int nsrc, int64_t n) {
  if (n < AVS_BSS_FILTER_LEN)
    return avs_seterr(AVS_EINVAL, "too short to score: %lld sample%s, BSS Eval needs at least %d (its filter length)",
                      (long long)n, n == 1 ? "" : "s", AVS_BSS_FILTER_LEN);
  double dot[MAX_SOURCES][MAX_SOURCES];
  for (int i = 0; i < nsrc && i < MAX_SOURCES; i++) {
    double mean = 0, var = 0;
    for (int64_t t = 0; t < n; t++) mean += ref[i][t];
    mean /= (double)n;
    for (int64_t t = 0; t < n; t++) var += (ref[i][t] - mean) * (ref[i][t] - mean);
    if (!(sqrt(var / (double)n) >= MIN_REF_RMS))
      return avs_seterr(AVS_EINVAL, "reference %d is silent or constant (RMS %.3g around its mean): nothing to score",
                        i + 1, sqrt(var / (double)n));
    for (int j = 0; j <= i; j++) {
      double d = 0;
      for (int64_t t = 0; t < n; t++) d += (double)ref[i][t] * ref[j][t];
      dot[i][j] = d;
    }
    /* the same signal twice (up to scale): no decomposition tells them apart */
    for (int j = 0; j < i; j++)
      if (fabs(dot[i][j]) >= (1 - 1e-9) * sqrt(dot[i][i] * dot[j][j]))
        return avs_seterr(AVS_EINVAL, "references %d and %d are the same signal (up to scale): nothing tells them apart",
                          j + 1, i + 1);
  }
  return AVS_OK;
}
