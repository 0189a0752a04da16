/* Attention units under PyTorch state_dict names, each adding one row to the
 * layer trace (trace.h) for its projections and the attention itself:
 *
 *   multi-head attention  torch.nn.MultiheadAttention(dim, heads, batch_first=True):
 *                         <name>.in_proj_weight (3 dim, dim), <name>.in_proj_bias (3 dim),
 *                         <name>.out_proj.weight (dim, dim), <name>.out_proj.bias (dim);
 *                         q, k, v are the three row blocks of in_proj_*
 *   cross-attention block DETR's decoder layer without its self-attention, post-norm,
 *                         no dropout:
 *                           x = norm1(x + attn(x + pos_x, mem + pos_mem, mem))
 *                           x = norm2(x + mlp(x))
 *                         <name>.attn (multi-head attention), <name>.norm1, <name>.mlp.fc1,
 *                         <name>.mlp.fc2 (GELU between; transformer.h), <name>.norm2;
 *                         LayerNorm eps 1e-5 (PyTorch's default)
 *
 * Heads split the width into contiguous blocks of dim/heads (as PyTorch). The
 * attention weights, when asked for, are (N, heads, Lq, Lk) and differentiable
 * (avs_attention_weights); torch's need_weights=True returns their mean over heads. */
#ifndef AVS_NN_ATTENTION_H
#define AVS_NN_ATTENTION_H

#include <stdbool.h>

#include "av/ctx.h"
#include "av/params.h"

int avs_unit_declare_mha(avs_params *p, const char *name, int dim);
/* q (N,Lq,dim), k and v (N,Lk,dim) -> (N,Lq,dim); weights NULL or receives (N,heads,Lq,Lk). */
avs_tensor *avs_unit_mha(avs_ctx *ctx, const avs_params *p, const char *name, int heads, avs_tensor *q,
                         avs_tensor *k, avs_tensor *v, avs_tensor **weights);

int avs_unit_declare_cross_block(avs_params *p, const char *name, int dim, int hidden);
/* x (N,Lq,dim) attends to mem (N,Lk,dim); pos_x (.., Lq, dim) and pos_mem (.., Lk, dim)
 * are added to the queries and keys only (NULL: none; a leading 1 broadcasts over N);
 * weights as avs_unit_mha. */
avs_tensor *avs_unit_cross_block(avs_ctx *ctx, const avs_params *p, const char *name, int heads, avs_tensor *x,
                                 avs_tensor *pos_x, avs_tensor *mem, avs_tensor *pos_mem, avs_tensor **weights);

#endif
