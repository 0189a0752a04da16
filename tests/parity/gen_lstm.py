"""References for avs_lstm as op cases (opcase.py): one
torch.nn.LSTM(batch_first=True) layer, zero initial state, uni- and
bidirectional, with and without biases. in0 = x, then the layer's parameters
in named_parameters() order (weight_ih, weight_hh, [bias_ih, bias_hh], then
the same with _reverse); gradients of x and of every weight."""
import torch

from opcase import case
from ref import Writer

w = Writer()
N, L, I, H = 3, 6, 4, 5
for name, bidir, bias in [("uni", False, True), ("bi", True, True), ("uni_nobias", False, False),
                          ("bi_nobias", True, False)]:
    m = torch.nn.LSTM(I, H, batch_first=True, bidirectional=bidir, bias=bias)
    x = torch.randn(N, L, I, requires_grad=True)
    params = [p for _, p in m.named_parameters()]
    case(w, name, "lstm", lambda x, *p, m=m: m(x)[0], [x] + params, {"bidirectional": int(bidir), "bias": int(bias)})
w.save()
