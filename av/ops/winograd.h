/* Winograd F(4x4, 3x3) for 2-D 3 x 3 convolutions of stride 1 (internal, not installed API).
 *
 * A 4 x 4 output tile of one channel pair costs 36 multiplications instead of 144:
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * with d the 6 x 6 input tile, g the 3 x 3 kernel and the matrices of Lavin & Gray ("Fast
 * Algorithms for Convolutional Neural Networks", 2016, points 0, +-1, +-2, infinity). Summed
 * over input channels this is 36 matrix products (tiles x C by C x O), one per position of
 * the 6 x 6 transformed tile, which run at the GEMM's speed. Measured on this project's
 * 2-core Zen 3 against oneDNN's direct AVX2 kernels (docs/BENCH.md): 2-3x on ResNet-18's
 * 3 x 3 layers; slower when the channels are few (the transforms then dominate) or the map
 * small (the transformed weights, 4x the kernel, serve few products), which is what
 * avs_wino_suits tells apart.
 *
 * A dilated kernel is the same transform on each of the dilation^2 interleaved grids
 * (rows h = p + dil i): the tiles step over one grid at a time. Padding is any amount of
 * zeros before the first row and column (the output size says how many after).
 *
 * The backward pass's input gradient of a stride-1 convolution is itself one: the output
 * gradient padded by 2 dil - pad and convolved with the kernel flipped and its channels
 * swapped (avs_wino_weights with adjoint = true).
 *
 * Float rounding differs from a direct convolution by about 1e-5 of the output's scale (the
 * transforms multiply by up to 8 and divide by up to 24). AVS_CONV=direct in the
 * environment turns the path off (oneDNN's direct kernels for every convolution). */
#ifndef AVS_OPS_WINOGRAD_H
#define AVS_OPS_WINOGRAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  int64_t N, H, W, C;  /* input (N, H, W, C), channels last */
  int64_t O, OH, OW;   /* output (N, OH, OW, O) */
  int64_t pad_h, pad_w; /* zeros before the first input row / column */
  int64_t dil;          /* the kernel's dilation, both dims */
} avs_wino_geo;

/* Whether the convolution is faster this way than by oneDNN's direct kernels (enough channels
 * and enough tiles; false whenever the path is turned off). */
bool avs_wino_suits(const avs_wino_geo *g);

/* Floats of the transformed weights: 36 x C x O. */
size_t avs_wino_weight_floats(int64_t C, int64_t O);

/* U[36][C][O] from PyTorch's weight w (O, C, 3, 3). adjoint: the weights of the input
 * gradient's convolution (input O channels, output C), from the same w: U[36][O][C]. */
void avs_wino_weights(const float *w, int64_t O, int64_t C, bool adjoint, float *U);

/* Bytes of scratch avs_wino_conv needs. */
size_t avs_wino_scratch_bytes(const avs_wino_geo *g);

/* y = conv(x, U) + b (b may be NULL), overwriting y. scratch: avs_wino_scratch_bytes, 64-byte aligned. */
void avs_wino_conv(const avs_wino_geo *g, const float *x, const float *U, const float *b, float *y, float *scratch);

/* The switch tests use to compare both paths (initially on unless AVS_CONV=direct). */
bool avs_wino_enabled(void);
void avs_wino_set_enabled(bool on);

#endif
