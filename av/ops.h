/* Differentiable ops. Each takes the context first, allocates its output in
 * the context's arena and, when the context tapes and an input requires grad,
 * records a backward node. Any NULL tensor input (other than an optional one
 * such as a bias) makes the op return NULL: errors propagate to the end of a
 * forward pass. Layouts are channels-last; weights are in PyTorch's order.
 * Each op keeps its forward and backward kernels together in av/ops/<op>.c. */
#ifndef AVS_OPS_H
#define AVS_OPS_H

#include "av/ctx.h"

/* ---- convolution (oneDNN, channels-last, primitives cached per shape) ----
 * Spatial parameters are given for up to three spatial dims in order
 * (T,H,W for 3-D, H,W for 2-D, L for 1-D). Zero stride/dilation/groups mean 1. */
typedef struct {
  int stride[3];
  int pad[3];        /* zeros added at both ends (use avs_pad for asymmetric padding) */
  int dilation[3];
  int out_pad[3];    /* transposed convolution only: extra size at the end */
  int groups;
  bool relu;         /* ReLU on the output: inside the convolution's own pass where no gradient is
                        taped (eval), a separate avs_relu (with its backward) where one is */
} avs_conv;

/* x (N,L,C) / (N,H,W,C) / (N,T,H,W,C); w (O, C/groups, k...); b (O) or NULL. */
avs_tensor *avs_conv1d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p);
avs_tensor *avs_conv2d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p);
avs_tensor *avs_conv3d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p);
/* Transposed: w (C, O/groups, k...) as torch.nn.ConvTranspose*d. */
avs_tensor *avs_conv_transpose2d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p);
avs_tensor *avs_conv_transpose3d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p);

/* ---- pooling ---- zero stride means stride = kernel. */
typedef struct {
  int kernel[3];
  int stride[3];
  int pad[3];
  bool ceil_mode;
  bool count_include_pad; /* average pooling; PyTorch's default is true */
} avs_pool;

avs_tensor *avs_max_pool2d(avs_ctx *ctx, avs_tensor *x, avs_pool p);
avs_tensor *avs_max_pool3d(avs_ctx *ctx, avs_tensor *x, avs_pool p);
avs_tensor *avs_avg_pool2d(avs_ctx *ctx, avs_tensor *x, avs_pool p);
avs_tensor *avs_avg_pool3d(avs_ctx *ctx, avs_tensor *x, avs_pool p);
/* As torch's adaptive_avg_pool: output (N,oh,ow,C) / (N,ot,oh,ow,C). */
avs_tensor *avs_adaptive_avg_pool2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow);
avs_tensor *avs_adaptive_avg_pool3d(avs_ctx *ctx, avs_tensor *x, int ot, int oh, int ow);

/* ---- normalisation ---- */
typedef struct {
  avs_tensor *weight, *bias;            /* (C) or NULL (affine=False) */
  avs_tensor *running_mean, *running_var; /* (C); updated in place in training mode */
  float eps;                            /* 0 means 1e-5 */
  float momentum;                       /* 0 means 0.1 (PyTorch's convention) */
} avs_bn;

/* Channels are the last dim, statistics over all others. Training mode (ctx)
 * normalises with batch statistics and updates running stats as PyTorch does
 * (unbiased variance into running_var); eval mode uses running stats. */
avs_tensor *avs_batch_norm(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn);
/* relu(avs_batch_norm(x)) in one pass, forward and backward (a conv + BN + ReLU unit in training). */
avs_tensor *avs_batch_norm_relu(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn);
/* Over the last dim; w, b (C) or NULL. eps 0 means 1e-5. */
avs_tensor *avs_layer_norm(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, float eps);

/* ---- element-wise ---- */
avs_tensor *avs_relu(avs_ctx *ctx, avs_tensor *x);
avs_tensor *avs_leaky_relu(avs_ctx *ctx, avs_tensor *x, float slope);
avs_tensor *avs_sigmoid(avs_ctx *ctx, avs_tensor *x);
avs_tensor *avs_tanh(avs_ctx *ctx, avs_tensor *x);
avs_tensor *avs_gelu(avs_ctx *ctx, avs_tensor *x);          /* exact (erf) form */
avs_tensor *avs_ln(avs_ctx *ctx, avs_tensor *x);            /* natural log, x > 0 */
avs_tensor *avs_softmax(avs_ctx *ctx, avs_tensor *x);       /* over the last dim */
avs_tensor *avs_log_softmax(avs_ctx *ctx, avs_tensor *x);   /* over the last dim */
/* Inverted dropout: zeroes with probability p and scales by 1/(1-p) in training
 * (mask from avs_ctx_rng); in eval mode and for p = 0 returns x itself.
 * p outside [0, 1) is an error (AVS_EINVAL). */
