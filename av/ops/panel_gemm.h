/* Batches of products C = A B whose B (the weights) is packed once in column panels (internal,
 * not installed API): Winograd's 36 products per convolution (winograd.c).
 *
 * Why not avs_gemm: at batch 1 a Winograd convolution of 256 or 512 channels has 15-49 tiles,
 * so each product has that few rows against a B of K x N = up to 512 x 512 floats, and the 36
 * B's (38 MB at 512 channels) come from memory every pass. dnnl_sgemm reads a row-major B at
 * 7-10 GB/s there (72-120 GFLOP/s) and packs it on every call; with B stored as contiguous
 * panels of 64 columns, each panel is one sequential stream that the few rows of A use while
 * it passes (100-170 GFLOP/s on the same shapes, about 200 at 50-230 rows; bench_loc's batch-1
 * forwards 1.4-1.8x faster). Measured on the 2-core Zen 4 (family 25), 2 threads.
 *
 * Layout of one packed B (K x N): panels of AVS_PANEL columns side by side, the last one
 * N - AVS_PANEL * (panels - 1) wide; panel j holds B[k][AVS_PANEL j + c] at
 * AVS_PANEL j K + k w_j + c (w_j its width). */
#ifndef AVS_OPS_PANEL_GEMM_H
#define AVS_OPS_PANEL_GEMM_H

#include <stdbool.h>
#include <stdint.h>

enum { AVS_PANEL = 64 };

/* Offset of B[k][n] in the packed layout of a K x N matrix. */
static inline int64_t avs_panel_offset(int64_t K, int64_t N, int64_t k, int64_t n) {
  int64_t j = n / AVS_PANEL, w = N - AVS_PANEL * j < AVS_PANEL ? N - AVS_PANEL * j : AVS_PANEL;
  return AVS_PANEL * j * K + k * w + n % AVS_PANEL;
}

/* For p < count: C_p = A_p B_p, overwriting C_p, with B_p = B + p K N (packed), C_p = C + p M N
 * (M x N, row-major) and A_p = A + p a_stride, whose row i (K floats) starts at A_p + rows[i], or
 * at A_p + i K when rows is NULL. Rows may overlap: a 3-D Winograd convolution's output tiles
 * read their kt input frames' transformed tiles where they lie, side by side (winograd.c).
 * rows other than NULL only where avs_panel_gemm_any_rows(). Threads over (p, panel). */
void avs_panel_gemm_batch(int count, int64_t M, int64_t N, int64_t K, const float *A, int64_t a_stride,
                          const int64_t *rows, const float *B, float *C);

/* Whether avs_panel_gemm_batch takes rows at any offsets (the AVX-512 kernel; dnnl_sgemm takes
 * a row-major A only). */
bool avs_panel_gemm_any_rows(void);

/* Whether the AVX-512 kernel runs where the CPU has it (initially yes); off, every CPU takes the
 * dnnl_sgemm path, which tests check on the same machine. */
void avs_panel_gemm_set_avx512(bool on);

#endif
