"""Common helpers for the PyTorch reference generators (tests/parity/gen_*.py).

Each generator builds ops or models in PyTorch with fixed seeds and writes, per
case, inputs, weights, outputs and gradients of L = sum(y * gy) for a random gy,
all channels-last where the C side is channels-last."""
import sys

import numpy as np
import torch

import st

torch.manual_seed(0)
torch.set_num_threads(2)


def cl(t):
    """PyTorch (N,C,...) -> channels-last numpy (N,...,C)."""
    t = t.detach()
    if t.dim() >= 3:
        t = t.permute(0, *range(2, t.dim()), 1)
    return t.contiguous().numpy()


def grad_of(y, inputs):
    """Backward of sum(y * gy) with a random gy; returns gy and the input grads."""
    gy = torch.randn_like(y)
    grads = torch.autograd.grad(y, inputs, gy, allow_unused=True)
    return gy, grads


class Writer:
    def __init__(self):
        self.tensors, self.meta, self.cases = {}, {}, []

    def case(self, name, meta=None, **tensors):
        self.cases.append(name)
        for k, v in tensors.items():
            if v is None:
                continue
            if isinstance(v, torch.Tensor):
                v = v.detach().numpy()
            self.tensors[f"{name}.{k}"] = np.asarray(v, dtype=np.float32)
        for k, v in (meta or {}).items():
            self.meta[f"{name}.{k}"] = v

    def save(self, path=None):
        self.meta["cases"] = ",".join(self.cases)
        st.save(path or sys.argv[1], self.tensors, self.meta)
