"""References for batch normalisation, channels-last (statistics over all but
the last dim), as op cases (opcase.py). Inputs: in0 = x (channels-last), then
weight and bias when affine (metadata weight / bias say which), then the
running mean and variance before the step (no gradient). Training cases: the
output, gradients of x / weight / bias, and rm / rv, the running statistics
after one update (unbiased variance). Eval cases normalise with the running
statistics; nothing there has a gradient. Metadata: train, eps, momentum."""
import torch
import torch.nn.functional as F

from opcase import case as op_case, randn, to_cf, to_cl
from ref import Writer

w = Writer()


def case(name, shape, train, affine=True, eps=1e-5, momentum=0.1, bias_only=False, weight_only=False):
    c = shape[-1]
    x = randn(*shape, scale=2, shift=0.5, grad=train)
    weight = (torch.rand(c) + 0.5).requires_grad_(train) if affine and not bias_only else None
    bias = randn(c, scale=0.2, grad=train) if affine and not weight_only else None
    rm0, rv0 = torch.randn(c) * 0.1, torch.rand(c) + 0.5
    params = [t for t in (weight, bias) if t is not None]

    def bn(x, *p, rm=None, rv=None):
        it = iter(p)
        wt = next(it) if weight is not None else None
        b = next(it) if bias is not None else None
        rm = rm0.clone() if rm is None else rm
        rv = rv0.clone() if rv is None else rv
        return to_cl(F.batch_norm(to_cf(x), rm, rv, wt, b, training=train, momentum=momentum, eps=eps))

    rm, rv = rm0.clone(), rv0.clone()  # the running statistics after the step
    with torch.no_grad():
        bn(x, *params, rm=rm, rv=rv)
    meta = {"train": int(train), "weight": int(weight is not None), "bias": int(bias is not None), "eps": eps,
            "momentum": momentum}
    op_case(w, name, "batch_norm", lambda x, *p: bn(x, *p[:len(params)]), [x] + params + [rm0, rv0], meta,
            rm=rm, rv=rv)


# shapes channels-last: (N, ..., C)
case("bn2d_train", (4, 5, 7, 6), True)
case("bn2d_train_noaffine", (3, 4, 4, 5), True, affine=False, momentum=0.3)
case("bn2d_train_biasonly", (2, 3, 5, 4), True, bias_only=True)
case("bn2d_train_weightonly", (2, 3, 5, 4), True, weight_only=True)
case("bn2d_eval", (2, 5, 7, 6), False, eps=1e-3)
case("bn3d_train", (2, 3, 5, 4, 8), True, eps=1e-3, momentum=0.01)
case("bn3d_eval", (2, 3, 5, 4, 8), False)
case("bn1d_train", (6, 9, 7), True)
case("bn1d_train_nc", (16, 10), True)
# 13 channels, as xattn's bn0 (the log magnitude and 12 NMF shares), enough values for both threads
case("bn2d_train_13", (2, 64, 48, 13), True)
w.save()
