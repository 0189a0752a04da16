"""PyTorch side of the action-model parity tests (tests/parity/gen_action_*.py).

torchvision 0.14's r3d_18, mc3_18, r2plus1d_18 and resnet18 are used directly
(the video ResNets with AlexHex7's NONLocalBlock3D, gen_action_b_nonlocal.py,
after the blocks the hyperparameter `nonlocal` selects, as nn/nonlocal.h);
C3D (Tran et al. 2015, as the common PyTorch port), single-frame, late and
early fusion (Karpathy et al. 2014), CNN+LSTM (Donahue et al. 2015) and
two-stream (Simonyan & Zisserman 2014) are written here following the papers,
with the state_dict names video/models/ declares. Every model takes
channels-last clips (N, T, H, W, C).

write() fills the weights from action_hash and stores, per case:
  <case>.eval_x, <case>.eval_logits        eval mode, batch 1
  <case>.train_x, <case>.train_y, <case>.train_loss
                                           train mode, batch 2, mean cross-entropy
  <case>.g.<name>.sample / .norm / .proj   summaries of every parameter gradient
  <case>.g.<name>.round                    instead, for a gradient that is zero up to
                                           rounding, PyTorch float32's norm of it
  <case>.eval_dev, <case>.train_dev       float32's deviation (below)
and metadata <case>.arch, .hparams ("k=v,..."), .table ("name:d0xd1;..."), .params.
References are computed in float64. PyTorch's float32 run of the same step
gives `dev`: for the logits max |l32 - l64| / max |l64|; for the gradients the
largest over all parameters of max |g32 - g64| / max |g64| and of the relative
errors of norm and projection. The C test widens its bound to a multiple of it
where float32 itself cannot reach the bound: in a deep random ReLU network
float32 rounding flips a few ReLU gates, and with few positions per channel
(small test clips) one flipped gate moves a batch-norm gradient by about
1/positions; which gates flip differs between any two float32 implementations.
One float32 run is one draw of that rounding and may flip none where another
implementation flips one, so `dev` does not cover a clip with a gate that
close to zero. A case can instead give clip seeds (run_case): the first whose
train step PyTorch float32 reproduces within STABLE_DEV is used, so the C test
holds it to its plain bound (without non-local blocks that deviation is about
1e-5 with no flipped gate, 5e-4 and up with one). PyTorch's draw does not
settle this library's: the video ResNets' clips mostly have some of their
~10^5 ReLU inputs a layer within a few rounding errors of zero, which either
implementation may flip, so a generator's seed list starts at a seed measured
to pass in both (its docstring says which); the later seeds are for other
PyTorch builds.

Some gradients are exactly zero in exact arithmetic: in a non-local block in
training mode the biases of W.0 and g (a per-channel shift that the batch
norm after W removes) and phi's bias (a shift of every logit of a softmax
row). Their float64 values are rounding (below 1e-16 of the largest gradient
norm), so `dev` is meaningless for them: they are left out of it (the
threshold ZERO_GRAD is 1e-9 of the largest norm; the other gradients of the
parity models are above 1e-4 of it) and stored as PyTorch float32's norm, the
rounding level the C test allows a multiple of."""
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

import action_hash
from gen_action_b_nonlocal import NONLocalBlock3D  # tests/parity, on the generators' path

torch.manual_seed(0)
torch.set_num_threads(2)
ZERO_GRAD = 1e-9  # float64 gradient norm, relative to the largest, below which it is rounding
STABLE_DEV = 1e-4  # PyTorch float32's gradient deviation a case with clip seeds must stay within


