"""Deterministic weights shared by the action-model parity generators and the
C tests (action_hash.h computes the same float32 values bit for bit).

Full-size video networks hold tens of millions of weights; writing them into
every reference file would cost hundreds of megabytes. Instead both sides fill
each tensor from a counter-based hash of its state_dict name:

  v_i = 2 * (splitmix64(fnv1a64(name) + i) >> 40) / 2^24 - 1      in [-1, 1), exact
  running_var 1 + 0.5 v;  running_mean 0.1 v;  *bias 0.1 v;
  the last BN of a residual branch (*conv2.1.weight, *bn2.weight) 0.25 + 0.05 v (Goyal et
  al.'s zero-gamma init, softened: a random deep net with unit gammas amplifies float32
  rounding into its gradients, PyTorch's own float32 included);  other 1-D (BN weight) 1 + 0.25 v;
  lstm weights v / sqrt(in);  conv / linear weights sqrt(6 / fan_in) v  (He uniform)

all in float64, then rounded to float32. Gradients are compared through a
strided sample of at most SAMPLE elements per tensor, the tensor's L2 norm and
its projection on a hashed vector (sum g_i * v_i of fnv1a64(name + "#proj"))."""
import math

import numpy as np

M64 = (1 << 64) - 1
SAMPLE = 512


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def uniform(name, n):
    """n float64 values in [-1, 1) for tensor `name`."""
    out = np.empty(n, np.float64)
    base = np.uint64(fnv1a64(name))
    chunk = 1 << 22
    with np.errstate(over="ignore"):
        for s in range(0, n, chunk):
            z = base + np.arange(s, min(n, s + chunk), dtype=np.uint64)
            z = z + np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            out[s:s + len(z)] = (z >> np.uint64(40)).astype(np.float64) * (2.0 / 16777216.0) - 1.0
    return out


def value(name, shape):
    """The float32 array the rules above give tensor `name` of `shape`."""
    n = int(np.prod(shape)) if len(shape) else 1
    v = uniform(name, n)
    if name.endswith("running_var"):
        v = 1.0 + 0.5 * v
    elif name.endswith("running_mean"):
        v = 0.1 * v
    elif name.endswith("bias") or "bias_" in name.rsplit(".", 1)[-1]:
        v = 0.1 * v
    elif name.endswith("conv2.1.weight") or name.endswith("bn2.weight"):
        v = 0.25 + 0.05 * v
    elif len(shape) == 1:
        v = 1.0 + 0.25 * v
    elif "lstm" in name:
        v = v * (1.0 / math.sqrt(shape[1]))
    else:
        v = v * math.sqrt(6.0 / (n // shape[0]))
    return v.astype(np.float32).reshape(shape)


def fill(model):
    """Every float entry of model.state_dict() set by value(); returns [(name, shape)]."""
    import torch

    table = []
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            t.copy_(torch.from_numpy(value(name, tuple(t.shape))))
            table.append((name, tuple(t.shape)))
    return table


def sample_stride(n):
    return max(1, n // SAMPLE)


def grad_summary(name, g):
    """(strided sample, L2 norm, projection) of gradient g (a torch tensor)."""
    flat = g.detach().double().flatten().numpy()
    s = sample_stride(flat.size)
    proj = float(np.dot(flat, uniform(name + "#proj", flat.size)))
    return flat[::s][:SAMPLE].astype(np.float32), float(np.linalg.norm(flat)), proj
