"""References for element-wise activations (any layout: element-wise)."""
import torch
import torch.nn.functional as F

from ref import Writer, grad_of

w = Writer()
for name, fn, meta in [
    ("relu", F.relu, {}),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), {"slope": 0.2}),
]:
    x = torch.randn(2, 6, 5, 3, requires_grad=True)
    y = fn(x)
    gy, (gx,) = grad_of(y, [x])
    w.case(name, meta, x=x, y=y, gy=gy, gx=gx)
w.save()
