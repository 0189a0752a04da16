/* Building blocks shared by the action models: parameter lookup by formatted
 * name, and the conv / batch-norm / linear / pooling units that declare their
 * tensors under PyTorch state_dict names ("<name>.weight", "<name>.bias",
 * "<name>.running_mean", "<name>.running_var") and run them channels-last.
 * Each unit adds a row to the layer trace (trace.h) when one is active. */
#ifndef AVS_NN_UNIT_H
#define AVS_NN_UNIT_H

#include <stdbool.h>

#include "av/ops.h"
#include "av/params.h"

/* A convolution as nn.Conv1d / nn.Conv2d / nn.Conv3d: spatial values in order (T,) H, W, or L. */
typedef struct {
  int nsp;                     /* spatial dims: 1 (L), 2 (H, W) or 3 (T, H, W) */
  int in, out;
  int k[3], stride[3], pad[3]; /* zero stride means 1 */
  bool bias;
  int dilation[3];             /* zero means 1 */
} avs_conv_spec;

#define AVS_NAME_MAX 160

/* Formats a tensor or layer name into buf (AVS_NAME_MAX bytes); returns buf. */
char *avs_unit_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The tensor named by fmt; NULL with AVS_ENOTFOUND when the table lacks it. */
avs_tensor *avs_unit_param(const avs_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int avs_unit_declare_conv(avs_params *p, const char *name, const avs_conv_spec *s);
/* A transposed convolution as nn.ConvTranspose2d / 3d: weight (in, out, k...),
 * stride, padding and dilation of the spec as the module's (U-Net decoders). */
int avs_unit_declare_conv_transpose(avs_params *p, const char *name, const avs_conv_spec *s);
/* BatchNorm: weight, bias, running_mean, running_var (buffers: no gradient). */
int avs_unit_declare_bn(avs_params *p, const char *name, int channels);
int avs_unit_declare_linear(avs_params *p, const char *name, int in, int out);
/* conv (no bias) + BatchNorm over its output channels. */
int avs_unit_declare(avs_params *p, const char *conv, const char *bn, const avs_conv_spec *s);

avs_tensor *avs_unit_conv(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                          avs_tensor *x);
/* avs_unit_conv then ReLU (one pass where no gradient is taped: avs_conv's relu). */
avs_tensor *avs_unit_conv_relu(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                               avs_tensor *x);
avs_tensor *avs_unit_conv_transpose(avs_ctx *ctx, const avs_params *p, const char *name, const avs_conv_spec *s,
                                    avs_tensor *x);
/* Batch norm with PyTorch's defaults (eps 1e-5, momentum 0.1); _relu: then ReLU, in the same pass. */
avs_tensor *avs_unit_bn(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x);
avs_tensor *avs_unit_bn_relu(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x);
/* A batch norm that is a layer of its own (on an input, not after a conv): its own trace row. */
avs_tensor *avs_unit_bn_layer(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x);
/* conv then batch norm; in eval mode with a fold cache selected (fold.h) one
 * convolution with the BN folded into its weights. */
avs_tensor *avs_unit_conv_bn(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn,
                             const avs_conv_spec *s, avs_tensor *x);
/* conv (then batch norm, when bn is not NULL) of x and rows of `shared` joined along channels, row i of x
 * with row index[i] of shared (index NULL: row i): a U-Net level whose skip input is shared by several
 * rows of x, as the sources of one mixture share its encoder. The weight is split along its input
 * channels, conv(W, [x, r]) = conv(W_x, x) + conv(W_r, r), so the shared part is convolved once per
 * row of shared. BN folded in eval mode as avs_unit_conv_bn. shared NULL: avs_unit_conv_bn (or
 * avs_unit_conv without bn). */
avs_tensor *avs_unit_conv_bn_joined(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn,
                                    const avs_conv_spec *s, avs_tensor *x, avs_tensor *shared, const int *index);
/* The same for a 2-D transposed convolution (no batch norm): convT(W, [x, r]) = convT(W_x, x) + convT(W_r, r),
 * W (in, out, k, k) split along its first dim; the bias with x's part. */
avs_tensor *avs_unit_conv_transpose_joined(avs_ctx *ctx, const avs_params *p, const char *name,
                                           const avs_conv_spec *s, avs_tensor *x, avs_tensor *shared,
                                           const int *index);
/* conv, batch norm, then ReLU when relu (in eval mode one convolution: BN folded into it, the ReLU
 * on its output pass). */
avs_tensor *avs_unit_forward(avs_ctx *ctx, const avs_params *p, const char *conv, const char *bn,
                             const avs_conv_spec *s, avs_tensor *x, bool relu);
/* x (..., in) -> (..., out); "<name>.bias" is optional (a table without it has no bias). */
avs_tensor *avs_unit_linear(avs_ctx *ctx, const avs_params *p, const char *name, avs_tensor *x);
/* Max pooling over nsp spatial dims; `name` labels the trace row. */
avs_tensor *avs_unit_max_pool(avs_ctx *ctx, const char *name, int nsp, avs_tensor *x, avs_pool pool);

/* Batch norm as the I3D and non-local blocks run it: batch statistics in training unless
 * norm_eval; with norm_eval (or in evaluation) the running statistics, and in
 * training then still differentiable in the input and the affine parameters
 * (avs_batch_norm tapes only with batch statistics). Then ReLU when relu. */
avs_tensor *avs_unit_batch_norm(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn, bool norm_eval, bool relu);

#endif
