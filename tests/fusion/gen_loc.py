"""The localizers in PyTorch, written from their papers' code (ANCHORS.md sections
1-3) and fusion/loc_models.h's description, for tests/fusion/test_loc.c.

Cases "lvs", "ezvsl" and "senocak" (image ResNet-18 width 16, audio width 16, EZ-VSL dim 32,
128 x 128 images, 64 spectrogram frames: 15506 samples at 11025 Hz), a batch of
4 image-audio pairs (pair i = image i with audio i; the others are negatives):

  LVS (Chen et al. 2021, hche11/Localizing-Visual-Sounds-the-Hard-Way model.py
  and models/base_models.py): both nets are that repo's ResNet-18, whose layer4
  has stride 1 (torchvision's _make_layer: its first block keeps the 1x1
  downsample conv, channels change), image and audio alike (model.py builds
  imgnet and audnet from the one ResNet class; only conv1 differs); image map and
  max-pooled audio vector L2-normalised; A, A0, the tri-map and the logits
  [sim1, sim, sim2] / 0.07 exactly as model.py; loss = CE(logits, 0), mean.
  Map: A.

  EZ-VSL (Mo & Morgado 2022, stoneMo/EZ-VSL model.py, test.py): torchvision
  resnet18 trunks (stride 32), img_proj 1x1 conv, audio max-pool + aud_proj
  linear, both L2-normalised; S = <img, aud> / tau; logits = max over
  locations; loss = CE(logits, arange) + CE(logits^T, arange). Map: the
  object-guided one on the grid, normalize(alpha normalize(S[i, i]) + (1 -
  alpha) normalize(mean_c |imgnet map|)), min-max per image.

  Senocak et al. (CVPR 2018) as the C port states it (fusion/loc_models.h; class Senocak says
  where it departs from ardasnck/learning_to_localize_sound_source network.py, losses.py: ResNet-18
  branches trained from scratch in place of the frozen VGG-16 and the SoundNet vectors, since no
  pretrained weights for those can be had here): imgnet with layer4 stride 1 (8 x 8 grid), audnet
  of standard stride max-pooled to a; h = L2(sound_fc2(relu(sound_fc1(a)))); att = softmax over the
  locations of relu(cosine(V_l, h)); z' = att_fc2(relu(att_fc1(relu(sum att V)))); loss = MSE of
  softmax([|z' - a_i|, |z' - a_(i+1)|]) against [0, 1] (a detached) + sup_weight (0.5 here) x
  -sum gt log att over the pairs with boxes (gt normalised per pair, divided by their number).
  The train step's gt (<case>.gt, N x 8 x 8) is random boxes' fractional cell coverage for pairs
  0, 2 (two boxes), 3 and all zero for pair 1. Map: att.

Audio input: scipy.signal.spectrogram(window, rate, nperseg=512, noverlap=274)
(both papers' loaders pass the file's sample rate as fs, which sets the density
scaling), log(S + 1e-7) / 12, (bins, time), from random float32 waveforms.

Weights from action_hash.fill (tests/action: He-uniform convs, BN gammas around
1, running means 0.1 v, running variances 1 + 0.5 v), saved as a .pth state_dict
and converted by tools/pth2st.py --arch <case> with the hyperparameters as
--meta (the C test loads <case>.model, beside argv[1]). Stored per case:
  <case>.wave (N, samples), <case>.spec (N, bins, time, 1)  waveforms, audio input (float64 scipy)
  <case>.images (N, H, W, 3)                               normalised images
  <case>.eval_map (N, h, w), <case>.eval_dev               eval mode, float64; float32's deviation
  <case>.eval_img (N, h, w, 8 width), <case>.eval_aud      eval mode, float64: the image trunk's map and
                     (N, 8 audio_width)                    the max-pooled audio trunk (before any
                                                           projection or normalisation)
  <case>.train_loss, g.<name>.*, train_dev                 train mode (batch statistics), float64,
                                                           gradients summarised as action_ref does
  senocak.gt (N, h, w)                                     the train step's boxes on the grid
  senocak.silent (N, h, w)                                 and its silent objects' boxes
metadata <case>.model, .arch, .hparams, .params, and for the default size
(width 64, audio_width 64, dim 512) <case>.default_table ("name:shape;...")
and <case>.default_params.
"""
import contextlib
import copy
import importlib.util
import io
import os
import sys

