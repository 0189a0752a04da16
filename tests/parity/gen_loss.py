"""References for the losses (reduction='mean', scalar results)."""
import torch
import torch.nn.functional as F

from opcase import case, rand, randn
from ref import Writer

w = Writer()
case(w, "l1", "l1_loss", F.l1_loss, [randn(3, 5, 7), randn(3, 5, 7)])
case(w, "l1_large", "l1_loss", F.l1_loss, [randn(2, 64, 64, 4), randn(2, 64, 64, 4)])
case(w, "mse", "mse_loss", F.mse_loss, [randn(3, 5, 7), randn(3, 5, 7)])
case(w, "mse_large", "mse_loss", F.mse_loss, [randn(2, 64, 64, 4), randn(2, 64, 64, 4)])
case(w, "mse_target_const", "mse_loss", F.mse_loss, [randn(4, 6), randn(4, 6, grad=False)])

# probabilities away from 0 and 1, soft targets (differentiable in PyTorch too)
case(w, "bce", "bce_loss", F.binary_cross_entropy, [rand(4, 8, 3, lo=0.02, hi=0.98), rand(4, 8, 3)])
case(w, "bce_weight", "bce_loss", lambda p, t, wt: F.binary_cross_entropy(p, t, weight=wt),
     [rand(4, 8, 3, lo=0.02, hi=0.98), rand(4, 8, 3).round().detach(), rand(4, 8, 3, lo=0.5, hi=2, grad=False)])
case(w, "bce_large", "bce_loss", F.binary_cross_entropy, [rand(2, 64, 64, 3, lo=0.01, hi=0.99), rand(2, 64, 64, 3)])
# exact 0 and 1: the logs clamp at -100, the gradient divides by max(p(1-p), 1e-12)
p = torch.tensor([0.0, 0.0, 1.0, 1.0, 1e-30, 0.5], requires_grad=True)
t = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.3])
case(w, "bce_clamped", "bce_loss", F.binary_cross_entropy, [p, t])

case(w, "bce_logits", "bce_logits_loss", F.binary_cross_entropy_with_logits, [randn(4, 8, 3, scale=3), rand(4, 8, 3)])
case(w, "bce_logits_weight", "bce_logits_loss",
     lambda x, t, wt: F.binary_cross_entropy_with_logits(x, t, weight=wt),
     [randn(4, 8, 3, scale=3), rand(4, 8, 3).round().detach(), rand(4, 8, 3, lo=0.5, hi=2, grad=False)])
# large logits: no overflow
x = torch.tensor([-200.0, -90.0, -20.0, 0.0, 20.0, 90.0, 200.0], requires_grad=True)
case(w, "bce_logits_extreme", "bce_logits_loss", F.binary_cross_entropy_with_logits,
     [x, torch.tensor([1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0])])
case(w, "bce_logits_large", "bce_logits_loss", F.binary_cross_entropy_with_logits,
     [randn(2, 64, 64, 3, scale=4), rand(2, 64, 64, 3)])

for name, n, c, scale in [("cross_entropy", 6, 5, 2.0), ("cross_entropy_wide", 8, 400, 10.0),
                          ("cross_entropy_large", 256, 200, 3.0), ("cross_entropy_one", 1, 1, 1.0)]:
    labels = torch.randint(0, c, (n,))
    case(w, name, "cross_entropy", lambda x, l=labels: F.cross_entropy(x, l), [randn(n, c, scale=scale)],
         labels=labels.float())


def info_nce(a, b, temperature):
    return F.cross_entropy(a @ b.t() / temperature, torch.arange(a.shape[0]))


for name, n, d, temp in [("info_nce", 8, 16, 0.1), ("info_nce_t1", 5, 3, 1.0), ("info_nce_large", 128, 64, 0.07)]:
    a = F.normalize(torch.randn(n, d), dim=1).requires_grad_()
    b = F.normalize(torch.randn(n, d), dim=1).requires_grad_()
    case(w, name, "info_nce", lambda a, b, t=temp: info_nce(a, b, t), [a, b], {"temperature": temp})
w.save()
