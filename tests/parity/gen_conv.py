"""References for convolution and transposed convolution (1-3 spatial dims),
as op cases (opcase.py): in0 = x and y channels-last, in1 = w and in2 = b
(when there is a bias) in PyTorch's order; the gradients g0.. of sum(y * gy).
Metadata: op, stride, pad, dilation, out_pad (comma lists), groups."""
import torch
import torch.nn.functional as F

from opcase import case as op_case, ints, randn, to_cf, to_cl
from ref import Writer

w = Writer()


def case(name, op, n, cin, cout, size, k, stride=1, pad=0, dil=1, groups=1, bias=True, out_pad=0):
    nsp = len(size)
    tup = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * nsp
    k, stride, pad, dil, out_pad = map(tup, (k, stride, pad, dil, out_pad))
    x = randn(n, *size, cin)
    transposed = op.startswith("conv_transpose")
    wshape = (cin, cout // groups, *k) if transposed else (cout, cin // groups, *k)
    wt = randn(*wshape, scale=1.0 / (cin // groups * torch.tensor(k).prod().item()) ** 0.5)
    b = randn(cout, scale=0.1) if bias else None
    if transposed:
        conv = {2: F.conv_transpose2d, 3: F.conv_transpose3d}[nsp]
        fn = lambda x, wt, b=None: to_cl(conv(to_cf(x), wt, b, stride=stride, padding=pad, output_padding=out_pad,
                                              groups=groups, dilation=dil))
    else:
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nsp]
        fn = lambda x, wt, b=None: to_cl(conv(to_cf(x), wt, b, stride=stride, padding=pad, dilation=dil, groups=groups))
    meta = {"stride": ints(stride), "pad": ints(pad), "dilation": ints(dil), "out_pad": ints(out_pad), "groups": groups}
    op_case(w, name, op, fn, [x, wt] + ([b] if bias else []), meta, exact=True)


# conv1d
case("c1_basic", "conv1d", 2, 4, 6, (11,), 3, pad=1)
case("c1_stride_dil_groups", "conv1d", 2, 4, 6, (13,), 3, stride=2, pad=2, dil=2, groups=2, bias=False)
case("c1_depthwise", "conv1d", 1, 5, 10, (9,), 5, pad=2, groups=5)
# conv2d
case("c2_basic", "conv2d", 2, 3, 8, (9, 7), 3, pad=1)
case("c2_stride_nobias", "conv2d", 2, 4, 5, (10, 11), (3, 2), stride=(2, 3), pad=(1, 0), bias=False)
case("c2_dilation", "conv2d", 1, 3, 4, (12, 10), 3, pad=2, dil=(2, 1))
case("c2_groups", "conv2d", 2, 6, 9, (8, 8), 3, stride=2, pad=1, groups=3)
case("c2_depthwise", "conv2d", 2, 8, 8, (7, 9), 3, pad=1, groups=8, bias=False)
case("c2_1x1", "conv2d", 2, 16, 24, (5, 6), 1)
# conv3d
case("c3_c3d", "conv3d", 1, 3, 8, (4, 8, 8), 3, pad=1)
case("c3_stride_dil_groups", "conv3d", 2, 4, 6, (5, 9, 8), (3, 3, 2), stride=(1, 2, 2), pad=(0, 1, 1),
     dil=(2, 1, 1), groups=2, bias=False)
case("c3_depthwise", "conv3d", 1, 6, 12, (4, 6, 5), 3, pad=1, groups=6)
case("c3_r2plus1d_t", "conv3d", 2, 5, 7, (6, 4, 4), (3, 1, 1), stride=(2, 1, 1), pad=(1, 0, 0))
case("c3_wide", "conv3d", 1, 32, 64, (3, 6, 6), 3, pad=1)  # blocked weight layouts on AVX-512
# r2plus1d_18's stem and first block, at the parity model's sizes (channel tails on AVX2: 45, 144)
case("c3_r2p1_stem_s", "conv3d", 2, 3, 45, (8, 32, 32), (1, 7, 7), stride=(1, 2, 2), pad=(0, 3, 3), bias=False)
case("c3_r2p1_stem_t", "conv3d", 2, 45, 64, (8, 16, 16), (3, 1, 1), pad=(1, 0, 0), bias=False)
case("c3_r2p1_mid_s", "conv3d", 2, 64, 144, (8, 16, 16), (1, 3, 3), pad=(0, 1, 1), bias=False)
case("c3_r2p1_mid_t", "conv3d", 2, 144, 64, (8, 16, 16), (3, 1, 1), pad=(1, 0, 0), bias=False)
# transposed
case("t2_basic", "conv_transpose2d", 2, 4, 6, (5, 6), 3, stride=2, pad=1, out_pad=1)
case("t2_groups_nobias", "conv_transpose2d", 2, 6, 4, (4, 5), (4, 3), stride=(2, 1), pad=0, groups=2, bias=False)
case("t2_dilation", "conv_transpose2d", 1, 3, 5, (6, 4), 3, stride=2, pad=(2, 1), dil=2, out_pad=(1, 0))
case("t2_unet", "conv_transpose2d", 2, 8, 4, (4, 4), 4, stride=2, pad=1)
case("t3_basic", "conv_transpose3d", 1, 4, 6, (3, 4, 5), 3, stride=(1, 2, 2), pad=(1, 1, 1), out_pad=(0, 1, 1))
case("t3_groups", "conv_transpose3d", 2, 4, 6, (2, 3, 3), (2, 3, 3), stride=2, pad=(0, 1, 0), groups=2,
     out_pad=(1, 0, 1))
case("t2_wide", "conv_transpose2d", 1, 32, 48, (5, 5), 4, stride=2, pad=1)
w.save()
