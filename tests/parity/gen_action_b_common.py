"""Shared writer for the action-recognition model references (gen_action_b_*.py).

For a PyTorch model and a clip it writes what test_action_b_common.h reads:
  w.<name>       every float state_dict entry (the weights the C model loads)
  eval.x         a clip, channels-last (N,T,H,W,C); eval.logits its eval-mode logits
  train.x        a clip, train.labels its labels (floats); train.logits, train.loss
                 of one train-mode forward; grad.<name> every parameter's gradient of
                 the mean cross-entropy; after.<name> the buffers after that step
                 (batch-norm running statistics), all computed in float64, and
                 err.<key> PyTorch's float32 deviation from each (see write)
plus metadata given by the generator (the model's configuration)."""
import copy

import numpy as np
import torch
import torch.nn.functional as F

import st

torch.set_num_threads(2)


def channels_last(x):
    """(N,C,T,H,W) -> (N,T,H,W,C) numpy."""
    return x.permute(0, 2, 3, 4, 1).contiguous().numpy()


def randomize_norms(model, calib):
    """Batch-norm running statistics set to the statistics of a calibration
    batch (so eval-mode activations keep a sane scale through a deep random
    network; several clips, as late I3D layers see one value per clip), then
    affine parameters and statistics perturbed so nothing is an identity."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if bns:
        saved = [m.momentum for m in bns]
        for m in bns:
            m.momentum = 1.0
        model.train()
        with torch.no_grad():
            model(calib)
        for m, mom in zip(bns, saved):
            m.momentum = mom
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm)):
                if m.weight is not None:
                    m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.5, 1.5, generator=g))
                    m.bias.copy_(torch.empty(m.bias.shape).uniform_(-0.2, 0.2, generator=g))
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.running_var.mul_(torch.empty(m.running_var.shape).uniform_(0.8, 1.25, generator=g))
                    m.running_mean.add_(0.1 * torch.randn(m.running_mean.shape, generator=g)
                                        * m.running_var.sqrt())


def train_step(model, x, labels):
    """One train-mode forward and backward of the mean cross-entropy: logits,
    loss, parameter gradients and the buffers after the step (float64 if the
    model is)."""
    model.train()
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    out = {"train.logits": logits.detach().clone(), "train.loss": loss.detach().clone()}
    params = dict(model.named_parameters())
    for k, p in params.items():
        out[f"grad.{k}"] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    for k, v in model.state_dict().items():
        if v.is_floating_point() and k not in params:
            out[f"after.{k}"] = v.clone()
    return out


def write(path, model, eval_x, train_x, labels, meta):
    """eval_x, train_x: (N,C,T,H,W) tensors; labels: long tensor (N,). With
    train_x None only the weights and the eval case are written.

    The training step is computed twice, in float32 and in float64 (a copy of
    the model): the file holds the float64 results, and err.<key> the largest
    absolute difference of PyTorch's own float32 result from them. Train-mode
    batch norm makes a deep network's gradients ill-conditioned (rounding is
    amplified by the cancellations in each batch-norm backward), so the C test
    allows that much on top of its nominal tolerance."""
    out = {}
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    for k, v in state.items():
        out[f"w.{k}"] = v.numpy()

    model.eval()
    with torch.no_grad():
        out["eval.logits"] = model(eval_x).numpy()
    out["eval.x"] = channels_last(eval_x)
    if train_x is None:
        st.save(path, out, meta)
        return None

    model64 = copy.deepcopy(model).double()
    r32 = train_step(model, train_x, labels)
    r64 = train_step(model64, train_x.double(), labels)
    model.load_state_dict(state, strict=False)  # leave the model as written
    for k, v in r64.items():
        out[k] = v.float().numpy()
        out[f"err.{k}"] = np.float32((r32[k].double() - v).abs().max().item())
    out["train.x"] = channels_last(train_x)
    out["train.labels"] = labels.float().numpy()
    st.save(path, out, meta)
    return float(r32["train.loss"])
