#include "audio/stft.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fftw3.h>

#include "av/status.h"

#define BLOCK 16 /* frames per work item: transposed writes stay in cache lines */
#define OLA_CHUNK 8192

struct avs_stft {
  avs_stft_cfg cfg;
  int bins, wl;        /* wl: where the window starts inside the frame */
  int bs;              /* stride of frames in tout: bins rounded up so every frame stays 32-byte aligned */
  float *window;       /* n_fft */
  float *wwin;         /* window / n_fft over [wl, wl+win): the ISTFT synthesis window */
  fftwf_plan r2c, c2r;
  /* Even n_fft = 2K whose K has a large prime factor (Sound of Pixels' 1022 =
   * 2 * 7 * 73): FFTW's prime-size algorithms are slow there (~12 us per frame
   * against ~1.3 us at 1024). Those sizes pack the frame into a K-point complex
   * sequence and take its DFT with Bluestein's chirp-z over power-of-two
   * complex FFTs of M >= 2K - 1 points, as pocketfft does. */
  bool blue;
  int K, M;
  fftwf_plan cf, cb;        /* M-point complex forward / backward, in place */
  fftwf_complex *chirp;     /* K: exp(-i pi n^2 / K) */
  fftwf_complex *bfft;      /* M: FFT of the conjugate chirp, divided by M */
  fftwf_complex *tw;        /* K + 1: exp(-2 pi i k / n_fft) */
  fftwf_complex **tblu;     /* per thread: M complex */
  int nthreads;
  float **tin;         /* per thread: n_fft reals (aligned) */
  fftwf_complex **tout;/* per thread: BLOCK * bins complex (aligned) */
  float **tacc;        /* per thread: 2 * OLA_CHUNK (ISTFT sums and envelope) */
  float *frames;       /* ISTFT: frames * win windowed time signals */
  int64_t frames_cap;
};

/* ---- wisdom ------------------------------------------------------------- */

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
static char wisdom_path[1024];
static int wisdom_loaded;

/* FFTW's planner is not thread-safe: every plan in the library is made between these. */
void avs_fftw_plan_begin(void) { pthread_mutex_lock(&planner_lock); }
void avs_fftw_plan_end(void) { pthread_mutex_unlock(&planner_lock); }

static void mkdirs_for(const char *file) {
  char d[1024];
  snprintf(d, sizeof d, "%s", file);
  for (char *p = d + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(d, 0755);
      *p = '/';
    }
}

const char *avs_stft_wisdom_path(void) {
  pthread_mutex_lock(&planner_lock);
  if (!wisdom_path[0]) {
    const char *env = getenv("AVS_FFTW_WISDOM"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (env && (!*env || !strcmp(env, "none") || !strcmp(env, "0")))
      snprintf(wisdom_path, sizeof wisdom_path, "-");
    else if (env)
      snprintf(wisdom_path, sizeof wisdom_path, "%s", env);
    else if (xdg && *xdg)
      snprintf(wisdom_path, sizeof wisdom_path, "%s/avs/fftw3f.wisdom", xdg);
    else if (home && *home)
      snprintf(wisdom_path, sizeof wisdom_path, "%s/.cache/avs/fftw3f.wisdom", home);
    else
      snprintf(wisdom_path, sizeof wisdom_path, "-");
  }
  pthread_mutex_unlock(&planner_lock);
  return strcmp(wisdom_path, "-") ? wisdom_path : "";
}

/* Called with planner_lock held. */
static void wisdom_save_if_changed(const char *before) {
  if (!strcmp(wisdom_path, "-")) return;
  char *after = fftwf_export_wisdom_to_string();
  if (!after) return;
  if (!before || strcmp(before, after)) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", wisdom_path, (int)getpid());
    mkdirs_for(wisdom_path);
    FILE *f = fopen(tmp, "w");
    if (f) {
      int ok = fputs(after, f) >= 0;
      ok &= fclose(f) == 0;
      if (ok && rename(tmp, wisdom_path) == 0)
        avs_log(AVS_LOG_DEBUG, "stft: FFTW wisdom saved to %s", wisdom_path);
      else
        remove(tmp);
    } else {
      avs_log(AVS_LOG_DEBUG, "stft: cannot save FFTW wisdom to %s: %s", wisdom_path, strerror(errno));
    }
  }
  free(after);
}

