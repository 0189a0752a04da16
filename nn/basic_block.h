/* The ResNet basic block (He et al., CVPR 2016) and a stage of them, shared by
 * the 2-D ResNet-18 and the video ResNets (R3D, MC3, R(2+1)D; Tran et al.,
 * "A Closer Look at Spatiotemporal Convolutions for Action Recognition",
 * CVPR 2018):
 *
 *   out = relu(bn2(conv2(relu(bn1(conv1(x))))) + downsample(x))
 *
 * downsample = 1x1 conv (stride) + BN when the stride or width changes.
 * State_dict names as torchvision 0.14: 2-D blocks "conv1", "bn1", "conv2",
 * "bn2"; video blocks "conv1.0" (conv), "conv1.1" (BN), "conv2.0", "conv2.1";
 * both "downsample.0", "downsample.1". */
#ifndef AVS_NN_BASIC_BLOCK_H
#define AVS_NN_BASIC_BLOCK_H

#include "av/ctx.h"
#include "av/params.h"

typedef enum {
  AVS_BLOCK_CONV2D,           /* 3x3 over (H, W): the 2-D ResNet */
  AVS_BLOCK_CONV3D,           /* 3x3x3: R3D, MC3's first stage */
  AVS_BLOCK_CONV_NO_TEMPORAL, /* 1x3x3: MC3's later stages (downsample stride 1 in time) */
  AVS_BLOCK_CONV2PLUS1D,      /* 1x3x3 to `mid` channels, BN, ReLU, then 3x1x1: R(2+1)D */
} avs_block_conv;

typedef struct {
  int in, out, stride;
  avs_block_conv conv;
  /* 2-D blocks only: dilation (and padding) of the 3x3 convs, 0 meaning 1, and
   * conv1's own where it differs (0: the same). A stage whose stride was traded
   * for dilation d (resnet18.h) gives its first conv1 d/2, as the stride-2 conv
   * it replaces; its later blocks use d throughout. */
  int dilation, dilation1;
} avs_block_spec;

/* R(2+1)D's intermediate width: as many parameters as the 3x3x3 conv it replaces,
 * (in * out * 27) / (in * 9 + 3 * out) for the block's in/out (both its convs). */
int avs_block_midplanes(int in, int out);

int avs_basic_block_declare(avs_params *p, const char *prefix, const avs_block_spec *s);
avs_tensor *avs_basic_block_forward(avs_ctx *ctx, const avs_params *p, const char *prefix,
                                    const avs_block_spec *s, avs_tensor *x);

/* A stage "<prefix>.0" ... "<prefix>.<blocks-1>": the first block maps in -> out
 * with stride, the others out -> out. */
int avs_resnet_layer_declare(avs_params *p, const char *prefix, int blocks, const avs_block_spec *first);
avs_tensor *avs_resnet_layer_forward(avs_ctx *ctx, const avs_params *p, const char *prefix, int blocks,
                                     const avs_block_spec *first, avs_tensor *x);
/* The same stage of video blocks with block i followed by a non-local block,
 * "<prefix>.<i>.nonlocal.*" (nonlocal.h), where bit i of `nonlocal` is set. */
int avs_resnet_layer_declare_nl(avs_params *p, const char *prefix, int blocks, const avs_block_spec *first,
                                int nonlocal);
avs_tensor *avs_resnet_layer_forward_nl(avs_ctx *ctx, const avs_params *p, const char *prefix, int blocks,
                                        const avs_block_spec *first, int nonlocal, avs_tensor *x);

#endif
