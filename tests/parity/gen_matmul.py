"""References for avs_linear (any leading dims, with and without bias) and
avs_matmul (all four transpose combinations, batched, 2-D, batch broadcast),
as op cases (opcase.py). linear: in0 = x, in1 = w, in2 = b; matmul: in0 = a,
in1 = b as stored (transposed when ta / tb say so)."""
import torch
import torch.nn.functional as F

from opcase import case, randn
from ref import Writer

w = Writer()

for name, xshape, out, bias in [("linear_4d", (2, 3, 5, 7), 6, True), ("linear_2d_nobias", (4, 7), 5, False),
                                ("linear_1d", (9,), 3, True)]:
    inputs = [randn(*xshape), randn(out, xshape[-1])] + ([randn(out)] if bias else [])
    case(w, name, "linear", lambda x, wt, b=None: F.linear(x, wt, b), inputs)

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
    a = randn(*(((ba,) if ba else ()) + ashape))
    b = randn(*(((bb,) if bb else ()) + bshape))
    fn = lambda a, b, ta=ta, tb=tb: torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)
    case(w, name, "matmul", fn, [a, b], {"ta": ta, "tb": tb})
w.save()
