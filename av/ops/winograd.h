/* Winograd F(4x4, 3x3) for 3 x 3 convolutions of stride 1, 2-D, and 3-D with kt x 3 x 3 kernels
 * of stride 1 in time (internal, not installed API).
 *
 * A 4 x 4 output tile of one channel pair costs 36 multiplications instead of 144:
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 * with d the 6 x 6 input tile, g the 3 x 3 kernel and the matrices of Lavin & Gray ("Fast
 * Algorithms for Convolutional Neural Networks", 2016, points 0, +-1, +-2, infinity). Summed
 * over input channels this is 36 matrix products (tiles x C by C x O), one per position of
 * the 6 x 6 transformed tile, which run at the GEMM's speed. Measured on this project's
 * 2-core Zen 3 against oneDNN's direct AVX2 kernels (docs/BENCH.md): 2-3x on ResNet-18's
 * 3 x 3 layers; on the Zen 5 against the AVX-512 ones, C3D's convolutions 135 -> 77 ms and
 * R3D-18's forward 155 -> 134-155 ms; slower when the channels are few (the transforms then
 * dominate) or the map small (the transformed weights, 4x the kernel, serve few products),
 * which is what avs_wino_suits tells apart.
 *
 * A dilated kernel is the same transform on each of the dilation^2 interleaved grids
 * (rows h = p + dil i): the tiles step over one grid at a time. Padding is any amount of
 * zeros before the first row and column (the output size says how many after).
 *
 * A 3-D convolution (C3D's and the video ResNets' 3 x 3 x 3) sums kt 2-D ones over the input
 * frames t + k - pad_t: each output tile's product takes the kt transformed input tiles side
 * by side (K = kt C, the frames outside the clip as zeros), so the 36 products are one GEMM
 * each as in 2-D. Each input frame's tiles are transformed once, and the products read a tile's
 * kt frames where they lie (the OT output frames of one spatial tile are consecutive rows whose
 * K floats overlap: panel_gemm.h's row offsets); transforming each frame once per tap cost
 * C3D-size layers of 64 channels about a third of their time.
 *
 * The backward pass's input gradient of a stride-1 convolution is itself one: the output
 * gradient padded by 2 dil - pad (kt - 1 - pad_t in time) and convolved with the kernel
 * flipped and its channels swapped (avs_wino_weights with adjoint = true). The weight gradient
 * is the adjoint of the forward's own arithmetic (avs_wino_weight_grad): the same 36 products
 * with the tiles as their inner dimension, then G^T dU G per kernel.
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
  int64_t N, H, W, C;  /* input (N, H, W, C), channels last; 3-D: (N, T, H, W, C) */
  int64_t O, OH, OW;   /* output (N, OH, OW, O); 3-D: (N, OT, OH, OW, O) */
  int64_t pad_h, pad_w; /* zeros before the first input row / column */
  int64_t dil;          /* the kernel's dilation, both dims */
  int64_t T, OT, kt;    /* 3-D: input and output frames, the kernel's taps in time (all 0: 2-D) */
  int64_t pad_t;        /* 3-D: zero frames before the first */
} avs_wino_geo;

/* Whether the convolution is faster this way than by oneDNN's direct kernels (enough channels
 * and enough tiles; false whenever the path is turned off). */
bool avs_wino_suits(const avs_wino_geo *g);

/* Floats of the transformed weights: 36 x kt C x O (kt = 1 in 2-D). */
size_t avs_wino_weight_floats(const avs_wino_geo *g);

/* U[36][kt C][O] from PyTorch's weight w (O, C, kt, 3, 3) (kt = 1: (O, C, 3, 3)), rows tap-major
 * (k C + c). adjoint: the weights of the input gradient's convolution (input O channels, output
 * C), from the same w, flipped in every dim: U[36][kt O][C]. Each of the 36 matrices is stored
 * in panels of columns (panel_gemm.h), the layout its products read. */
void avs_wino_weights(const float *w, int64_t O, int64_t C, int64_t kt, bool adjoint, float *U);

/* Bytes of scratch avs_wino_conv needs. */
size_t avs_wino_scratch_bytes(const avs_wino_geo *g);

/* y = conv(x, U) + b (b may be NULL), then max(y, 0) when relu, overwriting y. scratch:
 * avs_wino_scratch_bytes, 64-byte aligned. */
void avs_wino_conv(const avs_wino_geo *g, const float *x, const float *U, const float *b, bool relu, float *y,
                   float *scratch);

/* Bytes of scratch avs_wino_weight_grad needs: avs_wino_scratch_bytes and the transformed
 * weights' gradient. */
size_t avs_wino_wgrad_scratch_bytes(const avs_wino_geo *g);

/* The gradients of y = conv(x, w) + b given gy = dL/dy, added: dw (PyTorch's (O, C, kt, 3, 3);
 * NULL: not wanted) and db (O; NULL: none). g is the forward's geometry. scratch:
 * avs_wino_wgrad_scratch_bytes, 64-byte aligned. 0, or -1 out of memory (nothing added). */
int avs_wino_weight_grad(const avs_wino_geo *g, const float *x, const float *gy, float *dw, float *db,
                         float *scratch);

/* The switch tests use to compare both paths (initially on unless AVS_CONV=direct). */
bool avs_wino_enabled(void);
void avs_wino_set_enabled(bool on);

/* Whether taped (training) forwards take the path too (initially yes). The architectures' parity
 * tests turn it off to compare a training step with PyTorch's: conv.c says why. */
bool avs_wino_training(void);
void avs_wino_set_training(bool on);

#endif
