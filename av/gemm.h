/* One entry point for single-precision matrix products (row-major), routed to
 * whichever of oneDNN's dnnl_sgemm and OpenBLAS's cblas_sgemm is faster here
 * (see bench/bench_gemm). AVS_GEMM=blas|dnnl in the environment forces one. */
#ifndef AVS_GEMM_H
#define AVS_GEMM_H

#include <stdbool.h>

/* C = alpha * op(A) op(B) + beta * C; op(A) is M x K, op(B) is K x N. */
void avs_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);
/* "dnnl" or "blas": the backend avs_gemm uses for this shape. */
const char *avs_gemm_backend(int m, int n, int k);

#endif
