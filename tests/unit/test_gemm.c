/* avs_gemm against OpenBLAS's cblas_sgemm on every transpose combination, on
 * shapes that take each route of av/gemm.c (including the swapped A B^T path
 * for 16..128-row products), with beta 0, 1 and 0.5 and padded leading dims.
 * With beta 0, C starts as NaN: it must not be read (the ops write arena
 * memory and fresh gradients that way, av/ctx.h).
 * Tolerance 1e-4 relative + 1e-4 absolute: float32 sums of up to 2048 products
 * in a different order. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/harness.h"

static void fill(float *x, size_t n, avs_rng *r) {
  for (size_t i = 0; i < n; i++) x[i] = avs_rng_uniform(r) * 2 - 1;
}

static void check(bool ta, bool tb, int m, int n, int k, float beta, avs_rng *r) {
  int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 7;
  size_t na = (size_t)(ta ? k : m) * lda, nb = (size_t)(tb ? n : k) * ldb, nc = (size_t)m * ldc;
  float *a = malloc(sizeof(float) * na), *b = malloc(sizeof(float) * nb);
  float *c = malloc(sizeof(float) * nc), *want = malloc(sizeof(float) * nc);
  fill(a, na, r), fill(b, nb, r), fill(c, nc, r);
  for (size_t i = 0; i < nc; i++) want[i] = c[i];
  if (beta == 0)
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = NAN;
  avs_gemm(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, c, ldc);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 0.75f, a,
              lda, b, ldb, beta, want, ldc);
  char what[96];
  snprintf(what, sizeof what, "gemm %c%c m=%d n=%d k=%d beta=%g", ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, beta);
  tst_close(what, c, want, (int64_t)nc, 1e-4f, 1e-4f);
  free(a), free(b), free(c), free(want);
}

int main(void) {
  avs_rng r;
  avs_rng_seed(&r, 7);
  const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {8, 1024, 2048}, {32, 1024, 512},
                           {100, 600, 2048}, {196, 196, 64}, {33, 4096, 300}};
  const float betas[] = {0.0f, 1.0f, 0.5f};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int t = 0; t < 4; t++)
      for (int bi = 0; bi < 3; bi++)
        check(t & 1, t & 2, shapes[s][0], shapes[s][1], shapes[s][2], betas[bi], &r);
  return tst_finish();
}
