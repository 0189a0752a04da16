"""References for max/avg pooling (2-D, 3-D) and adaptive average pooling, as
op cases (opcase.py): in0 = x and y channels-last, g0 the input gradient.
Metadata: op, kernel, stride, pad (comma lists), ceil_mode,
count_include_pad; adaptive: out (comma list)."""
import torch
import torch.nn.functional as F

from opcase import case as op_case, ints, to_cf, to_cl
from ref import Writer

w = Writer()


def case(name, op, shape, k=None, stride=None, pad=0, ceil=False, include=True, out=None, ties=False):
    nsp = len(shape) - 2
    tup = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * nsp
    # distinct values (no ties for max pooling), shuffled; shape is PyTorch's (N,C,...);
    # ties: three values only, so most windows hold their maximum twice (the first one wins)
    n = torch.tensor(shape).prod().item()
    v = torch.randint(0, 3, (n,)).float() - 1 if ties else torch.randperm(n).float() / n * 4 - 2
    x = to_cl(v.reshape(shape)).requires_grad_()
    meta = {}
    if op.startswith("adaptive"):
        pool = {2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[nsp]
        fn = lambda x: to_cl(pool(to_cf(x), out))
        meta["out"] = ints(out)
    else:
        k, pad = tup(k), tup(pad)
        stride = tup(stride) if stride is not None else k
        if op.startswith("max"):
            pool = {2: F.max_pool2d, 3: F.max_pool3d}[nsp]
            fn = lambda x: to_cl(pool(to_cf(x), k, stride, pad, ceil_mode=ceil))
        else:
            pool = {2: F.avg_pool2d, 3: F.avg_pool3d}[nsp]
            fn = lambda x: to_cl(pool(to_cf(x), k, stride, pad, ceil_mode=ceil, count_include_pad=include))
        meta.update(kernel=ints(k), stride=ints(stride), pad=ints(pad), ceil_mode=int(ceil),
                    count_include_pad=int(include))
    op_case(w, name, op, fn, [x], meta)


case("max2_basic", "max_pool2d", (2, 3, 8, 8), 2)
case("max2_pad_stride", "max_pool2d", (2, 4, 9, 7), 3, stride=2, pad=1)
case("max2_ceil", "max_pool2d", (1, 5, 10, 9), (3, 2), stride=(2, 2), pad=(1, 0), ceil=True)
case("max2_overlap", "max_pool2d", (2, 3, 7, 7), 3, stride=1)
case("max3_c3d_pool1", "max_pool3d", (1, 4, 4, 8, 8), (1, 2, 2))
case("max3_pad_ceil", "max_pool3d", (2, 3, 5, 7, 6), (2, 3, 3), stride=(2, 2, 2), pad=(1, 1, 0), ceil=True)
case("max3_c3d_pool5", "max_pool3d", (1, 3, 3, 5, 5), 2, stride=2, pad=(0, 1, 1))
case("max2_ties_overlap", "max_pool2d", (3, 4, 9, 8), 3, stride=2, pad=1, ties=True)
case("max3_ties", "max_pool3d", (1, 5, 4, 6, 6), (2, 2, 2), ties=True)
case("avg2_basic", "avg_pool2d", (2, 3, 8, 6), 2)
case("avg2_pad_incl", "avg_pool2d", (2, 4, 9, 7), 3, stride=2, pad=1, include=True)
case("avg2_pad_excl", "avg_pool2d", (2, 4, 9, 7), 3, stride=2, pad=1, include=False)
case("avg2_ceil_incl", "avg_pool2d", (1, 3, 10, 9), 3, stride=2, pad=1, ceil=True, include=True)
case("avg2_ceil_excl", "avg_pool2d", (1, 3, 10, 9), 3, stride=2, pad=1, ceil=True, include=False)
case("avg2_ceil_nopad", "avg_pool2d", (2, 2, 7, 5), 2, ceil=True, include=True)
case("avg3_pad_incl", "avg_pool3d", (2, 3, 5, 6, 7), (2, 3, 3), stride=(1, 2, 2), pad=(1, 1, 1))
case("avg3_ceil_incl", "avg_pool3d", (1, 4, 5, 7, 6), (2, 3, 2), stride=(2, 2, 2), pad=(0, 1, 1), ceil=True)
case("avg3_ceil_excl", "avg_pool3d", (1, 4, 5, 7, 6), (2, 3, 2), stride=(2, 2, 2), pad=(0, 1, 1), ceil=True,
     include=False)
case("adapt2_nondiv", "adaptive_avg_pool2d", (2, 3, 10, 7), out=(3, 4))
case("adapt2_global", "adaptive_avg_pool2d", (2, 5, 6, 7), out=(1, 1))
case("adapt2_up", "adaptive_avg_pool2d", (1, 2, 3, 5), out=(5, 7))
case("adapt3_nondiv", "adaptive_avg_pool3d", (2, 3, 5, 7, 9), out=(2, 3, 4))
case("adapt3_global", "adaptive_avg_pool3d", (1, 4, 3, 4, 4), out=(1, 1, 1))
w.save()