class C3D(nn.Module):
    """conv1 64 pool1 1x2x2, conv2 128 pool2, conv3a/b 256 pool3, conv4a/b 512 pool4,
    conv5a/b 512 pool5 (padding 0,1,1), fc6, fc7, fc8 (widths scaled by `channels`/64)."""

    def __init__(self, hp):
        super().__init__()
        c, t, h, w = hp["channels"], hp["frames"], hp["height"], hp["width"]
        widths = [("conv1", c), ("conv2", 2 * c), ("conv3a", 4 * c), ("conv3b", 4 * c), ("conv4a", 8 * c),
                  ("conv4b", 8 * c), ("conv5a", 8 * c), ("conv5b", 8 * c)]
        prev = 3
        for name, out in widths:
            setattr(self, name, nn.Conv3d(prev, out, 3, padding=1))
            prev = out
        self.pool1 = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
        self.pool = nn.MaxPool3d(2, 2)
        self.pool5 = nn.MaxPool3d(2, 2, padding=(0, 1, 1))
        with torch.no_grad():
            n = self.features(torch.zeros(1, 3, t, h, w)).numel()
        self.fc6 = nn.Linear(n, hp["fc_dim"])
        self.fc7 = nn.Linear(hp["fc_dim"], hp["fc_dim"])
        self.fc8 = nn.Linear(hp["fc_dim"], hp["classes"])
        self.dropout = nn.Dropout(hp["dropout"])

    def features(self, x):
        r = F.relu
        x = self.pool1(r(self.conv1(x)))
        x = self.pool(r(self.conv2(x)))
        x = self.pool(r(self.conv3b(r(self.conv3a(x)))))
        x = self.pool(r(self.conv4b(r(self.conv4a(x)))))
        return self.pool5(r(self.conv5b(r(self.conv5a(x)))))

    def forward(self, x):
        h = self.features(x.permute(0, 4, 1, 2, 3)).flatten(1)
        h = self.dropout(F.relu(self.fc6(h)))
        h = self.dropout(F.relu(self.fc7(h)))
        return self.fc8(h)


class Wrapped(nn.Module):
    """A torchvision network whose state_dict names are its own (no prefix);
    `prep` turns the channels-last clip into its input, `post` its output into logits."""

    def __init__(self, net, prep, post=lambda y, x: y):
        super().__init__()
        self.net, self.prep, self.post = net, prep, post

    def forward(self, x):
        return self.post(self.net(self.prep(x)), x)

    def state_dict(self, *a, **k):
        return self.net.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.net.named_parameters(*a, **k)


def trunk(in_channels=3):
    """torchvision resnet18 without its fc (512 features)."""
    m = torchvision.models.resnet18()
    if in_channels != 3:
        m.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    m.fc = nn.Identity()
    return m


def frames(x):
    """(N, T, H, W, C) -> (N*T, C, H, W)."""
    n, t, h, w, c = x.shape
    return x.reshape(n * t, h, w, c).permute(0, 3, 1, 2)


def stacked(x):
    """(N, T, H, W, C) -> (N, T*C, H, W), channel t*C + c."""
    n, t, h, w, c = x.shape
    return x.permute(0, 1, 4, 2, 3).reshape(n, t * c, h, w)


def _run_nonlocal(block, inputs, output):
    return block._modules["nonlocal"](output)


