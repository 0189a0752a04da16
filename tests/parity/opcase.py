"""One-op parity cases for the C runner in op_cases.h.

A case stores its inputs in0, in1, ... (as the C op takes them), the output y,
a random upstream gradient gy, and g<i> = d(sum(y * gy))/d(in<i>) for every
input that requires grad. The metadata <case>.op names the C op and other
<case>.<key> entries carry its parameters. Activations are channels-last on
the C side: a case's fn takes and returns channels-last tensors (to_cf / to_cl
around the PyTorch op), so inputs, outputs and gradients are stored as C uses
them."""
import torch


def case(w, name, op, fn, inputs, meta=None, exact=False, **extra):
    """exact: y and the gradients are computed in float64 (from the same float32
    inputs and gy) and stored rounded to float32, for ops whose long sums make
    PyTorch's own float32 result differ from the true one by more than the
    test's tolerance (a convolution's weight gradient sums thousands of terms)."""
    run = [t.detach().double().requires_grad_(t.requires_grad) if exact and isinstance(t, torch.Tensor) else t
           for t in inputs]
    y = fn(*run)
    gy = torch.randn(y.shape).to(y.dtype)
    need = [i for i, t in enumerate(run) if isinstance(t, torch.Tensor) and t.requires_grad]
    grads = torch.autograd.grad(y, [run[i] for i in need], gy) if need else []
    y, gy, grads = y.float(), gy.float(), [g.float() for g in grads]
    tensors = {f"in{i}": t for i, t in enumerate(inputs)}
    tensors.update({f"g{i}": g for i, g in zip(need, grads)})
    tensors.update(extra)
    w.case(name, {"op": op, **(meta or {})}, y=y, gy=gy, **tensors)


def randn(*shape, grad=True, scale=1.0, shift=0.0):
    return (torch.randn(shape) * scale + shift).requires_grad_(grad)


def rand(*shape, lo=0.0, hi=1.0, grad=True):
    return (torch.rand(shape) * (hi - lo) + lo).requires_grad_(grad)


def to_cf(t):
    """Channels-last (N,...,C) -> PyTorch's (N,C,...) (a view)."""
    return t.permute(0, t.dim() - 1, *range(1, t.dim() - 1))


def to_cl(t):
    """PyTorch's (N,C,...) -> channels-last (N,...,C), contiguous."""
    return t.permute(0, *range(2, t.dim()), 1).contiguous()


def ints(v):
    """A parameter list as metadata: "1,2,3"."""
    return ",".join(str(int(i)) for i in v)
