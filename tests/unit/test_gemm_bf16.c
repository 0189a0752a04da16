/* bf16 products (av/gemm.h):
 *  - avs_bf16_round: nearest with ties to even, infinities kept, NaN stays NaN;
 *  - a plan (avs_gemm_bf16_plan_new / _run), run on zeros then on the operands,
 *    of every transpose combination, with leading dimensions past
 *    the width, equals a double reference on the same bf16 operands within 1e-5
 *    of the largest output (fp32 sums of 300 products in another order), and is
 *    measurably not the fp32 product of the unrounded operands (so bf16 ran);
 *  - empty products do nothing.
 * Skipped (exit 77) on a CPU without AVX-512, where oneDNN has no bf16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ctx.h"
#include "av/gemm.h"
#include "av/rng.h"
#include "av/status.h"
#include "tests/harness.h"

static float bits_to_float(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static void rounding(void) {
  tst_true(avs_bf16_round(1.0f) == 0x3f80, "1 is 0x3f80");
  /* 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties to the even 1; 1 + 3 * 2^-8 to 1 + 2^-6 */
  tst_true(avs_bf16_round(1.0f + 1.0f / 256) == 0x3f80, "a tie goes to the even neighbour (down)");
  tst_true(avs_bf16_round(1.0f + 3.0f / 256) == 0x3f82, "a tie goes to the even neighbour (up)");
  tst_true(avs_bf16_round(-2.5f) == 0xc020, "-2.5 is exact");
  tst_true(avs_bf16_round(INFINITY) == 0x7f80 && avs_bf16_round(-INFINITY) == 0xff80, "infinities kept");
  tst_true(isnan(bits_to_float(avs_bf16_round(NAN))), "NaN stays NaN");
  uint32_t low_nan = 0x7f800001u; /* a NaN whose payload sits in the dropped bits */
  float f;
  memcpy(&f, &low_nan, sizeof f);
  tst_true(isnan(bits_to_float(avs_bf16_round(f))), "a NaN with only low payload bits stays NaN");
}

static void product(bool ta, bool tb, avs_rng *r) {
  enum { M = 37, N = 45, K = 300, PAD = 3 };
  int lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
  int rows_a = ta ? K : M, rows_b = tb ? N : K;
  float *a = malloc(sizeof(float) * rows_a * lda), *b = malloc(sizeof(float) * rows_b * ldb);
  uint16_t *ha = malloc(sizeof(uint16_t) * rows_a * lda), *hb = malloc(sizeof(uint16_t) * rows_b * ldb);
  float *c = malloc(sizeof(float) * M * ldc), *c32 = malloc(sizeof(float) * M * ldc);
  AVS_ASSERT(a && b && ha && hb && c && c32);
  for (int i = 0; i < rows_a * lda; i++) a[i] = 2 * avs_rng_uniform(r) - 1;
  for (int i = 0; i < rows_b * ldb; i++) b[i] = 2 * avs_rng_uniform(r) - 1;
  avs_bf16_round_n(a, (size_t)rows_a * lda, ha);
  avs_bf16_round_n(b, (size_t)rows_b * ldb, hb);
  for (int i = 0; i < M * ldc; i++) c[i] = 1e9f; /* the padding must stay */
  avs_gemm_bf16_plan *plan;
  int rc = avs_gemm_bf16_plan_new(ta, tb, M, N, K, lda, ldb, ldc, &plan);
  /* the plan run twice: on zeros, then on the operands (its memory objects take each run's data) */
  uint16_t *zeros = calloc((size_t)(rows_a * lda > rows_b * ldb ? rows_a * lda : rows_b * ldb), sizeof(uint16_t));
  AVS_ASSERT(zeros);
  if (!rc) rc = avs_gemm_bf16_run(plan, zeros, zeros, c);
  bool zero_ok = !rc && c[0] == 0 && c[ldc - 1] == 1e9f;
  if (!rc) rc = avs_gemm_bf16_run(plan, ha, hb, c);
  avs_gemm_bf16_plan_free(&plan);
  free(zeros);
  tst_true(zero_ok, "bf16 %c%c plan on zeros gives zeros", ta ? 'T' : 'N', tb ? 'T' : 'N');
  avs_gemm(ta, tb, M, N, K, 1, a, lda, b, ldb, 0, c32, ldc);
  double worst = 0, largest = 0, off32 = 0;
  bool pad_kept = true;
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = 0; k < K; k++)
        s += (double)bits_to_float(ha[ta ? k * lda + i : i * lda + k]) *
             bits_to_float(hb[tb ? j * ldb + k : k * ldb + j]);
      worst = fmax(worst, fabs(s - c[i * ldc + j]));
      largest = fmax(largest, fabs(s));
      off32 = fmax(off32, fabs(c32[i * ldc + j] - c[i * ldc + j]));
    }
    for (int j = N; j < ldc; j++) pad_kept &= c[i * ldc + j] == 1e9f;
  }
  tst_true(rc == 0 && worst <= 1e-5 * largest, "bf16 %c%c product: %.2e off the bf16 reference (bound %.2e)%s%s",
           ta ? 'T' : 'N', tb ? 'T' : 'N', worst, 1e-5 * largest, rc ? ": " : "", rc ? avs_errmsg() : "");
  tst_true(off32 > 1e-3 * largest, "bf16 %c%c product: %.2e off the fp32 product (bf16 did run)", ta ? 'T' : 'N',
           tb ? 'T' : 'N', off32);
  tst_true(pad_kept, "bf16 %c%c product: C's padding columns untouched", ta ? 'T' : 'N', tb ? 'T' : 'N');
  free(a), free(b), free(ha), free(hb), free(c), free(c32);
}

int main(void) {
  avs_precision p;
  if (avs_precision_parse("bf16", &p) == AVS_EUNSUPPORTED) {
    printf("skipped: %s\n", avs_errmsg());
    return 77;
  }
  rounding();
  avs_rng r;
  avs_rng_seed(&r, 5);
  for (int t = 0; t < 4; t++) product(t & 1, t & 2, &r);
  float c = 7;
  avs_gemm_bf16_plan *plan;
  int rc = avs_gemm_bf16_plan_new(false, false, 0, 4, 4, 4, 4, 4, &plan);
  if (!rc) rc = avs_gemm_bf16_run(plan, NULL, NULL, &c);
  avs_gemm_bf16_plan_free(&plan);
  tst_true(rc == 0 && c == 7, "an empty product does nothing");
  return tst_finish();
}
