"""References for reshape, permute, concat, slice, rows (x[index]) and spatial padding
(channels-last: padding applies to all dims but the first and last)."""
import torch
import torch.nn.functional as F

from opcase import case, randn
from ref import Writer


def ints(v):
    return ",".join(str(int(i)) for i in v)


w = Writer()
case(w, "reshape", "reshape", lambda x: x.reshape(6, -1), [randn(2, 3, 4, 5)], {"shape": ints([6, -1])})
case(w, "reshape_flat", "reshape", lambda x: x.reshape(120), [randn(2, 3, 4, 5)], {"shape": ints([120])})
case(w, "reshape_5d", "reshape", lambda x: x.reshape(2, 1, 3, 10, 2), [randn(6, 20)], {"shape": ints([2, 1, 3, 10, 2])})

for name, shape, perm in [
    ("permute_to_nchw", (2, 5, 6, 3), (0, 3, 1, 2)),
    ("permute_to_nhwc", (2, 3, 5, 6), (0, 2, 3, 1)),
    ("permute_swap", (7, 9), (1, 0)),
    ("permute_5d", (2, 3, 4, 5, 6), (4, 2, 0, 3, 1)),
    ("permute_last_kept", (3, 4, 5, 8), (2, 0, 1, 3)),
    ("permute_large", (2, 64, 64, 16), (0, 3, 1, 2)),
]:
    case(w, name, "permute", lambda x, p=perm: x.permute(*p).contiguous(), [randn(*shape)], {"perm": ints(perm)})

for name, shapes, dim in [
    ("concat_channels", [(2, 4, 4, 3), (2, 4, 4, 5), (2, 4, 4, 1)], 3),
    ("concat_batch", [(1, 3, 4), (2, 3, 4)], 0),
    ("concat_mid", [(2, 3, 4), (2, 1, 4), (2, 2, 4)], 1),
    ("concat_negative_dim", [(2, 3, 4), (2, 3, 2)], -1),
    ("concat_many", [(2, 1, 3)] * 14, 1),
    ("concat_large", [(4, 100, 64), (4, 100, 64)], 2),
    # an Inception block's join: four branches of a clip along channels
    ("concat_clip_channels", [(2, 4, 7, 7, 64), (2, 4, 7, 7, 128), (2, 4, 7, 7, 32), (2, 4, 7, 7, 32)], 4),
]:
    xs = [randn(*s) for s in shapes]
    case(w, name, "concat", lambda *t, d=dim: torch.cat(t, d), xs, {"dim": dim})
# an operand without gradient
case(w, "concat_nograd", "concat", lambda *t: torch.cat(t, 1), [randn(2, 3), randn(2, 2, grad=False)], {"dim": 1})

for name, shape, dim, start, end, step in [
    ("slice_time", (2, 10, 4), 1, 2, 9, 3),
    ("slice_channels", (2, 3, 3, 8), 3, 1, 7, 1),
    ("slice_negative", (12, 5), 0, -7, -1, 2),
    ("slice_clamped", (4, 6), 1, 3, 100, 1),
    ("slice_batch", (5, 2, 3), 0, 1, 5, 2),
    ("slice_large", (2, 200, 200), 1, 10, 190, 2),
]:
    n = shape[dim]
    py = slice(start, end, step)
    case(w, name, "slice", lambda x, d=dim, s=py: x[(slice(None),) * d + (s,)].contiguous(), [randn(*shape)],
         {"dim": dim, "start": start, "end": end, "step": step})

for name, shape, index in [
    ("rows_repeated", (3, 4, 5), [1, 1, 0, 2, 1]),  # a mixture's row for each of its sources
    ("rows_subset", (4, 6), [3, 0]),
    ("rows_large", (2, 64, 64, 16), [0, 0, 0, 1, 1, 1, 0, 1]),
]:
    case(w, name, "rows", lambda x, i=index: x[torch.tensor(i)], [randn(*shape)], {"index": ints(index)})

for name, shape, before, after in [
    ("pad_1d", (2, 7, 3), [2], [1]),
    ("pad_2d", (2, 5, 4, 3), [1, 0], [2, 3]),
    ("pad_3d", (1, 3, 4, 5, 2), [1, 2, 0], [0, 1, 2]),
    ("pad_none", (2, 3, 3, 2), [0, 0], [0, 0]),
    ("pad_large", (2, 100, 100, 4), [3, 3], [3, 3]),
    ("pad_3d_large", (2, 8, 28, 28, 16), [1, 0, 1], [2, 1, 1]),
]:
    spec = [0, 0]
    for b, a in reversed(list(zip(before, after))):
        spec += [b, a]
    case(w, name, "pad", lambda x, s=spec: F.pad(x, s), [randn(*shape)], {"before": ints(before), "after": ints(after)})
w.save()
