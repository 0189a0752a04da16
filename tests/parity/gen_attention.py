"""References for avs_attention (multi-head scaled dot-product, written out in
PyTorch ops) and avs_mha (torch.nn.MultiheadAttention(batch_first=True)),
with Lq != Lk, 2 and 4 heads, and a self-attention case (q = k = v); and for
the weights-returning forms avs_attention_weights + avs_attention_apply and
avs_mha_weights (nn.MultiheadAttention's need_weights=True,
average_attn_weights=False), with gradients of sum(y * gy) + sum(p * gp), so
that both the output and the weights carry a gradient."""
import math

import torch

from ref import Writer, grad_of

w = Writer()
N, LQ, LK, E = 2, 5, 7, 8


def attention(q, k, v, heads, weights=False):
    n, lq, e = q.shape
    d = e // heads
    qh = q.reshape(n, lq, heads, d).transpose(1, 2)
    kh = k.reshape(n, -1, heads, d).transpose(1, 2)
    vh = v.reshape(n, -1, heads, d).transpose(1, 2)
    p = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d), dim=-1)
    y = (p @ vh).transpose(1, 2).reshape(n, lq, e)
    return (y, p) if weights else y


def grad_of_both(y, p, inputs):
    """Gradients of sum(y * gy) + sum(p * gp) for random gy, gp."""
    gy, gp = torch.randn_like(y), torch.randn_like(p)
    return gy, gp, torch.autograd.grad([y, p], inputs, [gy, gp])


for heads in (2, 4):
    q = torch.randn(N, LQ, E, requires_grad=True)
    k = torch.randn(N, LK, E, requires_grad=True)
    v = torch.randn(N, LK, E, requires_grad=True)
    y = attention(q, k, v, heads)
    gy, (gq, gk, gv) = grad_of(y, [q, k, v])
    w.case(f"attention_h{heads}", {"kind": "attention", "heads": heads}, q=q, k=k, v=v, y=y, gy=gy, gq=gq, gk=gk, gv=gv)

for heads in (2, 4):
    q = torch.randn(N, LQ, E, requires_grad=True)
    k = torch.randn(N, LK, E, requires_grad=True)
    v = torch.randn(N, LK, E, requires_grad=True)
    y, p = attention(q, k, v, heads, weights=True)
    gy, gp, (gq, gk, gv) = grad_of_both(y, p, [q, k, v])
    w.case(f"split_h{heads}", {"kind": "split", "heads": heads}, q=q, k=k, v=v, y=y, p=p, gy=gy, gp=gp, gq=gq, gk=gk,
           gv=gv)

for heads, self_attn, weights in [(2, False, False), (4, False, False), (2, True, False), (4, False, True)]:
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
        if weights:
            y, p = m(q, k, v, need_weights=True, average_attn_weights=False)
            gy, gp, grads = grad_of_both(y, p, [q, k, v] + params)
        else:
            y, _ = m(q, k, v)
            gy, grads = grad_of(y, [q, k, v] + params)
        tensors = dict(q=q, k=k, v=v, gq=grads[0], gk=grads[1], gv=grads[2])
        if weights:
            tensors.update(p=p, gp=gp)
    g = grads[-4:]
    name = f"mha_h{heads}{'_self' if self_attn else ''}{'_weights' if weights else ''}"
    w.case(name, {"kind": "mha", "heads": heads, "self": int(self_attn), "weights": int(weights)}, **tensors, y=y, gy=gy, in_proj_weight=m.in_proj_weight, in_proj_bias=m.in_proj_bias,
           out_proj_weight=m.out_proj.weight, out_proj_bias=m.out_proj.bias, g_in_proj_weight=g[0],
           g_in_proj_bias=g[1], g_out_proj_weight=g[2], g_out_proj_bias=g[3])
w.save()
