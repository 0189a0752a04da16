/* Transposed convolution (torch.nn.ConvTranspose2d/3d): oneDNN deconvolution
 * through the convolution driver in conv.c. Weights (C_in, O/groups, k...) as
 * PyTorch stores them; out_pad adds size at the end (a negative right padding
 * for oneDNN). Forward and backward share conv.c's caches. */
#include "av/ops.h"
#include "av/ops/dnnl_backend.h"

avs_tensor *avs_conv_transpose2d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  return avs_dnnl_convlike(ctx, x, w, b, p, 2, true, "conv_transpose2d");
}

avs_tensor *avs_conv_transpose3d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  return avs_dnnl_convlike(ctx, x, w, b, p, 3, true, "conv_transpose3d");
}