avs_tensor *avs_dropout(avs_ctx *ctx, avs_tensor *x, float p);
/* a + b, a - b, a * b: same shape, or b broadcast over a's leading dims when b's
 * shape equals a's trailing dims (bias or per-channel scale); b's leading dims
 * of size 1 are ignored, so (1,1,C) acts as (C) and a 0-dim or (1) b as a scalar;
 * or b per sample, (N, 1.., T..) on a (N, .., T..) with T.. a's trailing dims
 * ((N,1,1,C) scales each sample's channels of (N,H,W,C)). */
avs_tensor *avs_add(avs_ctx *ctx, avs_tensor *a, avs_tensor *b);
avs_tensor *avs_sub(avs_ctx *ctx, avs_tensor *a, avs_tensor *b);
avs_tensor *avs_mul(avs_ctx *ctx, avs_tensor *a, avs_tensor *b);
/* relu(a + b) for a and b of one shape (a residual block's end): one pass where no gradient is
 * taped, avs_relu(avs_add(a, b)) where one is. */
avs_tensor *avs_add_relu(avs_ctx *ctx, avs_tensor *a, avs_tensor *b);
avs_tensor *avs_scale(avs_ctx *ctx, avs_tensor *x, float s);
avs_tensor *avs_affine(avs_ctx *ctx, avs_tensor *x, float s, float b); /* s x + b */
avs_tensor *avs_sum(avs_ctx *ctx, avs_tensor *x);           /* scalar */
avs_tensor *avs_mean(avs_ctx *ctx, avs_tensor *x);          /* scalar */
/* Over the last dim (av/ops/rowwise.c): x / max(|x|, eps) as F.normalize;
 * sum(w x) / sum(w) of same-shaped x and w, and the maximum, both dropping the dim. */
avs_tensor *avs_l2_normalize(avs_ctx *ctx, avs_tensor *x, float eps);
avs_tensor *avs_weighted_mean(avs_ctx *ctx, avs_tensor *x, avs_tensor *w);
avs_tensor *avs_max_last(avs_ctx *ctx, avs_tensor *x);
/* Competing masks (av/ops/compete.c): rows of x (M, ...) with the same
 * group[row] (>= 0; NULL: one group) share each element, row j becoming
 * x_j^3 / sum_k x_k^2 over its group's rows (0 where that sum is 0).
 * avs_compete_rows does it in place on M rows of `plane` floats, off the tape. */
avs_tensor *avs_compete(avs_ctx *ctx, avs_tensor *x, const int *group);
int avs_compete_rows(float *x, int rows, int64_t plane, const int *group);

/* ---- shape ---- (outputs are contiguous; a reshape shares its input's floats, the others are copies) */
avs_tensor *avs_reshape(avs_ctx *ctx, avs_tensor *x, int ndim, const int64_t *shape); /* one -1 allowed */
avs_tensor *avs_permute(avs_ctx *ctx, avs_tensor *x, const int *perm);
avs_tensor *avs_detach(avs_ctx *ctx, avs_tensor *x); /* a copy outside the tape (x.detach()) */
avs_tensor *avs_concat(avs_ctx *ctx, int n, avs_tensor *const *xs, int dim);
/* Elements start, start+step, ... < end along dim (step >= 1); negative dim,
 * start and end count from the end and start/end are clamped, as Python slices. */
avs_tensor *avs_slice(avs_ctx *ctx, avs_tensor *x, int dim, int64_t start, int64_t end, int64_t step);
/* Rows of x along dim 0: y[j] = x[index[j]] for j < m (a row may repeat; gradients add up), x itself
 * when index is 0..m-1 of an x of m rows. An index outside x's rows is AVS_EINVAL. */
avs_tensor *avs_rows(avs_ctx *ctx, avs_tensor *x, const int *index, int64_t m);
/* Zero padding of the spatial dims (all but the first and the last): before[i], after[i] >= 0. */
avs_tensor *avs_pad(avs_ctx *ctx, avs_tensor *x, const int *before, const int *after);
/* Upsampling of channels-last images (N,H,W,C) to (N,oh,ow,C) as F.interpolate. */
avs_tensor *avs_upsample_nearest2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow);
avs_tensor *avs_upsample_bilinear2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow, bool align_corners);
avs_tensor *avs_upsample_nearest3d(avs_ctx *ctx, avs_tensor *x, int ot, int oh, int ow);

