"""References for add/sub/mul (same shape, broadcast and per sample), scale, sum, mean and compete."""
import torch

from opcase import case, randn
from ref import Writer

w = Writer()
ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul}
for op, fn in ops.items():
    case(w, f"{op}_same", op, fn, [randn(2, 5, 7), randn(2, 5, 7)])
    # per-channel operand broadcast over (N, L)
    case(w, f"{op}_channel", op, fn, [randn(3, 6, 8), randn(8)])
    # (1, 1, C): leading ones are dropped
    case(w, f"{op}_ones", op, fn, [randn(2, 4, 5, 6), randn(1, 1, 6)])
    # trailing dims (H, W, C) of an (N, H, W, C) tensor
    case(w, f"{op}_trailing", op, fn, [randn(2, 3, 4, 5), randn(3, 4, 5)])
    # per sample: (N, 1, 1, C) over (N, H, W, C), as FiLM's factors
    case(w, f"{op}_sample", op, fn, [randn(3, 4, 5, 6), randn(3, 1, 1, 6)])
    case(w, f"{op}_sample_large", op, fn, [randn(4, 32, 32, 16), randn(4, 1, 1, 16)])
    # 0-dim scalar operand
    case(w, f"{op}_scalar", op, fn, [randn(4, 9), randn()])
    # large enough for the threaded loops: many rows of few channels, and long rows
    case(w, f"{op}_large_rows", op, fn, [randn(1, 64, 64, 12), randn(12)])
    case(w, f"{op}_large_cols", op, fn, [randn(3, 40000), randn(40000)])
    case(w, f"{op}_large_same", op, fn, [randn(5, 10000), randn(5, 10000)])
    # only one operand differentiable
    case(w, f"{op}_nograd_b", op, fn, [randn(3, 4), randn(4, grad=False)])
case(w, "mul_tiny_channels", "mul", torch.mul, [randn(2, 130, 130, 3), randn(3)])
case(w, "scale", "scale", lambda x: x * -2.5, [randn(3, 4, 5)], {"s": -2.5})
case(w, "sum", "sum", torch.sum, [randn(4, 6, 5)])
case(w, "sum_large", "sum", torch.sum, [randn(70000, shift=0.5)])
case(w, "mean", "mean", torch.mean, [randn(4, 6, 5)])
case(w, "mean_large", "mean", torch.mean, [randn(50, 2000, shift=-1)])


def compete(m, groups):
    """Rows of one group share each element: m_j^3 / sum_k m_k^2 over the group (av/ops/compete.c)."""
    squares = torch.zeros((int(groups.max()) + 1,) + m.shape[1:]).index_add(0, groups, m * m)
    d = squares[groups]
    return torch.where(d > 0, m ** 3 / torch.where(d > 0, d, torch.ones_like(d)), torch.zeros_like(m))


# masks in [0, 1] as the separation uses them; rows of a group need not be adjacent; a lone row keeps
# its value; all-zero columns stay 0 (and have no gradient)
for name, groups, shape in [("compete", [0, 1, 0, 2, 1, 1], (6, 5, 4)), ("compete_one", [0, 0, 0], (3, 7)),
                            ("compete_large", [0, 0, 1, 1, 1, 2, 3, 3], (8, 64, 64))]:
    g = torch.tensor(groups)
    m = torch.rand(shape)
    m[:, 0] = 0.0  # a column where every mask is 0
    case(w, name, "compete", lambda x, g=g: compete(x, g), [m.requires_grad_(True)], labels=g.float())

w.save()