import numpy as np
import scipy.signal
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, conv1x1

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "action"))
import action_hash  # noqa: E402
import action_ref  # noqa: E402
import st  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(2)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
N_FFT, NOVERLAP = 512, 274


class ResNet18(nn.Module):
    """conv1, bn1, relu, maxpool, layer1-4 of a ResNet-18 of the given width (torchvision's
    names; no avgpool or fc), `layer4_stride` 1 for LVS's trunks, 2 for torchvision's."""

    def __init__(self, width, in_channels=3, layer4_stride=2):
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(in_channels, w, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.inplanes = w
        self.layer1 = self._make_layer(w, 1)
        self.layer2 = self._make_layer(2 * w, 2)
        self.layer3 = self._make_layer(4 * w, 2)
        self.layer4 = self._make_layer(8 * w, layer4_stride)

    def _make_layer(self, planes, stride):  # torchvision's, 2 BasicBlocks
        ds = None
        if stride != 1 or self.inplanes != planes:
            ds = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, ds), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def nchw(x):
    return x.permute(0, 3, 1, 2)


def minmax(x):
    """Min-max normalisation per image of (N, h, w) maps."""
    flat = x.flatten(1)
    lo, hi = flat.min(1, keepdim=True)[0], flat.max(1, keepdim=True)[0]
    return ((flat - lo) / (hi - lo)).view_as(x)


class LVS(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.hp = hp
        self.imgnet = ResNet18(hp["width"], 3, 1)
        self.audnet = ResNet18(hp["audio_width"], 1, 1)

    def trunks(self, images, spec):
        """The image trunk's map (N, C, h, w) and the max-pooled audio trunk (N, C)."""
        return self.imgnet(nchw(images)), F.adaptive_max_pool2d(self.audnet(nchw(spec)), 1).flatten(1)

    def embed(self, images, spec):
        img, aud = self.trunks(images, spec)
        return F.normalize(img, dim=1), F.normalize(aud, dim=1)

    def heatmap(self, images, spec):
        img, aud = self.embed(images, spec)
        return torch.einsum("nchw,nc->nhw", img, aud)

    def logits(self, images, spec):
        hp = self.hp
        img, aud = self.embed(images, spec)
        b = img.shape[0]
        A = torch.einsum("nchw,nc->nhw", img, aud).unsqueeze(1)  # (N, 1, h, w)
        A0 = torch.einsum("nchw,mc->nmhw", img, aud)  # image n, audio m
        pos = torch.sigmoid((A - hp["eps_pos"]) / hp["tau"])
        neg = 1 - torch.sigmoid((A - hp["eps_neg"]) / hp["tau"])
        pos_all = torch.sigmoid((A0 - hp["eps_pos"]) / hp["tau"])
        mask = 1 - 100 * torch.eye(b, dtype=A.dtype)
        sim1 = (pos * A).flatten(2).sum(-1) / pos.flatten(2).sum(-1)
        sim = (pos_all * A0).flatten(2).sum(-1) / pos_all.flatten(2).sum(-1) * mask
        sim2 = (neg * A).flatten(2).sum(-1) / neg.flatten(2).sum(-1)
        return torch.cat((sim1, sim, sim2), 1) / hp["temperature"], A, pos, neg

    def loss(self, images, spec):
        logits = self.logits(images, spec)[0]
        return F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))