/* ---- matrix products (avs_gemm) ---- */
/* y = x w^T + b over x's last dim; w (out, in), b (out) or NULL. */
avs_tensor *avs_linear(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b);
/* Batched: a (B,M,K) [or (B,K,M) if trans_a], b (B,K,N) [or (B,N,K)] -> (B,M,N). 2-D inputs act as B=1. */
avs_tensor *avs_matmul(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, bool trans_a, bool trans_b);

/* Multi-head attention as torch.nn.MultiheadAttention(batch_first=True):
 * q (N,Lq,E), k and v (N,Lk,E); weights in_proj_weight (3E,E), in_proj_bias (3E),
 * out_proj.weight (E,E), out_proj.bias (E). */
typedef struct {
  avs_tensor *in_proj_weight, *in_proj_bias, *out_proj_weight, *out_proj_bias;
  int heads;
} avs_mha_w;
avs_tensor *avs_mha(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, const avs_mha_w *w);
/* The same, also giving the attention weights (N,heads,Lq,Lk) in *weights (differentiable;
 * average them over heads for torch's need_weights=True). NULL weights: as avs_mha. */
avs_tensor *avs_mha_weights(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, const avs_mha_w *w,
                            avs_tensor **weights);
/* softmax(q k^T / sqrt(d)) v per head: q (N,Lq,H*d), k,v (N,Lk,H*d) -> (N,Lq,H*d). */
avs_tensor *avs_attention(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, avs_tensor *v, int heads);
/* avs_attention in two differentiable halves, for when the weights are wanted:
 * the weights softmax(q_h k_h^T / sqrt(d)) of every head, q (N,Lq,H*d), k (N,Lk,H*d) -> (N,H,Lq,Lk)
 * (Lk > 0); and weights p (N,H,Lq,Lk) applied to v (N,Lk,H*d) -> (N,Lq,H*d), heads merged as
 * avs_attention does. apply(weights(q, k, H), v) equals avs_attention(q, k, v, H). */
avs_tensor *avs_attention_weights(avs_ctx *ctx, avs_tensor *q, avs_tensor *k, int heads);
avs_tensor *avs_attention_apply(avs_ctx *ctx, avs_tensor *p, avs_tensor *v);

/* One LSTM layer as torch.nn.LSTM(batch_first=True), zero initial state:
 * x (N,L,I) -> (N,L,H) or (N,L,2H) if bidirectional (forward then reverse
 * features). Weights: w_ih (4H,I), w_hh (4H,H), b_ih, b_hh (4H) (biases may be
 * NULL); the *_rev set for the reverse direction. Gate order i,f,g,o. */
typedef struct {
  avs_tensor *w_ih, *w_hh, *b_ih, *b_hh;
  avs_tensor *w_ih_rev, *w_hh_rev, *b_ih_rev, *b_hh_rev; /* bidirectional only */
  bool bidirectional;
} avs_lstm_w;
avs_tensor *avs_lstm(avs_ctx *ctx, avs_tensor *x, const avs_lstm_w *w);

/* ---- losses: mean over all elements, scalar (0-dim) result ----
 * Gradients reach the input and, where PyTorch 1.13 has one, the target
 * (l1, mse, bce, bce_logits); weights are constants. */
avs_tensor *avs_l1_loss(avs_ctx *ctx, avs_tensor *x, avs_tensor *target);
avs_tensor *avs_mse_loss(avs_ctx *ctx, avs_tensor *x, avs_tensor *target);
/* F.binary_cross_entropy on probabilities p, weight per element or NULL (logs clamped at -100 as PyTorch). */
avs_tensor *avs_bce_loss(avs_ctx *ctx, avs_tensor *p, avs_tensor *target, avs_tensor *weight);
/* F.binary_cross_entropy_with_logits, weight per element or NULL. */
avs_tensor *avs_bce_logits_loss(avs_ctx *ctx, avs_tensor *logits, avs_tensor *target, avs_tensor *weight);
/* F.cross_entropy: logits (N,C), labels[N] in [0,C). */
avs_tensor *avs_cross_entropy(avs_ctx *ctx, avs_tensor *logits, const int *labels);
/* InfoNCE: a, b (N,D); logits a b^T / temperature, the positive of row i is
 * column i; mean cross-entropy over rows. */
avs_tensor *avs_info_nce(avs_ctx *ctx, avs_tensor *a, avs_tensor *b, float temperature);

#endif
