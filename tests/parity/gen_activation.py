"""References for the element-wise activations and softmax (channels-last or
not does not matter: element-wise, or over the last dim)."""
import torch
import torch.nn.functional as F

from opcase import case, randn
from ref import Writer

w = Writer()
case(w, "relu", "relu", F.relu, [randn(2, 6, 5, 3)])
case(w, "leaky_relu", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), [randn(2, 6, 5, 3)], {"slope": 0.2})

# wide ranges reach both saturated ends of sigmoid and tanh
case(w, "sigmoid", "sigmoid", torch.sigmoid, [randn(2, 6, 5, 7, scale=4)])
case(w, "sigmoid_extreme", "sigmoid", torch.sigmoid,
     [torch.tensor([-120.0, -88.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 88.0, 120.0], requires_grad=True)])
case(w, "tanh", "tanh", torch.tanh, [randn(3, 4, 50, scale=3)])
case(w, "gelu", "gelu", F.gelu, [randn(2, 8, 33, scale=3)])
# a tensor big enough to take the threaded path (> 32k elements)
case(w, "gelu_large", "gelu", F.gelu, [randn(4, 128, 80, scale=2)])

case(w, "softmax", "softmax", lambda x: F.softmax(x, -1), [randn(3, 5, 17, scale=3)])
# large offsets: no overflow when the row maximum is subtracted
case(w, "softmax_offset", "softmax", lambda x: F.softmax(x, -1), [randn(4, 9, scale=20, shift=500)])
case(w, "softmax_large", "softmax", lambda x: F.softmax(x, -1), [randn(64, 40, 30)])
case(w, "softmax_row1", "softmax", lambda x: F.softmax(x, -1), [randn(5, 1)])
case(w, "log_softmax", "log_softmax", lambda x: F.log_softmax(x, -1), [randn(3, 5, 17, scale=3)])
case(w, "log_softmax_offset", "log_softmax", lambda x: F.log_softmax(x, -1), [randn(4, 9, scale=20, shift=-500)])
case(w, "log_softmax_large", "log_softmax", lambda x: F.log_softmax(x, -1), [randn(64, 40, 30)])
w.save()
