"""References for avs_lstm: one torch.nn.LSTM(batch_first=True) layer, zero
initial state, uni- and bidirectional with biases, and one without biases;
gradients of x and of every weight."""
import torch

from ref import Writer, grad_of

w = Writer()
N, L, I, H = 3, 6, 4, 5
for name, bidir, bias in [("uni", False, True), ("bi", True, True), ("uni_nobias", False, False),
                          ("bi_nobias", True, False)]:
    m = torch.nn.LSTM(I, H, batch_first=True, bidirectional=bidir, bias=bias)
    x = torch.randn(N, L, I, requires_grad=True)
    y, _ = m(x)
    names = [n for n, _ in m.named_parameters()]
    params = [p for _, p in m.named_parameters()]
    gy, grads = grad_of(y, [x] + params)
    tensors = {"x": x, "y": y, "gy": gy, "gx": grads[0]}
    for n, p, g in zip(names, params, grads[1:]):
        tensors[n] = p
        tensors["g_" + n] = g
    w.case(name, {"bidirectional": int(bidir), "bias": int(bias), "hidden": H}, **tensors)
w.save()
