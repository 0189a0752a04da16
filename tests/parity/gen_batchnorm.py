"""References for batch normalisation, channels-last (statistics over all but
the last dim). Training cases: output, grads of x / weight / bias, running
stats after one update. Eval cases: output from running stats.

Per case: x, y, gy, gx (channels-last), weight, bias, gw, gb (when affine),
rm0 / rv0 (running stats before), rm / rv (after). Metadata: train, affine,
eps, momentum."""
import torch
import torch.nn.functional as F

from ref import Writer, cl, grad_of

w = Writer()


def case(name, shape, train, affine=True, eps=1e-5, momentum=0.1, bias_only=False, weight_only=False):
    c = shape[1]
    x = (torch.randn(*shape) * 2 + 0.5).requires_grad_()
    weight = (torch.rand(c) + 0.5).requires_grad_() if affine and not bias_only else None
    bias = (torch.randn(c) * 0.2).requires_grad_() if affine and not weight_only else None
    rm0, rv0 = torch.randn(c) * 0.1, torch.rand(c) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    y = F.batch_norm(x, rm, rv, weight, bias, training=train, momentum=momentum, eps=eps)
    inputs = [x] + [t for t in (weight, bias) if t is not None]
    gy, grads = grad_of(y, inputs)
    grads = list(grads)
    gx = grads.pop(0)
    gw = grads.pop(0) if weight is not None else None
    gb = grads.pop(0) if bias is not None else None
    meta = {"train": int(train), "weight": int(weight is not None), "bias": int(bias is not None), "eps": eps,
            "momentum": momentum}
    w.case(name, meta, x=cl(x), y=cl(y), gy=cl(gy), gx=cl(gx), weight=weight, bias=bias, gw=gw, gb=gb,
           rm0=rm0, rv0=rv0, rm=rm, rv=rv)


case("bn2d_train", (4, 6, 5, 7), True)
case("bn2d_train_noaffine", (3, 5, 4, 4), True, affine=False, momentum=0.3)
case("bn2d_train_biasonly", (2, 4, 3, 5), True, bias_only=True)
case("bn2d_train_weightonly", (2, 4, 3, 5), True, weight_only=True)
case("bn2d_eval", (2, 6, 5, 7), False, eps=1e-3)
case("bn3d_train", (2, 8, 3, 5, 4), True, eps=1e-3, momentum=0.01)
case("bn3d_eval", (2, 8, 3, 5, 4), False)
case("bn1d_train", (6, 7, 9), True)
case("bn1d_train_nc", (16, 10), True)
w.save()
