/* avs_panel_gemm_batch (av/ops/panel_gemm.h), both paths (the AVX-512 kernel where the CPU has
 * it, and dnnl_sgemm per panel), against a double-precision product of the unpacked matrices: shapes
 * with partial row blocks (M not a multiple of 6), narrow last panels (N = 1, 17, 100, 130),
 * K across the 256-row blocks (255, 257, 600) and batches of 1 and 3, and A's rows overlapping
 * (read through row offsets, the AVX-512 kernel). C starts as NaN: the
 * products overwrite it.
 * Tolerance 1e-5 absolute + 1e-5 relative on entries of |A|, |B| <= 1 summed over up to 600
 * products: float32 accumulation against the double reference, which grows with K (measured:
 * 3e-6 absolute at K = 64, 3e-5 at K = 600 on sums of magnitude ~10, inside the relative part). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "av/ops/panel_gemm.h"
#include "av/rng.h"
#include "tests/harness.h"

/* overlap > 0: A's rows at i (K - overlap) (each row's last `overlap` floats are the next one's
 * first, as Winograd's 3-D rows share frames), the AVX-512 kernel only. */
static void check(int count, int M, int N, int K, bool avx512, int overlap, avs_rng *r) {
  int64_t lda = K - overlap, *rows = malloc(sizeof(int64_t) * M);
  for (int i = 0; i < M; i++) rows[i] = i * lda;
  size_t na = (size_t)count * (M * lda + overlap), nb = (size_t)count * K * N, nc = (size_t)count * M * N;
  float *a = malloc(sizeof(float) * na), *b = malloc(sizeof(float) * nb), *packed = malloc(sizeof(float) * nb);
  float *c = malloc(sizeof(float) * nc), *want = malloc(sizeof(float) * nc);
  for (size_t i = 0; i < na; i++) a[i] = avs_rng_uniform(r) * 2 - 1;
  for (size_t i = 0; i < nb; i++) b[i] = avs_rng_uniform(r) * 2 - 1;
  for (int p = 0; p < count; p++)
    for (int k = 0; k < K; k++)
      for (int n = 0; n < N; n++)
        packed[(size_t)p * K * N + avs_panel_offset(K, N, k, n)] = b[((size_t)p * K + k) * N + n];
  for (int p = 0; p < count; p++)
    for (int i = 0; i < M; i++)
      for (int n = 0; n < N; n++) {
        double s = 0;
        for (int k = 0; k < K; k++)
          s += (double)a[(size_t)p * (M * lda + overlap) + rows[i] + k] * b[((size_t)p * K + k) * N + n];
        want[((size_t)p * M + i) * N + n] = (float)s;
      }
  for (size_t i = 0; i < nc; i++) c[i] = NAN;
  avs_panel_gemm_set_avx512(avx512);
  avs_panel_gemm_batch(count, M, N, K, a, M * lda + overlap, overlap ? rows : NULL, packed, c);
  char what[96];
  snprintf(what, sizeof what, "%s count=%d M=%d N=%d K=%d overlap=%d", avx512 ? "avx512" : "dnnl", count, M, N, K,
           overlap);
  tst_close(what, c, want, (int64_t)nc, 1e-5f, 1e-5f);
  free(a), free(b), free(packed), free(c), free(want), free(rows);
}

int main(void) {
  avs_rng r;
  avs_rng_seed(&r, 3);
  const int shapes[][4] = {{1, 1, 1, 1},    {1, 5, 17, 3},   {3, 6, 64, 255}, {3, 13, 100, 257},
                           {1, 16, 512, 64}, {2, 49, 130, 600}, {1, 7, 1, 300}, {36, 12, 40, 70}};
  for (int kernel = 0; kernel < 2; kernel++)
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
      check(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], kernel == 0, 0, &r);
  /* rows that overlap (K = 3 x 64 read at a stride of 64, K = 600 at 400) */
  avs_panel_gemm_set_avx512(true);
  if (avs_panel_gemm_any_rows()) {
    check(36, 13, 100, 192, true, 128, &r);
    check(2, 49, 130, 600, true, 200, &r);
  }
  return tst_finish();
}