/* ---- Bluestein path for awkward even sizes ------------------------------ */

#define BLUE_MIN_PRIME 31

static int largest_prime(int n) {
  int p = 1;
  for (int f = 2; (int64_t)f * f <= n; f++)
    while (n % f == 0) p = f, n /= f;
  return n > 1 ? (n > p ? n : p) : p;
}

/* Called with the planner lock held (uses the forward plan on thread 0's buffer). */
static void blue_tables(avs_stft *s) {
  const int K = s->K, M = s->M, N = 2 * K;
  for (int n = 0; n < K; n++) {
    int64_t q = ((int64_t)n * n) % (2 * K); /* exp(-i pi n^2 / K) has period 2K in n^2 */
    double a = -M_PI * (double)q / K;
    s->chirp[n][0] = (float)cos(a), s->chirp[n][1] = (float)sin(a);
  }
  for (int k = 0; k <= K; k++) {
    double a = -2.0 * M_PI * k / N;
    s->tw[k][0] = (float)cos(a), s->tw[k][1] = (float)sin(a);
  }
  /* b[m] = conj(chirp[|m|]) for |m| < K, circular over M; its FFT / M */
  fftwf_complex *b = s->tblu[0];
  memset(b, 0, sizeof(fftwf_complex) * (size_t)M);
  for (int m = 0; m < K; m++) {
    b[m][0] = s->chirp[m][0], b[m][1] = -s->chirp[m][1];
    if (m) b[M - m][0] = b[m][0], b[M - m][1] = b[m][1];
  }
  fftwf_execute_dft(s->cf, b, b);
  for (int m = 0; m < M; m++) s->bfft[m][0] = b[m][0] / M, s->bfft[m][1] = b[m][1] / M;
}

/* Z = DFT_K(z) by chirp-z: a = z c, A = IFFT(FFT(a) FFT(b)) / M, Z = A c.
 * conj_in / conj_out conjugate z and Z on the way (for the inverse). */
static void blue_dft(const avs_stft *s, fftwf_complex *a, const fftwf_complex *z, fftwf_complex *Z, bool conj_io) {
  const int K = s->K, M = s->M;
  const float sg = conj_io ? -1.0f : 1.0f;
  for (int n = 0; n < K; n++) {
    const float zr = z[n][0], zi = sg * z[n][1], cr = s->chirp[n][0], ci = s->chirp[n][1];
    a[n][0] = zr * cr - zi * ci;
    a[n][1] = zr * ci + zi * cr;
  }
  memset(a + K, 0, sizeof(fftwf_complex) * (size_t)(M - K));
  fftwf_execute_dft(s->cf, a, a);
  for (int m = 0; m < M; m++) {
    const float ar = a[m][0], ai = a[m][1], br = s->bfft[m][0], bi = s->bfft[m][1];
    a[m][0] = ar * br - ai * bi;
    a[m][1] = ar * bi + ai * br;
  }
  fftwf_execute_dft(s->cb, a, a);
  for (int k = 0; k < K; k++) {
    const float ar = a[k][0], ai = a[k][1], cr = s->chirp[k][0], ci = s->chirp[k][1];
    Z[k][0] = ar * cr - ai * ci;
    Z[k][1] = sg * (ar * ci + ai * cr);
  }
}

