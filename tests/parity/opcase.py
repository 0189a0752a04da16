"""One-op parity cases for the C runner in op_cases.h.

A case stores its inputs in0, in1, ... (as the C op takes them), the output y,
a random upstream gradient gy, and g<i> = d(sum(y * gy))/d(in<i>) for every
input that requires grad. The metadata <case>.op names the C op and other
<case>.<key> entries carry its parameters."""
import torch


def case(w, name, op, fn, inputs, meta=None, **extra):
    y = fn(*inputs)
    gy = torch.randn_like(y)
    need = [i for i, t in enumerate(inputs) if isinstance(t, torch.Tensor) and t.requires_grad]
    grads = torch.autograd.grad(y, [inputs[i] for i in need], gy) if need else []
    tensors = {f"in{i}": t for i, t in enumerate(inputs)}
    tensors.update({f"g{i}": g for i, g in zip(need, grads)})
    tensors.update(extra)
    w.case(name, {"op": op, **(meta or {})}, y=y, gy=gy, **tensors)


def randn(*shape, grad=True, scale=1.0, shift=0.0):
    return (torch.randn(shape) * scale + shift).requires_grad_(grad)


def rand(*shape, lo=0.0, hi=1.0, grad=True):
    return (torch.rand(shape) * (hi - lo) + lo).requires_grad_(grad)