def add_nonlocal(net, mask):
    """A NONLocalBlock3D after block layer<L>.<b> of a torchvision ResNet-18 where bit
    2*(L-1)+b of mask is set: the block's submodule "nonlocal" (state_dict names
    layer<L>.<b>.nonlocal.*), run on the block's output by a forward hook."""
    for bit in range(8):
        if mask >> bit & 1:
            block = getattr(net, f"layer{bit // 2 + 1}")[bit % 2]
            block.add_module("nonlocal", NONLocalBlock3D(64 << bit // 2))
            block.register_forward_hook(_run_nonlocal)
    return net


def video_resnet(ctor):
    return lambda hp: Wrapped(add_nonlocal(ctor(num_classes=hp["classes"]), hp.get("nonlocal", 0)),
                              lambda x: x.permute(0, 4, 1, 2, 3))


def single_frame(hp):
    return Wrapped(torchvision.models.resnet18(num_classes=hp["classes"]), frames,
                   lambda y, x: y.view(x.shape[0], x.shape[1], -1).mean(1))


def early_fusion(hp):
    net = torchvision.models.resnet18(num_classes=hp["classes"])
    net.conv1 = nn.Conv2d(3 * hp["frames"], 64, 7, 2, 3, bias=False)
    return Wrapped(net, stacked)


class LateFusion(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.backbone = trunk()
        self.fc = nn.Sequential(nn.Linear(hp["frames"] * 512, hp["hidden"]), nn.ReLU(), nn.Dropout(hp["dropout"]),
                                nn.Linear(hp["hidden"], hp["classes"]))

    def forward(self, x):
        n, t = x.shape[:2]
        return self.fc(self.backbone(frames(x)).view(n, t * 512))


class CnnLstm(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.per_frame = hp["per_frame"] == "true"
        self.backbone = trunk()
        self.lstm = nn.LSTM(512, hp["hidden"], hp["layers"], batch_first=True)
        self.drop = nn.Dropout(hp["dropout"])
        self.fc = nn.Linear(hp["hidden"], hp["classes"])

    def forward(self, x):
        n, t = x.shape[:2]
        h, _ = self.lstm(self.backbone(frames(x)).view(n, t, 512))
        h = self.drop(h)
        return self.fc(h).mean(1) if self.per_frame else self.fc(h[:, -1])


class TwoStream(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.rgb = torchvision.models.resnet18(num_classes=hp["classes"])
        self.flow = torchvision.models.resnet18(num_classes=hp["classes"])
        self.flow.conv1 = nn.Conv2d(2 * hp["frames"], 64, 7, 2, 3, bias=False)

    def forward(self, x):  # (N, L, H, W, 5): RGB then flow (dx, dy)
        l = x.shape[1]
        rgb = x[:, l // 2, :, :, :3].permute(0, 3, 1, 2)
        return (self.rgb(rgb) + self.flow(stacked(x[..., 3:]))) / 2


BUILDERS = {
    "c3d": C3D,
    "r3d_18": video_resnet(torchvision.models.video.r3d_18),
    "mc3_18": video_resnet(torchvision.models.video.mc3_18),
    "r2plus1d_18": video_resnet(torchvision.models.video.r2plus1d_18),
    "single_frame": single_frame,
    "late_fusion": LateFusion,
    "early_fusion": early_fusion,
    "cnn_lstm": CnnLstm,
    "two_stream": TwoStream,
}
CHANNELS = {"two_stream": 5}


def rel_dev(a, b):
    """PyTorch float32 result a against float64 b: max |a-b| / max |b|."""
    a, b = a.detach().double(), b.detach().double()
    m = b.abs().max().item()
    return (a - b).abs().max().item() / m if m > 0 else (a - b).abs().max().item()


def train_grads(m, x, y):
    """Mean cross-entropy of a train-mode forward and every parameter's gradient of it."""
    loss = F.cross_entropy(m(x), y)
    params = dict(m.named_parameters())
    return loss, dict(zip(params, torch.autograd.grad(loss, list(params.values()))))


def grad_dev(name, g32, g64, norm, proj):
    """Relative deviation of a float32 gradient from float64 g64 (whose norm and projection
    are given): of its elements, norm and projection."""
    _, norm32, proj32 = action_hash.grad_summary(name, g32)
    return max(rel_dev(g32, g64), abs(norm32 - norm) / norm if norm else 0, abs(proj32 - proj) / norm if norm else 0)


def grad_summaries(g32, g64):
    """Summaries of the float64 gradients g64 (name -> tensor) keyed by tensor suffix
    (g.<name>.sample / .norm / .proj, or .round), "train_dev", and PyTorch float32's
    largest deviation from them, g32 (gradients zero up to rounding excluded)."""
    out = {}
    worst, top = 0, max(g.norm().item() for g in g64.values())
    for name, g in g64.items():
        if g.norm().item() < ZERO_GRAD * top:
            out[f"g.{name}.round"] = np.array([g32[name].double().norm().item()], np.float32)
            continue
        sample, norm, proj = action_hash.grad_summary(name, g)
        worst = max(worst, grad_dev(name, g32[name], g, norm, proj))
        out[f"g.{name}.sample"] = sample
        out[f"g.{name}.norm"] = np.array([norm], np.float32)
        out[f"g.{name}.proj"] = np.array([proj], np.float32)
    out["train_dev"] = np.array([worst], np.float32)
    return out, worst


def train_step(m32, m64, x, y):
    """The float64 train step's loss and gradient summaries (grad_summaries) and PyTorch
    float32's largest deviation from it."""
    g32 = train_grads(m32, x, y)[1]
    loss, g64 = train_grads(m64, x.double(), y)
    out, worst = grad_summaries(g32, g64)
    out["train_loss"] = np.array([loss.item()], np.float32)
    return out, loss.item(), worst, list(g64)


def run_case(tensors, meta, case, arch, hp, seeds=None, clips=1):
    """seeds: None draws the train clip from the global stream; else clip seeds tried in
    order, keeping the first `clips` whose train step PyTorch float32 reproduces within
    STABLE_DEV: the first as the case's, the others as "<case>.clipK" (listed in the
    "<case>.clips" metadata). A ReLU gate within float32 rounding of zero can flip in
    one float32 implementation and not in another (another CPU's kernels); the C test
    then compares the next clip."""
    m32 = BUILDERS[arch](hp)
    table = action_hash.fill(m32)
    m64 = copy.deepcopy(m32).double()
    meta[f"{case}.arch"] = arch
    meta[f"{case}.hparams"] = ",".join(f"{k}={v}" for k, v in hp.items())
    meta[f"{case}.table"] = ";".join(f"{n}:{'x'.join(map(str, s))}" for n, s in table)
    shape = (hp["frames"], hp["height"], hp["width"], CHANNELS.get(arch, 3))
    x = torch.randn(1, *shape)
    m32.eval(), m64.eval()
    with torch.no_grad():
        l32, l64 = m32(x), m64(x.double())
    tensors[f"{case}.eval_x"] = x.numpy()
    tensors[f"{case}.eval_logits"] = l64.float().numpy()
    tensors[f"{case}.eval_dev"] = np.array([rel_dev(l32, l64)], np.float32)
    # Train-mode batch norm uses the batch's statistics, so the running ones the
    # steps below update do not affect a retry.
    m32.train(), m64.train()
    y = torch.tensor([1, hp["classes"] - 1])
    kept = []
    for seed in [None] if seeds is None else seeds:
        gen = None if seed is None else torch.Generator().manual_seed(seed)
        x = torch.randn(2, *shape, generator=gen)
        step, loss, worst, names = train_step(m32, m64, x, y)
        if seed is not None and worst > STABLE_DEV:
            print(f"{case}: clip seed {seed}: PyTorch float32 gradients {worst:.1e} off float64, over {STABLE_DEV:g}")
            continue
        name = case if not kept else f"{case}.clip{len(kept) + 1}"
        kept.append((name, seed, loss, worst, sum(k.startswith("g.") and k.endswith(".round") for k in step)))
        tensors[f"{name}.train_x"] = x.numpy()
        tensors[f"{name}.train_y"] = y.float().numpy()
        tensors.update({f"{name}.{k}": v for k, v in step.items()})
        meta[f"{name}.params"] = ",".join(names)
        if seed is None or len(kept) == clips:
            break
    if not kept:
        raise SystemExit(f"{case}: no clip seed in {seeds} gives a train step float32 reproduces")
    if len(kept) > 1:
        meta[f"{case}.clips"] = ",".join(k[0] for k in kept[1:])
    _, seed, loss, worst, zeros = kept[0]
    print(f"{case}: {sum(p.numel() for p in m32.parameters())} parameters, loss {loss:.6f}, "
          f"PyTorch float32 vs float64: logits {rel_dev(l32, l64):.1e}, gradients up to {worst:.1e}"
          + (f" (clip seed {seed})" if seed is not None else "") + (f", {zeros} zero up to rounding" if zeros else "")
          + (f"; other clips: seeds {', '.join(str(k[1]) for k in kept[1:])}" if len(kept) > 1 else ""))


def write(path, cases):
    """cases: (case name, arch, hyperparameters[, clip seeds[, clips kept]]) tuples (run_case)."""
    import st

    tensors, meta = {}, {}
    for case, arch, hp, *rest in cases:
        run_case(tensors, meta, case, arch, hp, *rest)
    meta["cases"] = ",".join(c[0] for c in cases)
    st.save(path, tensors, meta)