/* out[0..K] = the one-sided DFT of the real frame in[0..2K). */
static void blue_r2c(const avs_stft *s, int th, const float *in, fftwf_complex *out) {
  const int K = s->K;
  fftwf_complex *a = s->tblu[th];
  /* z[n] = in[2n] + i in[2n+1] is the frame itself read as complex; Z is written to out[0..K) */
  blue_dft(s, a, (const fftwf_complex *)in, out, false);
  /* X[k] = (Z[k] + conj Z[K-k]) / 2 - i tw[k] (Z[k] - conj Z[K-k]) / 2, Z[K] = Z[0] */
  const float z0r = out[0][0], z0i = out[0][1];
  for (int k = 1; 2 * k <= K; k++) {
    const int j = K - k;
    const float zr = out[k][0], zi = out[k][1], yr = out[j][0], yi = -out[j][1]; /* y = conj Z[K-k] */
    const float er = 0.5f * (zr + yr), ei = 0.5f * (zi + yi), dr = 0.5f * (zr - yr), di = 0.5f * (zi - yi);
    /* -i tw d */
    const float tr = s->tw[k][0], ti = s->tw[k][1];
    const float pr = tr * dr - ti * di, pi = tr * di + ti * dr;
    /* the mirror bin j from the same pair: e' = conj e, d' = -conj d */
    const float tr2 = s->tw[j][0], ti2 = s->tw[j][1];
    const float pr2 = tr2 * (-dr) - ti2 * di, pi2 = tr2 * di + ti2 * (-dr);
    out[k][0] = er + pi, out[k][1] = ei - pr;
    if (j != k) out[j][0] = er + pi2, out[j][1] = -ei - pr2;
  }
  out[0][0] = z0r + z0i, out[0][1] = 0.0f;
  out[K][0] = z0r - z0i, out[K][1] = 0.0f;
}

/* The unnormalised inverse of blue_r2c (what FFTW's c2r gives): out[0..2K). */
static void blue_c2r(const avs_stft *s, int th, const fftwf_complex *X, float *out) {
  const int K = s->K;
  fftwf_complex *a = s->tblu[th];
  fftwf_complex *Z = (fftwf_complex *)out; /* K complex = 2K floats, filled then transformed in place */
  /* Z[k] = Fe + i Fo, Fe = (X[k] + conj X[K-k]) / 2, Fo = (X[k] - conj X[K-k]) conj(tw[k]) / 2 */
  for (int k = 0; k < K; k++) {
    const int j = K - k;
    const float xr = X[k][0], xi = k == 0 ? 0.0f : X[k][1], yr = X[j][0], yi = -(j == K ? 0.0f : X[j][1]);
    const float er = 0.5f * (xr + yr), ei = 0.5f * (xi + yi), dr = 0.5f * (xr - yr), di = 0.5f * (xi - yi);
    const float tr = s->tw[k][0], ti = -s->tw[k][1];
    const float fr = tr * dr - ti * di, fi = tr * di + ti * dr;
    Z[k][0] = er - fi, Z[k][1] = ei + fr;
  }
  /* sum_k Z[k] e^{+2 pi i k n / K} = conj(DFT(conj Z)); times 2 for FFTW's unnormalised c2r (N = 2K) */
  blue_dft(s, a, Z, Z, true);
  for (int n = 0; n < 2 * K; n++) out[n] *= 2.0f;
}

/* ---- construction ------------------------------------------------------- */

