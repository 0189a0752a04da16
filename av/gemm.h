/* One entry point for single-precision matrix products (row-major), routed to
 * whichever of oneDNN's dnnl_sgemm and OpenBLAS's cblas_sgemm is faster here
 * (see bench/bench_gemm). AVS_GEMM=blas|dnnl in the environment forces one.
 * And bf16 products with fp32 sums (gemm_bf16.c). */
#ifndef AVS_GEMM_H
#define AVS_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* C = alpha * op(A) op(B) + beta * C; op(A) is M x K, op(B) is K x N. */
void avs_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);
/* "dnnl" or "blas": the backend avs_gemm uses for this shape. */
const char *avs_gemm_backend(int m, int n, int k);

/* bfloat16 as raw bits: x rounded to nearest (ties to even); NaN stays NaN.
 * Inline and without branches, so that loops over it vectorise. */
static inline uint16_t avs_bf16_round(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  uint32_t nearest = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16; /* infinities stay */
  return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : nearest);
}
void avs_bf16_round_n(const float *x, size_t n, uint16_t *out);
/* C = op(A) op(B) from bf16 operands (avs_bf16_round's bits), products summed
 * in fp32 into the fp32 C (oneDNN's matmul: twice the fp32 rate where
 * avs_cpu_native_bf16, emulated on other AVX-512 CPUs), prepared once as a plan
 * and run on any data of that shape and leading dimensions (an NMF's 2 x
 * iterations products); a plan is one thread's at a time. AVS_EUNSUPPORTED on
 * a CPU without AVX-512, AVS_EBACKEND if oneDNN fails. */
typedef struct avs_gemm_bf16_plan avs_gemm_bf16_plan;
int avs_gemm_bf16_plan_new(bool trans_a, bool trans_b, int m, int n, int k, int lda, int ldb, int ldc,
                           avs_gemm_bf16_plan **out);
int avs_gemm_bf16_run(avs_gemm_bf16_plan *plan, const uint16_t *a, const uint16_t *b, float *c);
void avs_gemm_bf16_plan_free(avs_gemm_bf16_plan **plan);

#endif
