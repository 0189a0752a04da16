"""References for layer normalisation over the last dim."""
import torch
import torch.nn.functional as F

from opcase import case, randn
from ref import Writer

w = Writer()
for name, shape, affine, eps, scale, shift in [
    ("layer_norm", (2, 7, 32), True, 1e-5, 1.0, 0.0),
    ("layer_norm_plain", (3, 5, 16), False, 1e-5, 1.0, 0.0),
    ("layer_norm_eps", (4, 10), True, 1e-3, 0.1, 0.0),
    # a large common offset: the variance must not cancel (reference in float64, below)
    ("layer_norm_offset", (6, 64), True, 1e-5, 1.0, 100.0),
    ("layer_norm_wide", (3, 700), True, 1e-5, 2.0, 0.0),
    ("layer_norm_large", (4, 256, 96), True, 1e-6, 1.0, 0.5),
]:
    c = shape[-1]
    x = randn(*shape, scale=scale, shift=shift)
    if affine:
        wt, b = randn(c, shift=1.0), randn(c)
        fn = lambda x, wt, b, e=eps: F.layer_norm(x, (c,), wt, b, e)
        if shift:
            # PyTorch's float32 result is itself about 2e-5 off here (it rounds
            # the mean to float): compare with the float64 result instead
            fn = lambda x, wt, b, e=eps: F.layer_norm(x.double(), (c,), wt.double(), b.double(), e).float()
        case(w, name, "layer_norm", fn, [x, wt, b], {"eps": eps})
    else:
        case(w, name, "layer_norm", lambda x, e=eps: F.layer_norm(x, (c,), None, None, e), [x], {"eps": eps})
# weight without bias, and a frozen weight
x, wt = randn(2, 3, 8), randn(8)
case(w, "layer_norm_weight_only", "layer_norm", lambda x, wt: F.layer_norm(x, (8,), wt, None, 1e-5), [x, wt], {"eps": 1e-5})
x, wt, b = randn(2, 3, 8), randn(8, grad=False), randn(8)
case(w, "layer_norm_frozen_weight", "layer_norm", lambda x, wt, b: F.layer_norm(x, (8,), wt, b, 1e-5), [x, wt, b],
     {"eps": 1e-5})
w.save()