int avs_stft_new(const avs_stft_cfg *cfg, avs_stft **out) {
  *out = NULL;
  avs_stft_cfg c = *cfg;
  if (c.hop == 0) c.hop = c.n_fft / 4;
  if (c.win == 0) c.win = c.n_fft;
  if (c.n_fft < 2 || c.n_fft > (1 << 20) || c.hop < 1 || c.win < 1 || c.win > c.n_fft)
    return avs_seterr(AVS_EINVAL, "bad STFT settings: n_fft %d, hop %d, win %d (need 1 <= win <= n_fft, hop >= 1)",
                      c.n_fft, c.hop, c.win);
  avs_stft *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  s->cfg = c;
  s->bins = c.n_fft / 2 + 1;
  s->bs = (s->bins + 3) & ~3;
  s->wl = (c.n_fft - c.win) / 2;
  s->nthreads = omp_get_max_threads();
  if (s->nthreads < 1) s->nthreads = 1;
  s->window = fftwf_malloc(sizeof(float) * (size_t)c.n_fft);
  s->wwin = fftwf_malloc(sizeof(float) * (size_t)c.win);
  s->tin = calloc((size_t)s->nthreads, sizeof *s->tin);
  s->tout = calloc((size_t)s->nthreads, sizeof *s->tout);
  s->tacc = calloc((size_t)s->nthreads, sizeof *s->tacc);
  if (!s->window || !s->wwin || !s->tin || !s->tout || !s->tacc) goto oom;
  for (int i = 0; i < s->nthreads; i++) {
    s->tin[i] = fftwf_malloc(sizeof(float) * (size_t)(c.n_fft + 2));
    s->tout[i] = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->bs * BLOCK);
    s->tacc[i] = malloc(sizeof(float) * 2 * OLA_CHUNK);
    if (!s->tin[i] || !s->tout[i] || !s->tacc[i]) goto oom;
  }
  s->K = c.n_fft / 2;
  s->blue = c.n_fft % 2 == 0 && largest_prime(s->K) > BLUE_MIN_PRIME;
  if (s->blue) {
    s->M = 1;
    while (s->M < 2 * s->K - 1) s->M *= 2;
    s->chirp = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->K);
    s->bfft = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->M);
    s->tw = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(s->K + 1));
    s->tblu = calloc((size_t)s->nthreads, sizeof *s->tblu);
    if (!s->chirp || !s->bfft || !s->tw || !s->tblu) goto oom;
    for (int i = 0; i < s->nthreads; i++)
      if (!(s->tblu[i] = fftwf_malloc(sizeof(fftwf_complex) * (size_t)s->M))) goto oom;
  }
  /* periodic Hann (torch.hann_window(win, periodic=True)), centred in n_fft */
  memset(s->window, 0, sizeof(float) * (size_t)c.n_fft);
  for (int i = 0; i < c.win; i++) {
    s->window[s->wl + i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / c.win));
    s->wwin[i] = s->window[s->wl + i] / (float)c.n_fft;
  }

  avs_stft_wisdom_path(); /* resolves the path (takes the lock itself) */
  pthread_mutex_lock(&planner_lock);
  if (!wisdom_loaded) {
    wisdom_loaded = 1;
    if (strcmp(wisdom_path, "-") && fftwf_import_wisdom_from_filename(wisdom_path))
      avs_log(AVS_LOG_DEBUG, "stft: FFTW wisdom read from %s", wisdom_path);
  }
  char *before = fftwf_export_wisdom_to_string();
  if (s->blue) {
    s->cf = fftwf_plan_dft_1d(s->M, s->tblu[0], s->tblu[0], FFTW_FORWARD, FFTW_MEASURE);
    s->cb = fftwf_plan_dft_1d(s->M, s->tblu[0], s->tblu[0], FFTW_BACKWARD, FFTW_MEASURE);
    if (s->cf && s->cb) {
      wisdom_save_if_changed(before);
      blue_tables(s);
    }
  } else {
    s->r2c = fftwf_plan_dft_r2c_1d(c.n_fft, s->tin[0], s->tout[0], FFTW_MEASURE);
    s->c2r = fftwf_plan_dft_c2r_1d(c.n_fft, s->tout[0], s->tin[0], FFTW_MEASURE);
    if (s->r2c && s->c2r) wisdom_save_if_changed(before);
  }
  free(before);
  pthread_mutex_unlock(&planner_lock);
  if (s->blue ? !s->cf || !s->cb : !s->r2c || !s->c2r) {
    avs_stft_free(&s);
    return avs_seterr(AVS_EBACKEND, "FFTW cannot plan a %d-point transform", c.n_fft);
  }
  *out = s;
  return AVS_OK;
oom:
  avs_stft_free(&s);
  return avs_seterr(AVS_ENOMEM, "out of memory");
}

