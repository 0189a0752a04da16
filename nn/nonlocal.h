/* Non-local block (Wang, Girshick, Gupta, He, "Non-local Neural Networks",
 * CVPR 2018), embedded-Gaussian form, as the common PyTorch port
 * (AlexHex7/Non-local_pytorch, NONLocalBlock3D) builds it:
 *
 *   theta = 1x1x1 conv C -> C/2           (N, THW, C/2)
 *   phi   = 1x1x1 conv C -> C/2, then 1x2x2 max pool when sub_sample
 *   g     = 1x1x1 conv C -> C/2, then 1x2x2 max pool when sub_sample
 *   y     = softmax(theta phi^T) g        (attention over the pooled positions)
 *   z     = BN(1x1x1 conv C/2 -> C (y)) + x
 *
 * All four convs have a bias; the BN's weight and bias start at zero, so a new
 * block is the identity and can be inserted into a pretrained network. Tensor
 * names under a prefix ("layer2.0.nl."): theta.{weight,bias}, phi.0.* and
 * g.0.* (phi.* and g.* without sub-sampling: the port wraps them in a
 * Sequential with the pool), W.0.{weight,bias} (conv), W.1.{weight,bias,
 * running_mean,running_var} (BatchNorm3d, eps 1e-5, momentum 0.1). */
#ifndef AVS_NN_NONLOCAL_H
#define AVS_NN_NONLOCAL_H

#include <stdbool.h>

#include "av/ctx.h"
#include "av/params.h"

typedef struct {
  int channels;    /* C of the block's input and output */
  int inter;       /* theta/phi/g width; 0 means C/2 (at least 1) */
  bool sub_sample; /* 1x2x2 max pool on phi and g (the paper's default) */
  bool norm_eval;  /* the BN keeps its running statistics in training (avs_unit_batch_norm) */
} avs_nonlocal_spec;

/* Declares the block's tensors under prefix (which ends with '.' or is ""). */
int avs_nonlocal_declare(avs_params *p, const char *prefix, const avs_nonlocal_spec *s);
/* x (N, T, H, W, C) -> (N, T, H, W, C). */
avs_tensor *avs_nonlocal_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, const avs_nonlocal_spec *s,
                                 avs_tensor *x);

/* The placement the ResNet-18s share (i3d_resnet18, r3d_18, mc3_18, r2plus1d_18): their
 * hyperparameter `nonlocal` is a bit mask over the 4 layers x 2 residual blocks, bit
 * 2 * (L - 1) + b putting a non-local block after block layer<L>.<b> (layer1.0 = bit 0,
 * layer2.0 = bit 2, ... layer4.1 = bit 7). The block covers the residual block's output
 * channels, sub-samples phi and g, and its tensors are "layer<L>.<b>.nonlocal.*". */
#define AVS_NONLOCAL_RESNET_BITS 8
#define AVS_NONLOCAL_RESNET_HELP "bit mask of blocks followed by a non-local block, bit 2*(L-1)+b: layerL.b (0)"

/* AVS_EINVAL naming `model` unless 0 <= mask < 2^AVS_NONLOCAL_RESNET_BITS. */
int avs_nonlocal_resnet_check(const char *model, int mask);
/* The bits of layer index l (0 for layer1 ... 3 for layer4): bit b = after block b. */
static inline int avs_nonlocal_resnet_layer(int mask, int l) { return mask >> (2 * l) & 3; }
/* The non-local block after the residual block named `block` ("layer2.0") with `channels`
 * outputs; forward takes those channels from x. */
int avs_nonlocal_after_declare(avs_params *p, const char *block, int channels);
avs_tensor *avs_nonlocal_after_forward(avs_ctx *ctx, const avs_params *p, const char *block, bool norm_eval,
                                       avs_tensor *x);

#endif
