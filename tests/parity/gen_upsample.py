"""References for nearest / bilinear upsampling of channels-last tensors: the
PyTorch side permutes to (N,C,...) around F.interpolate, so inputs, outputs
and gradients are all stored channels-last."""
import torch.nn.functional as F

from opcase import case, randn
from ref import Writer


def interp2d(size, mode, align_corners=None):
    def fn(x):
        y = F.interpolate(x.permute(0, 3, 1, 2), size=size, mode=mode, align_corners=align_corners)
        return y.permute(0, 2, 3, 1).contiguous()
    return fn


def interp3d(size):
    def fn(x):
        y = F.interpolate(x.permute(0, 4, 1, 2, 3), size=size, mode="nearest")
        return y.permute(0, 2, 3, 4, 1).contiguous()
    return fn


w = Writer()
for name, shape, size in [
    ("nearest2d_x2", (2, 4, 5, 3), (8, 10)),
    ("nearest2d_odd", (1, 3, 4, 2), (7, 9)),
    ("nearest2d_down", (2, 9, 7, 3), (4, 3)),
    ("nearest2d_same", (1, 5, 5, 2), (5, 5)),
    ("nearest2d_large", (2, 32, 32, 16), (64, 48)),
]:
    case(w, name, "upsample_nearest2d", interp2d(size, "nearest"), [randn(*shape)], {"oh": size[0], "ow": size[1]})

for ac in (False, True):
    sfx = "_ac" if ac else ""
    for name, shape, size in [
        ("bilinear_x2", (2, 4, 5, 3), (8, 10)),
        ("bilinear_odd", (1, 3, 4, 2), (7, 11)),
        ("bilinear_down", (2, 9, 7, 3), (4, 3)),
        ("bilinear_from1", (1, 1, 3, 2), (4, 5)),
        ("bilinear_to1", (1, 4, 3, 2), (1, 1)),
        ("bilinear_large", (2, 32, 32, 16), (64, 80)),
    ]:
        case(w, name + sfx, "upsample_bilinear2d", interp2d(size, "bilinear", ac), [randn(*shape)],
             {"oh": size[0], "ow": size[1], "align_corners": int(ac)})

for name, shape, size in [
    ("nearest3d_x2", (1, 2, 3, 4, 3), (4, 6, 8)),
    ("nearest3d_mixed", (2, 4, 3, 5, 2), (2, 7, 5)),
    ("nearest3d_large", (1, 4, 16, 16, 16), (8, 32, 32)),
]:
    case(w, name, "upsample_nearest3d", interp3d(size), [randn(*shape)], {"ot": size[0], "oh": size[1], "ow": size[2]})
w.save()