void avs_stft_free(avs_stft **sp) {
  if (!sp || !*sp) return;
  avs_stft *s = *sp;
  pthread_mutex_lock(&planner_lock);
  if (s->r2c) fftwf_destroy_plan(s->r2c);
  if (s->c2r) fftwf_destroy_plan(s->c2r);
  if (s->cf) fftwf_destroy_plan(s->cf);
  if (s->cb) fftwf_destroy_plan(s->cb);
  pthread_mutex_unlock(&planner_lock);
  for (int i = 0; i < s->nthreads; i++) {
    if (s->tin) fftwf_free(s->tin[i]);
    if (s->tout) fftwf_free(s->tout[i]);
    if (s->tacc) free(s->tacc[i]);
  }
  if (s->tblu)
    for (int i = 0; i < s->nthreads; i++) fftwf_free(s->tblu[i]);
  free(s->tblu);
  fftwf_free(s->chirp);
  fftwf_free(s->bfft);
  fftwf_free(s->tw);
  free(s->tin);
  free(s->tout);
  free(s->tacc);
  fftwf_free(s->window);
  fftwf_free(s->wwin);
  free(s->frames);
  free(s);
  *sp = NULL;
}

const avs_stft_cfg *avs_stft_config(const avs_stft *s) { return &s->cfg; }
int avs_stft_bins(const avs_stft *s) { return s->bins; }
const float *avs_stft_window(const avs_stft *s) { return s->window; }

static int64_t pad_of(const avs_stft *s) { return s->cfg.no_center ? 0 : s->cfg.n_fft / 2; }

int64_t avs_stft_frames(const avs_stft *s, int64_t n) {
  int64_t padded = n + 2 * pad_of(s);
  if (padded < s->cfg.n_fft) return 0;
  return 1 + (padded - s->cfg.n_fft) / s->cfg.hop;
}

int64_t avs_stft_length(const avs_stft *s, int64_t frames) {
  if (frames < 1) return 0;
  return s->cfg.n_fft + s->cfg.hop * (frames - 1) - 2 * pad_of(s);
}

static int threads_for(const avs_stft *s, int64_t work_items) {
  int nt = omp_get_max_threads();
  if (nt > s->nthreads) nt = s->nthreads;
  if (work_items < 2) nt = 1;
  return nt < 1 ? 1 : nt;
}

/* ---- forward ------------------------------------------------------------ */

static inline int64_t reflect(int64_t i, int64_t n) {
  /* single reflection is enough: |pad| <= n - 1 is checked by the caller */
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

int avs_stft_forward(avs_stft *s, const float *x, int64_t n, float *spec) {
  const int n_fft = s->cfg.n_fft, hop = s->cfg.hop, win = s->cfg.win, wl = s->wl, bins = s->bins, bs = s->bs;
  const int64_t pad = pad_of(s);
  if (pad > 0 && n <= pad)
    return avs_seterr(AVS_EINVAL, "signal of %lld samples is too short for a centred STFT with n_fft %d (needs > %lld)",
                      (long long)n, n_fft, (long long)pad);
  const int64_t T = avs_stft_frames(s, n);
  if (T < 1)
    return avs_seterr(AVS_EINVAL, "signal of %lld samples is shorter than n_fft %d", (long long)n, n_fft);
  const int64_t nblocks = (T + BLOCK - 1) / BLOCK;
  const bool tm = s->cfg.time_major;
  const float *w = s->window + wl;
  int nt = threads_for(s, nblocks);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int64_t blk = 0; blk < nblocks; blk++) {
    int th = omp_get_thread_num();
    float *in = s->tin[th];
    fftwf_complex *ob = s->tout[th];
    int64_t t0 = blk * BLOCK, t1 = t0 + BLOCK < T ? t0 + BLOCK : T;
    for (int64_t t = t0; t < t1; t++) {
      /* sample index of frame element k: t*hop + k - pad */
      int64_t first = t * hop + wl - pad; /* first windowed sample */
      if (wl) memset(in, 0, sizeof(float) * (size_t)wl);
      if (n_fft - wl - win) memset(in + wl + win, 0, sizeof(float) * (size_t)(n_fft - wl - win));
      if (first >= 0 && first + win <= n) {
        const float *src = x + first;
        for (int k = 0; k < win; k++) in[wl + k] = src[k] * w[k];
      } else {
        for (int k = 0; k < win; k++) {
          int64_t i = reflect(first + k, n);
          in[wl + k] = (i >= 0 && i < n) ? x[i] * w[k] : 0.0f;
        }
      }
      if (s->blue)
        blue_r2c(s, th, in, ob + (t - t0) * bs);
      else
        fftwf_execute_dft_r2c(s->r2c, in, ob + (t - t0) * bs);
    }
    const int nb = (int)(t1 - t0);
    if (tm) {
      for (int b = 0; b < nb; b++) memcpy(spec + (t0 + b) * bins * 2, ob + b * bs, sizeof(float) * 2 * (size_t)bins);
    } else {
      for (int f = 0; f < bins; f++) {
        float *dst = spec + ((int64_t)f * T + t0) * 2;
        for (int b = 0; b < nb; b++) {
          dst[2 * b] = ob[b * bs + f][0];
          dst[2 * b + 1] = ob[b * bs + f][1];
        }
      }
    }
  }
  return AVS_OK;
}