class EZVSL(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.hp = hp
        self.imgnet = ResNet18(hp["width"], 3, 2)
        self.img_proj = nn.Conv2d(8 * hp["width"], hp["dim"], 1)
        self.audnet = ResNet18(hp["audio_width"], 1, 2)
        self.aud_proj = nn.Linear(8 * hp["audio_width"], hp["dim"])

    def trunks(self, images, spec):
        """The image trunk's map (N, C, h, w) and the max-pooled audio trunk (N, C), before the projections."""
        return self.imgnet(nchw(images)), F.adaptive_max_pool2d(self.audnet(nchw(spec)), 1).flatten(1)

    def embed(self, images, spec):
        feat, aud = self.trunks(images, spec)
        return feat, F.normalize(self.img_proj(feat), dim=1), F.normalize(self.aud_proj(aud), dim=1)

    def scores(self, images, spec):
        feat, img, aud = self.embed(images, spec)
        return feat, torch.einsum("nchw,mc->nmhw", img, aud) / self.hp["tau"]

    def heatmap(self, images, spec):
        feat, s = self.scores(images, spec)
        b = s.shape[0]
        av = minmax(s[torch.arange(b), torch.arange(b)])
        obj = minmax(feat.abs().mean(1))
        a = self.hp["alpha"]
        return minmax(a * av + (1 - a) * obj)

    def loss(self, images, spec):
        s = self.scores(images, spec)[1]
        logits = s.flatten(-2).max(-1)[0]
        labels = torch.arange(logits.shape[0])
        return F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)


class Senocak(nn.Module):
    """Senocak et al. (CVPR 2018; ANCHORS section 3) as the C port (fusion/senocak.c) states it in
    fusion/loc_models.h. The paper and its PyTorch re-implementation (ardasnck/
    learning_to_localize_sound_source network.py, losses.py) take a frozen ImageNet VGG-16
    (conv5_3, stride 16) and precomputed SoundNet vectors; no pretrained weights for either can be
    had here, so the port trains two ResNet-18 branches from scratch instead: imgnet with layer4
    stride 1 (stride 16, as conv5_3) and a 1-channel audnet of standard stride, max-pooled to the
    audio vector a (N, Ca) that stands where the SoundNet vector stood. The head keeps the
    re-implementation's structure under the C names:
      h = L2(sound_fc2(relu(sound_fc1(a))))  (the re-implementation's relu on the sound input is a
          no-op here: a, max-pooled after a ReLU, is >= 0)
      score_l = relu(<V_l / |V_l|, h>), att = softmax over the locations l, z = sum_l att_l V_l
          (V un-normalised), z' = att_fc2(relu(att_fc1(relu(z))))  (vision_fc1/2 there)
      unsupervised: d+ = |z' - a_i|, d- = |z' - a_(i+1 mod N)|, a detached (there: the raw
          SoundNet vectors, constants); mean of (softmax([d+, d-]) - [0, 1])^2 over the N x 2 values
          (F.pairwise_distance's 1e-6 offset is left out, as in loc_models.h)
      supervised: over the pairs whose gt (N, h, w: the boxes' coverage of each cell) is not all
          zero, gt normalised to sum 1 per pair, -sum_l gt_l log att_l, summed and divided by the
          number of such pairs (there: 0/1 maps times a per-pair annotation flag, mean over the
          whole batch)
      loss = unsupervised + sup_weight supervised. Map: att on the (h, w) grid.
      Not in the paper (silent_weight): over the pairs whose silent grid sil (N, h, w: the silent
      objects' boxes' coverage) is not all zero, -log(1 - m + 1e-6) with m = sum_l sil_l att_l,
      summed and divided by the number of such pairs, times silent_weight, added to the loss."""

    def __init__(self, hp):
        super().__init__()
        self.hp = hp
        cv, ca = 8 * hp["width"], 8 * hp["audio_width"]
        self.imgnet = ResNet18(hp["width"], 3, 1)
        self.audnet = ResNet18(hp["audio_width"], 1, 2)
        self.sound_fc1 = nn.Linear(ca, ca)
        self.sound_fc2 = nn.Linear(ca, cv)
        self.att_fc1 = nn.Linear(cv, cv)
        self.att_fc2 = nn.Linear(cv, ca)

    def trunks(self, images, spec):
        """The image trunk's map (N, C, h, w) and the max-pooled audio trunk (N, Ca)."""
        return self.imgnet(nchw(images)), F.adaptive_max_pool2d(self.audnet(nchw(spec)), 1).flatten(1)

    def attend(self, images, spec):
        """V (N, C, L), a (N, Ca), att (N, L) and the grid (h, w)."""
        v, a = self.trunks(images, spec)
        grid = v.shape[2:]
        v = v.flatten(2)
        h = F.normalize(self.sound_fc2(F.relu(self.sound_fc1(a))), dim=1)
        score = F.relu(torch.einsum("ncl,nc->nl", F.normalize(v, dim=1), h))
        return v, a, F.softmax(score, 1), grid

    def heatmap(self, images, spec):
        _, _, att, grid = self.attend(images, spec)
        return att.view(-1, *grid)

    def loss(self, images, spec, gt, silent):
        v, a, att, _ = self.attend(images, spec)
        z = torch.einsum("ncl,nl->nc", v, att)
        z = self.att_fc2(F.relu(self.att_fc1(F.relu(z))))
        t = a.detach()
        d = torch.stack([(z - t).norm(dim=1), (z - t.roll(-1, 0)).norm(dim=1)], 1)
        target = torch.tensor([0.0, 1.0], dtype=z.dtype).expand_as(d)
        unsup = ((F.softmax(d, 1) - target) ** 2).mean()
        loss = unsup
        g = gt.flatten(1).to(att.dtype)
        boxed = g.sum(1) > 0
        if boxed.any():
            g = g[boxed] / g[boxed].sum(1, keepdim=True)
            loss = loss + self.hp["sup_weight"] * (-(g * torch.log(att[boxed])).sum() / boxed.sum())
        s = silent.flatten(1).to(att.dtype)
        quiet = s.sum(1) > 0
        if quiet.any() and self.hp["silent_weight"] > 0:
            m = (s[quiet] * att[quiet]).sum(1)
            loss = loss - self.hp["silent_weight"] * torch.log(1 - m + 1e-6).sum() / quiet.sum()
        return loss

    def distances(self, images, spec):
        """softmax([d+, d-]) of each pair (how far from saturation the unsupervised term is)."""
        v, a, att, _ = self.attend(images, spec)
        z = self.att_fc2(F.relu(self.att_fc1(F.relu(torch.einsum("ncl,nl->nc", v, att)))))
        d = torch.stack([(z - a).norm(dim=1), (z - a.roll(-1, 0)).norm(dim=1)], 1)
        return d, F.softmax(d, 1)


