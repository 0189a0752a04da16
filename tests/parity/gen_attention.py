"""References for avs_attention (multi-head scaled dot-product, written out in
PyTorch ops) and avs_mha (torch.nn.MultiheadAttention(batch_first=True)),
with Lq != Lk, 2 and 4 heads, and a self-attention case (q = k = v)."""
import math

import torch

from ref import Writer, grad_of

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
    q = torch.randn(N, LQ, E, requires_grad=True)
    k = torch.randn(N, LK, E, requires_grad=True)
    v = torch.randn(N, LK, E, requires_grad=True)
    y = attention(q, k, v, heads)
    gy, (gq, gk, gv) = grad_of(y, [q, k, v])
    w.case(f"attention_h{heads}", {"kind": "attention", "heads": heads}, q=q, k=k, v=v, y=y, gy=gy, gq=gq, gk=gk, gv=gv)

for heads, self_attn in [(2, False), (4, False), (2, True)]:
    m = torch.nn.MultiheadAttention(E, heads, batch_first=True)
    with torch.no_grad():  # the default biases are zero: make them count
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    params = [m.in_proj_weight, m.in_proj_bias, m.out_proj.weight, m.out_proj.bias]
    if self_attn:
        x = torch.randn(N, LQ, E, requires_grad=True)
        y, _ = m(x, x, x)
        gy, grads = grad_of(y, [x] + params)
        tensors = dict(q=x, gq=grads[0])
    else:
        q = torch.randn(N, LQ, E, requires_grad=True)
        k = torch.randn(N, LK, E, requires_grad=True)
        v = torch.randn(N, LK, E, requires_grad=True)
        y, _ = m(q, k, v)
        gy, grads = grad_of(y, [q, k, v] + params)
        tensors = dict(q=q, k=k, v=v, gq=grads[0], gk=grads[1], gv=grads[2])
    g = grads[-4:]
    w.case(f"mha_h{heads}{'_self' if self_attn else ''}", {"kind": "mha", "heads": heads, "self": int(self_attn)},
           **tensors, y=y, gy=gy, in_proj_weight=m.in_proj_weight, in_proj_bias=m.in_proj_bias,
           out_proj_weight=m.out_proj.weight, out_proj_bias=m.out_proj.bias, g_in_proj_weight=g[0],
           g_in_proj_bias=g[1], g_out_proj_weight=g[2], g_out_proj_bias=g[3])
w.save()
