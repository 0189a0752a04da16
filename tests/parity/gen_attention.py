"""References for avs_attention (multi-head scaled dot-product, written out in
PyTorch ops) and avs_mha (torch.nn.MultiheadAttention(batch_first=True)), as
op cases (opcase.py), with Lq != Lk, 2 and 4 heads, and a self-attention case.
attention: in0..2 = q, k, v. mha: in0..2 = q, k, v (self: in0 = x alone),
then in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias."""
import math

import torch

from opcase import case, randn
from ref import Writer

w = Writer()
N, LQ, LK, E = 2, 5, 7, 8


def attention(q, k, v, heads):
    n, lq, e = q.shape
    d = e // heads
    qh = q.reshape(n, lq, heads, d).transpose(1, 2)
    kh = k.reshape(n, -1, heads, d).transpose(1, 2)
    vh = v.reshape(n, -1, heads, d).transpose(1, 2)
    p = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d), dim=-1)
    return (p @ vh).transpose(1, 2).reshape(n, lq, e)


for heads in (2, 4):
    case(w, f"attention_h{heads}", "attention", lambda q, k, v, h=heads: attention(q, k, v, h),
         [randn(N, LQ, E), randn(N, LK, E), randn(N, LK, E)], {"heads": heads})

for heads, self_attn in [(2, False), (4, False), (2, True)]:
    m = torch.nn.MultiheadAttention(E, heads, batch_first=True)
    with torch.no_grad():  # the default biases are zero: make them count
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    params = [m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias]
    if self_attn:
        fn, acts = (lambda x, *p, m=m: m(x, x, x)[0]), [randn(N, LQ, E)]
    else:
        fn, acts = (lambda q, k, v, *p, m=m: m(q, k, v)[0]), [randn(N, LQ, E), randn(N, LK, E), randn(N, LK, E)]
    case(w, f"mha_h{heads}{'_self' if self_attn else ''}", "mha", fn, acts + params, {"heads": heads})
w.save()