/* ---- inverse ------------------------------------------------------------ */

int avs_stft_inverse(avs_stft *s, const float *spec, int64_t T, int64_t length, float *y) {
  const int n_fft = s->cfg.n_fft, hop = s->cfg.hop, win = s->cfg.win, wl = s->wl, bins = s->bins, bs = s->bs;
  const int64_t pad = pad_of(s);
  if (T < 1) return avs_seterr(AVS_EINVAL, "inverse STFT of %lld frames", (long long)T);
  const int64_t full = (int64_t)n_fft + (int64_t)hop * (T - 1); /* OLA length, padded coordinates */
  if (length <= 0) length = full - 2 * pad;
  if (length <= 0) return avs_seterr(AVS_EINVAL, "inverse STFT: %lld frames give no samples", (long long)T);
  if (T > s->frames_cap) {
    float *f = realloc(s->frames, sizeof(float) * (size_t)T * (size_t)win);
    if (!f) return avs_seterr(AVS_ENOMEM, "out of memory for the inverse STFT of %lld frames", (long long)T);
    s->frames = f;
    s->frames_cap = T;
  }
  const bool tm = s->cfg.time_major;
  const int64_t nblocks = (T + BLOCK - 1) / BLOCK;
  const float *wfull = s->window + wl;
  const int64_t have = full - pad < length ? full - pad : length; /* samples the OLA covers */
  const int64_t nchunks = (length + OLA_CHUNK - 1) / OLA_CHUNK;
  int bad = 0;
  int64_t bad_at = 0;
  /* one team for both steps: a single wake-up of the workers */
  int nt = threads_for(s, nblocks < nchunks ? nchunks : nblocks);
#pragma omp parallel num_threads(nt)
  {
    const int th = omp_get_thread_num();
    /* 1. each frame: inverse FFT, times window / n_fft, kept over the window's support */
#pragma omp for schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblocks; blk++) {
      float *o = s->tin[th];
      fftwf_complex *ib = s->tout[th];
      int64_t t0 = blk * BLOCK, t1 = t0 + BLOCK < T ? t0 + BLOCK : T;
      const int nb = (int)(t1 - t0);
      if (tm) {
        for (int b = 0; b < nb; b++) memcpy(ib + b * bs, spec + (t0 + b) * bins * 2, sizeof(float) * 2 * (size_t)bins);
      } else {
        for (int f = 0; f < bins; f++) {
          const float *src = spec + ((int64_t)f * T + t0) * 2;
          for (int b = 0; b < nb; b++) {
            ib[b * bs + f][0] = src[2 * b];
            ib[b * bs + f][1] = src[2 * b + 1];
          }
        }
      }
      for (int b = 0; b < nb; b++) {
        fftwf_complex *c = ib + b * bs;
        c[0][1] = 0.0f;                            /* DC is real */
        if (n_fft % 2 == 0) c[bins - 1][1] = 0.0f; /* so is Nyquist */
        if (s->blue)
          blue_c2r(s, th, c, o);
        else
          fftwf_execute_dft_c2r(s->c2r, c, o);
        float *dst = s->frames + (t0 + b) * win;
        for (int k = 0; k < win; k++) dst[k] = o[wl + k] * s->wwin[k];
      }
    }
    /* 2. overlap-add and divide by the window envelope, output chunk by chunk */
#pragma omp for schedule(dynamic, 1) reduction(| : bad)
    for (int64_t ch = 0; ch < nchunks; ch++) {
      float *acc = s->tacc[th], *env = acc + OLA_CHUNK;
      int64_t j0 = ch * OLA_CHUNK, j1 = j0 + OLA_CHUNK < length ? j0 + OLA_CHUNK : length;
      int64_t jh = j1 < have ? j1 : have;
      if (jh <= j0) {
        memset(y + j0, 0, sizeof(float) * (size_t)(j1 - j0));
        continue;
      }
      const int64_t p0 = j0 + pad, p1 = jh + pad; /* padded coordinates */
      const int m = (int)(p1 - p0);
      memset(acc, 0, sizeof(float) * (size_t)m);
      memset(env, 0, sizeof(float) * (size_t)m);
      /* frames with t*hop + wl < p1 and t*hop + wl + win > p0 */
      int64_t tlo = p0 - wl - win + 1;
      tlo = tlo <= 0 ? 0 : (tlo + hop - 1) / hop;
      int64_t thi = (p1 - 1 - wl) / hop;
      if (p1 - 1 - wl < 0) thi = -1;
      if (thi > T - 1) thi = T - 1;
      for (int64_t t = tlo; t <= thi; t++) {
        int64_t seg = t * hop + wl;
        int64_t a = seg > p0 ? seg : p0, b = seg + win < p1 ? seg + win : p1;
        const float *fr = s->frames + t * win + (a - seg);
        const float *ww = wfull + (a - seg);
        float *ac = acc + (a - p0), *ev = env + (a - p0);
        int len = (int)(b - a);
        for (int k = 0; k < len; k++) {
          ac[k] += fr[k];
          ev[k] += ww[k] * ww[k];
        }
      }
      for (int k = 0; k < m; k++) {
        if (!(env[k] > 1e-11f)) {
          bad |= 1;
#pragma omp critical(avs_stft_bad)
          bad_at = j0 + k; /* any witness will do */
        }
        y[j0 + k] = acc[k] / env[k];
      }
      if (j1 > jh) memset(y + jh, 0, sizeof(float) * (size_t)(j1 - jh));
    }
  }
  if (bad)
    return avs_seterr(AVS_EINVAL,
                      "inverse STFT: the window envelope is zero near sample %lld (hop %d too large for window %d?)",
                      (long long)bad_at, hop, win);
  return AVS_OK;
}

/* ---- helpers ------------------------------------------------------------ */

void avs_stft_magphase(const float *spec, int64_t n, float *mag, float *phase) {
  if (mag)
    for (int64_t i = 0; i < n; i++) mag[i] = sqrtf(spec[2 * i] * spec[2 * i] + spec[2 * i + 1] * spec[2 * i + 1]);
  if (phase)
    for (int64_t i = 0; i < n; i++) phase[i] = atan2f(spec[2 * i + 1], spec[2 * i]);
}

void avs_stft_polar(const float *mag, const float *phase, int64_t n, float *spec) {
  for (int64_t i = 0; i < n; i++) {
    float sn, cs;
    sincosf(phase[i], &sn, &cs);
    spec[2 * i] = mag[i] * cs;
    spec[2 * i + 1] = mag[i] * sn;
  }
}
