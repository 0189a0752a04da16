"""Shared writer for the action-recognition model references (gen_action_b_*.py).

For a PyTorch model and a clip it writes what test_action_b_common.h reads:
  w.<name>       every float state_dict entry (the weights the C model loads)
  eval.x         a clip, channels-last (N,T,H,W,C); eval.logits its eval-mode logits
  train.x        a clip, train.labels its labels (floats); train.logits, train.loss
                 of one train-mode forward; grad.<name> every parameter's gradient of
                 the mean cross-entropy; after.<name> the buffers after that step
                 (batch-norm running statistics), all computed in float64, and
                 err.<key> PyTorch's float32 deviation from each (see write)
  bs.x, bs.logits, bs.after.<name>  optionally, a forward with batch statistics
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
    """Norm layers made non-trivial: affine parameters drawn at random, then
    batch-norm running statistics set to the statistics of a calibration batch
    (so eval-mode activations keep a sane scale through a deep random network;
    several clips, as late I3D layers see one value per clip) and perturbed a
    little, so that eval mode differs from batch statistics."""
    g = torch.Generator().manual_seed(1)
    norms = [m for m in model.modules()
             if isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm))]
    bns = [m for m in norms if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for m in norms:
            if m.weight is not None:
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.5, 1.5, generator=g))
                m.bias.copy_(torch.empty(m.bias.shape).uniform_(-0.2, 0.2, generator=g))
    if not bns or calib is None:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(calib)
        for m, mom in zip(bns, saved):
            m.momentum = mom
            std = m.running_var.sqrt()
            m.running_mean.add_(0.05 * torch.randn(m.running_mean.shape, generator=g) * std)
            m.running_var.mul_(torch.empty(m.running_var.shape).uniform_(0.9, 1.1, generator=g))


def set_train(model, norm_eval):
    """Training mode; with norm_eval batch norms keep using their running statistics."""
    model.train()
    if norm_eval:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def buffers_after(model, prefix):
    params = dict(model.named_parameters())
    return {f"{prefix}{k}": v.clone() for k, v in model.state_dict().items()
            if v.is_floating_point() and k not in params}


def train_step(model, x, labels, norm_eval):
    """One training-mode forward and backward of the mean cross-entropy:
    logits, loss, parameter gradients and the buffers after the step."""
    set_train(model, norm_eval)
    model.zero_grad()
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    out = {"train.logits": logits.detach().clone(), "train.loss": loss.detach().clone()}
    for k, p in model.named_parameters():
        out[f"grad.{k}"] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    out.update(buffers_after(model, "after."))
    return out


def batch_stats_forward(model, x):
    """A training-mode forward with batch statistics (no backward): logits and
    the running statistics it leaves."""
    model.train()
    with torch.no_grad():
        out = {"bs.logits": model(x).clone()}
    out.update(buffers_after(model, "bs.after."))
    return out


def write(path, model, eval_x, train_x, labels, meta, norm_eval=False, batch_stats_x=None, train64=True):
    """eval_x, train_x, batch_stats_x: (N,C,T,H,W) tensors; labels: long tensor
    (N,) for train_x. With train_x None only the weights and the eval case are
    written. norm_eval: the training step keeps batch norms on their running
    statistics (see set_train); batch_stats_x then adds a forward with batch
    statistics (bs.logits, bs.after.<buffer>).

    The training results are computed twice, in float32 and in float64 (a copy
    of the model): the file holds the float64 results, and err.<key> the
    largest absolute difference of PyTorch's own float32 result from them, so
    the C test can allow for ill-conditioned values (see test_action_b_common.h).
    train64=False keeps the training step in float32 alone (err.<key> = 0, the
    nominal bounds): for a step known to be well-conditioned whose float64
    run would cost seconds (I3D)."""
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

    def both(fn, x, *args, in64=True):
        model.load_state_dict(state, strict=False)
        model64 = copy.deepcopy(model).double() if in64 else None
        r32 = fn(model, x, *args)
        r64 = fn(model64, x.double(), *args) if in64 else r32
        for k, v in r64.items():
            out[k] = v.float().numpy()
            out[f"err.{k}"] = np.float32((r32[k].double() - v).abs().max().item())
        return r32

    loss = both(train_step, train_x, labels, norm_eval, in64=train64)["train.loss"]
    out["train.x"] = channels_last(train_x)
    out["train.labels"] = labels.float().numpy()
    if batch_stats_x is not None:
        both(batch_stats_forward, batch_stats_x)
        out["bs.x"] = channels_last(batch_stats_x)
    model.load_state_dict(state, strict=False)  # leave the model as it was
    st.save(path, out, dict(meta, norm_eval=int(norm_eval)))
    return float(loss)