def box_grid(boxes, size, side):
    """The union of boxes (x0, y0, x1, y1 in pixels of a size x size image) on a side x side grid:
    the share of each cell they cover (fusion/loc_data.h's gt), float32 (side, side), on a raster of
    quarter pixels (size divisible by side)."""
    cover = np.zeros((size * 4, size * 4), bool)
    for x0, y0, x1, y1 in boxes:
        cover[int(round(y0 * 4)):int(round(y1 * 4)), int(round(x0 * 4)):int(round(x1 * 4))] = True
    cell = size * 4 // side
    return cover.reshape(side, cell, side, cell).mean((1, 3)).astype(np.float32)


def senocak_gt(n, size, side, rng):
    """gt (N, side, side) for the train step: pair 1 has no boxes (all zero), pair 2 two
    overlapping boxes, the others one; box edges fall inside cells, so coverage is fractional."""
    gt = np.zeros((n, side, side), np.float32)
    for i in range(n):
        if i == 1:
            continue
        boxes = []
        for _ in range(2 if i == 2 else 1):
            w, h = rng.uniform(0.25, 0.6, 2) * size
            x0, y0 = rng.uniform(0, size - w), rng.uniform(0, size - h)
            boxes.append((x0, y0, x0 + w, y0 + h))
        gt[i] = box_grid(boxes, size, side)
    return gt


def senocak_silent(n, size, side, rng):
    """The silent objects' grid (N, side, side) for the train step: one box in pairs 0 and 3, none
    elsewhere (pair 1, without sounding boxes, has none either)."""
    silent = np.zeros((n, side, side), np.float32)
    for i in (0, 3):
        if i < n:
            w, h = rng.uniform(0.2, 0.4, 2) * size
            x0, y0 = rng.uniform(0, size - w), rng.uniform(0, size - h)
            silent[i] = box_grid([(x0, y0, x0 + w, y0 + h)], size, side)
    return silent


ARCHS = {"lvs": LVS, "ezvsl": EZVSL, "senocak": Senocak}


def spectrogram(wave, rate):
    """The loaders' audio input of one window: log(S + 1e-7) / 12, (bins, time), float64."""
    _, _, s = scipy.signal.spectrogram(wave.astype(np.float64), rate, nperseg=N_FFT, noverlap=NOVERLAP)
    return np.log(s + 1e-7) / 12


