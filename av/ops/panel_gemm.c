/* Products with a panel-packed B (see panel_gemm.h).
 *
 * Each task is one panel of one product: all M rows of C for its (up to) 64 columns. The
 * AVX-512 kernel holds a block of 6 rows x 64 columns of C in 24 registers and walks K once,
 * each step loading 64 floats of the panel (one contiguous stream) and broadcasting 6 of A: 24
 * FMAs per 4 loads (A's rows are read through pointers, so they may lie anywhere, overlapping
 * included). K is walked in blocks of 256 (a 64 KB piece of the panel stays in the
 * core's cache while every row block uses it; C is added to after the first): without them
 * products of K = 1152 ran 15 % behind dnnl_sgemm. Rows past the last full block and a narrower
 * last panel take the same kernel with fewer rows or masked columns. Without AVX-512 (or with
 * it turned off for a test) each panel is one dnnl_sgemm on the K x w matrix it is, one thread
 * inside the team's loop: oneDNN's kernels for the CPU with the same layout and tasks. Tried on
 * AVX-512 too, that path is as fast on the products alone but 20-25 % slower inside the batch-1
 * forwards (LVS's layer3 and layer4 convolutions, best of 8 alternating runs: 0.73 / 2.52 ms
 * against the kernel's 0.55 / 1.90); a plain compiler-vectorised loop ran at a third of either. */
#include "av/ops/panel_gemm.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdbool.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PANEL_AVX512 1
#include <immintrin.h>
#endif

enum { ROWS = 6, LANES = 16, QUARTERS = AVS_PANEL / LANES, KC = 256 };

/* Below this many multiply-adds per product batch one thread does it (waking the team costs
 * microseconds). */
#define PAR_MIN_MACS (1 << 20)

/* A panel is a row-major K x w matrix: oneDNN's sgemm takes it as it is (one thread inside the
 * team's loop). */
static void panel_dnnl(int64_t M, int64_t K, const float *A, const float *b, int w, float *C, int64_t ldc) {
  dnnl_sgemm('N', 'N', M, w, K, 1.0f, A, K, b, w, 0.0f, C, ldc);
}

#ifdef PANEL_AVX512
/* rows x (16 nq) block of C from `rows` rows of A (row r at a[r], rows and nq constants after
 * inlining). */
__attribute__((target("avx512f"), always_inline)) static inline void block512(int rows, int nq, int64_t kc,
                                                                             const float *const *a, const float *b,
                                                                             int w, const __mmask16 *mask, float *c,
                                                                             int64_t ldc, bool add) {
  __m512 acc[ROWS][QUARTERS];
  for (int r = 0; r < rows; r++)
    for (int q = 0; q < nq; q++)
      acc[r][q] = add ? _mm512_maskz_loadu_ps(mask[q], c + r * ldc + LANES * q) : _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    __m512 bq[QUARTERS];
    for (int q = 0; q < nq; q++) bq[q] = _mm512_maskz_loadu_ps(mask[q], b + k * w + LANES * q);
    for (int r = 0; r < rows; r++) {
      __m512 s = _mm512_set1_ps(a[r][k]);
      for (int q = 0; q < nq; q++) acc[r][q] = _mm512_fmadd_ps(s, bq[q], acc[r][q]);
    }
  }
  for (int r = 0; r < rows; r++)
    for (int q = 0; q < nq; q++) _mm512_mask_storeu_ps(c + r * ldc + LANES * q, mask[q], acc[r][q]);
}

/* All M rows of one panel, nq 16-column quarters of it in use (a constant after inlining). */
__attribute__((target("avx512f"), always_inline)) static inline void panel512_nq(int nq, int64_t M, int64_t K,
                                                                                const float *A, const int64_t *rows,
                                                                                const float *b, int w,
                                                                                const __mmask16 *mask, float *C,
                                                                                int64_t ldc) {
  for (int64_t k0 = 0; k0 < K; k0 += KC) {
    int64_t kc = K - k0 < KC ? K - k0 : KC;
    const float *bk = b + k0 * w;
    bool add = k0 > 0;
    for (int64_t i = 0; i < M; i += ROWS) {
      const float *a[ROWS];
      int n = M - i < ROWS ? (int)(M - i) : ROWS;
      for (int r = 0; r < n; r++) a[r] = A + (rows ? rows[i + r] : (i + r) * K) + k0;
      float *c = C + i * ldc;
      switch (n) {
      case 6: block512(6, nq, kc, a, bk, w, mask, c, ldc, add); break;
      case 5: block512(5, nq, kc, a, bk, w, mask, c, ldc, add); break;
      case 4: block512(4, nq, kc, a, bk, w, mask, c, ldc, add); break;
      case 3: block512(3, nq, kc, a, bk, w, mask, c, ldc, add); break;
      case 2: block512(2, nq, kc, a, bk, w, mask, c, ldc, add); break;
      default: block512(1, nq, kc, a, bk, w, mask, c, ldc, add); break;
      }
    }
  }
}

__attribute__((target("avx512f"))) static void panel512(int64_t M, int64_t K, const float *A, const int64_t *rows,
                                                       const float *b, int w, float *C, int64_t ldc) {
  __mmask16 mask[QUARTERS];
  for (int q = 0; q < QUARTERS; q++) {
    int left = w - LANES * q;
    mask[q] = left >= LANES ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
  }
  switch ((w + LANES - 1) / LANES) {
  case 4: panel512_nq(4, M, K, A, rows, b, w, mask, C, ldc); break;
  case 3: panel512_nq(3, M, K, A, rows, b, w, mask, C, ldc); break;
  case 2: panel512_nq(2, M, K, A, rows, b, w, mask, C, ldc); break;
  default: panel512_nq(1, M, K, A, rows, b, w, mask, C, ldc); break;
  }
}

static int avx512 = -1; /* -1: not asked yet */

static bool have_avx512(void) {
  if (avx512 < 0) avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
  return avx512;
}
#endif

void avs_panel_gemm_set_avx512(bool on) {
#ifdef PANEL_AVX512
  avx512 = -1;
  avx512 = on && have_avx512();
#else
  (void)on;
#endif
}

bool avs_panel_gemm_any_rows(void) {
#ifdef PANEL_AVX512
  return have_avx512();
#else
  return false;
#endif
}

static void one_panel(int64_t M, int64_t K, const float *A, const int64_t *rows, const float *b, int w, float *C,
                      int64_t ldc) {
#ifdef PANEL_AVX512
  if (have_avx512()) {
    panel512(M, K, A, rows, b, w, C, ldc);
    return;
  }
#endif
  panel_dnnl(M, K, A, b, w, C, ldc); /* rows is NULL here (avs_panel_gemm_any_rows) */
}

void avs_panel_gemm_batch(int count, int64_t M, int64_t N, int64_t K, const float *A, int64_t a_stride,
                          const int64_t *rows, const float *B, float *C) {
  int64_t panels = (N + AVS_PANEL - 1) / AVS_PANEL, tasks = count * panels;
#ifdef PANEL_AVX512
  (void)have_avx512(); /* cached before the threads read it */
#endif
#pragma omp parallel for schedule(static) if (count * M * N * K >= PAR_MIN_MACS)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t p = t / panels, j = t % panels;
    int w = (int)(N - AVS_PANEL * j < AVS_PANEL ? N - AVS_PANEL * j : AVS_PANEL);
    one_panel(M, K, A + p * a_stride, rows, B + p * K * N + AVS_PANEL * j * K, w, C + p * M * N + AVS_PANEL * j, N);
  }
}
