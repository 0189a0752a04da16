#include "av/gemm.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdlib.h>
#include <string.h>

typedef enum { GEMM_AUTO, GEMM_BLAS, GEMM_DNNL } gemm_choice;

static gemm_choice forced(void) {
  static int cached = -1;
  if (cached < 0) {
    const char *e = getenv("AVS_GEMM");
    cached = !e ? GEMM_AUTO : !strcmp(e, "blas") ? GEMM_BLAS : !strcmp(e, "dnnl") ? GEMM_DNNL : GEMM_AUTO;
  }
  return (gemm_choice)cached;
}

/* Routing, measured with bench/bench_gemm on the 2-core Zen 5, quiet machine,
 * 2 threads, GFLOP/s (dnnl_sgemm / OpenBLAS SkylakeX kernel / OpenBLAS Haswell):
 *   2048^2            379 / 360 / 176     512^2              377 / 271 / 145
 *   attention q k^T   217 / 118 /  73     p v (196,64,196)   252 / 115 /  98
 *   (196,196,64)                          in-proj (196,1536,512) 276 / 264 / 150
 *   LSTM x W_ih^T     303 / 182 / 156     its dW (1024,512,256)  342 / 300 / 158
 *   LSTM h W_hh^T (8,1024,256)  178 / 61 / 39
 *   linear 4096x4096 batch 1 / 8     28 / 10 / 8,   73 / 50 / 33
 *   linear batch 32 dx (NN) / dW (TN)   284 / 146 / 113,   336 / 160 / 99
 *   linear batch 16 / 32 forward (A B^T)  33 / 98 / 85,   61 / 169 / 114
 * oneDNN wins everywhere but x W^T with 16 <= M <= 128 rows, where its kernel
 * drops to 25-100 GFLOP/s. Computing that product transposed instead,
 * C^T = W x^T (M becomes the wide side), then transposing the small result,
 * gives 180-290 GFLOP/s on the same shapes (batch 32: 4.3 ms against 18 ms
 * direct and 6.4 ms in OpenBLAS SkylakeX), so everything stays on oneDNN.
 * Staying on one library matters beyond the product itself: OpenBLAS's
 * pthreads spin for a while after each call and slow the OpenMP work that
 * follows (bench_gemm's "mixed" column: a cblas call then a dnnl call costs
 * up to 2x their sum). AVS_GEMM=blas|dnnl forces a backend. */
static bool use_dnnl(int m, int n, int k) {
  (void)m, (void)n, (void)k;
  gemm_choice c = forced();
  return c != GEMM_BLAS;
}

/* A B^T with few rows in A: where dnnl_sgemm is faster on the swapped product
 * (measured for n in 101..4096, k in 128..25088). */
static bool swap_nt(bool trans_a, bool trans_b, int m, int n, int k) {
  if (trans_a || !trans_b || n < 512) return false;
  if (m >= 16 && m <= 64) return k >= 256;
  return ((m >= 8 && m < 16) || (m > 64 && m <= 128)) && k >= 2048;
}

/* C = alpha A B^T + beta C as D = alpha B A^T (n x m, oneDNN), C = D^T + beta C.
 * Returns false (nothing done) when the temporary cannot be allocated. */
static bool gemm_nt_swapped(int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                            float beta, float *c, int ldc) {
  float *d = malloc(sizeof(float) * (size_t)m * n);
  if (!d) return false;
  dnnl_sgemm('N', 'T', n, m, k, alpha, b, ldb, a, lda, 0.0f, d, m);
  for (int i = 0; i < m; i++) {
    float *ci = c + (size_t)i * ldc;
    const float *di = d + i;
    if (beta == 0.0f)
      for (int j = 0; j < n; j++) ci[j] = di[(size_t)j * m];
    else
      for (int j = 0; j < n; j++) ci[j] = di[(size_t)j * m] + beta * ci[j];
  }
  free(d);
  return true;
}

const char *avs_gemm_backend(int m, int n, int k) { return use_dnnl(m, n, k) ? "dnnl" : "blas"; }

void avs_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
  if (m == 0 || n == 0) return;
  if (use_dnnl(m, n, k)) {
    if (swap_nt(trans_a, trans_b, m, n, k) && gemm_nt_swapped(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
      return;
    dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m,
              n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