def waveforms(n, samples, rate, rng):
    """Random windows in [-1, 1]: noise under a random envelope plus a few tones."""
    t = np.arange(samples) / rate
    out = []
    for _ in range(n):
        env = np.interp(t, np.linspace(0, t[-1], 8), rng.uniform(0.05, 0.6, 8))
        w = env * rng.standard_normal(samples)
        for _ in range(3):
            w += rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * rng.uniform(50, rate / 2) * t + rng.uniform(0, 6.3))
        out.append(np.clip(w, -1, 1).astype(np.float32))
    return np.stack(out)


def pth2st(*argv):
    """tools/pth2st.py's command line, in this process: (exit status, stderr)."""
    spec = importlib.util.spec_from_file_location("pth2st", os.path.join(ROOT, "tools", "pth2st.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = tool.main(list(argv))
    return rc, err.getvalue()


def convert(model, arch, hp, out):
    """The state_dict through pth2st --arch <arch> --meta k=v...; returns the model file's name."""
    base = os.path.splitext(out)[0]
    pth, converted = f"{base}.{arch}.pth", f"{base}.{arch}.safetensors"
    torch.save(model.state_dict(), pth)
    try:
        meta = [a for k, v in hp.items() for a in ("--meta", f"{k}={v}")]
        rc, err = pth2st("--arch", arch, "-q", *meta, pth, converted)
        assert rc == 0, err
    finally:
        os.remove(pth)
    return os.path.basename(converted)


def table(model):
    return ";".join(f"{k}:{'x'.join(map(str, t.shape))}" for k, t in model.state_dict().items()
                    if "num_batches" not in k)


def train_grads(m, *inputs):
    params = dict(m.named_parameters())
    loss = m.loss(*inputs)
    return loss, dict(zip(params, torch.autograd.grad(loss, list(params.values()))))


SMALL = dict(width=16, audio_width=16, dim=32, size=128, rate=11025, samples=15506, tau=0.03, eps_pos=0.65,
             eps_neg=0.4, temperature=0.07, alpha=0.4, sup_weight=0.5, silent_weight=2.0)
DEFAULT = dict(width=64, audio_width=64, dim=512)
# the hyperparameters each architecture has (fusion/lvs.c, fusion/ezvsl.c, fusion/senocak.c): the model
# file's metadata
KEYS = {"lvs": ("width", "audio_width", "size", "rate", "samples", "tau", "eps_pos", "eps_neg", "temperature"),
        "ezvsl": ("width", "audio_width", "dim", "size", "rate", "samples", "tau", "alpha"),
        "senocak": ("width", "audio_width", "size", "rate", "samples", "sup_weight", "silent_weight")}


def tri_map_thresholds(m64, x64):
    """LVS at random weights: its cosines span about 0.1 around 0.5, so the paper's eps 0.65 and
    eps' 0.4 would leave Pos or Neg empty. The small case takes eps and eps' at the 80th and
    20th percentiles of the train-mode cosines A (rounded to 0.01): both soft masks are then
    partly on, and every term of the logits moves the gradients."""
    m64.train()
    with torch.no_grad():
        A = m64.logits(*x64)[1].flatten()
    q = np.quantile(A.numpy(), [0.8, 0.2])
    return round(float(q[0]), 2), round(float(q[1]), 2)


def run_case(tensors, meta, arch, hp, n=4, seed=0):
    hp = dict(hp)
    m32 = ARCHS[arch](hp)
    action_hash.fill(m32)
    rng = np.random.RandomState(seed)
    wave = waveforms(n, hp["samples"], hp["rate"], rng)
    spec = torch.from_numpy(np.stack([spectrogram(w, hp["rate"]) for w in wave])[..., None])  # float64
    images = torch.from_numpy(rng.standard_normal((n, hp["size"], hp["size"], 3)).astype(np.float32))
    x32, x64 = (images, spec.float()), (images.double(), spec)
    train32, train64 = x32, x64
    if arch == "senocak":  # the boxes' grid: some pairs have boxes, one has none
        side = hp["size"]
        for _ in range(4):  # conv1, max pool, layer2, layer3 halve it (layer4 has stride 1)
            side = (side + 1) // 2
        gt = torch.from_numpy(senocak_gt(n, hp["size"], side, rng))
        silent = torch.from_numpy(senocak_silent(n, hp["size"], side, rng))
        tensors[f"{arch}.gt"], tensors[f"{arch}.silent"] = gt, silent
        train32, train64 = x32 + (gt, silent), x64 + (gt.double(), silent.double())
    m64 = copy.deepcopy(m32).double()
    if arch == "lvs":
        hp["eps_pos"], hp["eps_neg"] = tri_map_thresholds(copy.deepcopy(m64), x64)  # keeps m64's running stats
        m32.hp = m64.hp = hp
    own = {k: hp[k] for k in KEYS[arch]}
    meta[f"{arch}.model"] = convert(m32, arch, own, sys.argv[1])
    meta[f"{arch}.arch"] = arch
    meta[f"{arch}.hparams"] = ",".join(f"{k}={v}" for k, v in own.items())

    m32.eval(), m64.eval()
    with torch.no_grad():
        map32, map64 = m32.heatmap(*x32), m64.heatmap(*x64)
        img64, aud64 = m64.trunks(*x64)
    eval_dev = action_ref.rel_dev(map32, map64)
    tensors.update({f"{arch}.wave": wave, f"{arch}.spec": spec, f"{arch}.images": images,
                    f"{arch}.eval_img": img64.permute(0, 2, 3, 1), f"{arch}.eval_aud": aud64,
                    f"{arch}.eval_map": map64, f"{arch}.eval_dev": np.array([eval_dev], np.float32)})
    m32.train(), m64.train()
    extra = ""
    if arch == "lvs":  # how far from trivial the tri-map is
        with torch.no_grad():
            _, A, pos, neg = m64.logits(*x64)
        extra = (f", eps {hp['eps_pos']}, eps' {hp['eps_neg']}: train-mode cosines {A.min().item():.2f}.."
                 f"{A.max().item():.2f}, Pos mass {pos.flatten(1).sum(1).mean().item():.1f}, Neg mass "
                 f"{neg.flatten(1).sum(1).mean().item():.1f} of {A[0].numel()}")
    if arch == "senocak":  # how far from saturation softmax([d+, d-]) is
        with torch.no_grad():
            d, p = copy.deepcopy(m64).distances(*x64)
        extra = (f", train-mode d+ {d[:, 0].min().item():.2f}..{d[:, 0].max().item():.2f}, d- "
                 f"{d[:, 1].min().item():.2f}..{d[:, 1].max().item():.2f}, softmax(d)[1] "
                 f"{p[:, 1].min().item():.3f}..{p[:, 1].max().item():.3f}; gt mass per pair "
                 + ",".join(f"{v:.2f}" for v in gt.flatten(1).sum(1).tolist()))
    g32 = train_grads(m32, *train32)[1]
    loss, g64 = train_grads(m64, *train64)
    out, worst = action_ref.grad_summaries(g32, g64)
    tensors.update({f"{arch}.{k}": v for k, v in out.items()})
    tensors[f"{arch}.train_loss"] = np.array([loss.item()], np.float32)
    meta[f"{arch}.params"] = ",".join(g64)

    d = ARCHS[arch]({**hp, **DEFAULT})
    meta[f"{arch}.default_table"] = table(d)
    meta[f"{arch}.default_params"] = sum(p.numel() for p in d.parameters())
    print(f"{arch}: {sum(p.numel() for p in m32.parameters())} parameters (default size "
          f"{meta[f'{arch}.default_params']}), map {tuple(map64.shape)}, loss {loss.item():.6f}{extra}; "
          f"PyTorch float32 vs float64: map {eval_dev:.1e}, gradients up to {worst:.1e}")


def main():
    tensors, meta = {}, {}
    cases = ["lvs", "ezvsl", "senocak"]
    for arch in cases:
        run_case(tensors, meta, arch, SMALL)
    meta["cases"] = ",".join(cases)
    st.save(sys.argv[1], {k: v.detach().float().numpy() if torch.is_tensor(v) else v for k, v in tensors.items()},
            meta)


if __name__ == "__main__":
    main()
