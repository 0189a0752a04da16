"""References for avs_linear (any leading dims, with and without bias) and
avs_matmul (all four transpose combinations, batched, 2-D, batch broadcast)."""
import torch
import torch.nn.functional as F

from ref import Writer, grad_of

w = Writer()

for name, xshape, out, bias in [("linear_4d", (2, 3, 5, 7), 6, True), ("linear_2d_nobias", (4, 7), 5, False),
                                ("linear_1d", (9,), 3, True)]:
    x = torch.randn(*xshape, requires_grad=True)
    wt = torch.randn(out, xshape[-1], requires_grad=True)
    b = torch.randn(out, requires_grad=True) if bias else None
    y = F.linear(x, wt, b)
    gy, grads = grad_of(y, [x, wt] + ([b] if bias else []))
    w.case(name, {"kind": "linear", "bias": int(bias)}, x=x, w=wt, b=b, y=y, gy=gy, gx=grads[0], gw=grads[1],
           gb=grads[2] if bias else None)

B, M, K, N = 3, 4, 5, 6
cases = []
for ta in (0, 1):
    for tb in (0, 1):
        cases.append((f"matmul_{'t' if ta else 'n'}{'t' if tb else 'n'}", B, B, ta, tb))
cases += [("matmul_2d_tn", 0, 0, 1, 0), ("matmul_2d_nt", 0, 0, 0, 1),
          ("matmul_bcast_b", B, 0, 0, 1), ("matmul_bcast_a", 0, B, 1, 0)]
for name, ba, bb, ta, tb in cases:
    ashape = (K, M) if ta else (M, K)
    bshape = (N, K) if tb else (K, N)
    a = torch.randn(*(((ba,) if ba else ()) + ashape), requires_grad=True)
    b = torch.randn(*(((bb,) if bb else ()) + bshape), requires_grad=True)
    y = torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)
    gy, (ga, gb) = grad_of(y, [a, b])
    w.case(name, {"kind": "matmul", "ta": ta, "tb": tb}, a=a, b=b, y=y, gy=gy, ga=ga, gb=gb)
w.save()
