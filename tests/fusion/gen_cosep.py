"""Co-Separation in PyTorch, written from its description (fusion/cosep.h and the
reference code's facts in ANCHORS.md), for tests/fusion/test_cosep.c.

Two cases, weights from action_hash.fill (tests/action) with the U-Net's last
conv-transpose times 0.1 (mask logits of a few units: unsaturated masks), saved as
the reference's three checkpoints (visual, unet, classifier .pth state_dicts, each
ResNet with its conv1 registered twice as the reference's Resnet18) and merged by
`tools/pth2st.py --arch cosep` into the model file the C test loads (metadata
"<case>.model", beside argv[1]; the .pth files are removed):
  small  max-pooled visual vector, 7 U-Net levels (ngf 8), 128 x 128 spectrogram,
         64 x 64 crops, ResNet widths 8, 5 classes
  c1x1   the README's conv1x1 pooling (visual_dim 24), 5 U-Net levels (ngf 4)
  prior  c1x1's sizes with the toolkit's NMF prior (not the paper's): nmf 3 share-logit
         channels after the log magnitude in the U-Net's input (uniform in [-7, 7], as
         fusion/sep_nmf.h's logits range), the dictionaries a buffer (3, 512, 2) added to the
         converted file with the nmf hyperparameters (no reference checkpoint has them)
  gate   prior's sizes with prior_gate (not the paper's either): the mask logits plus the
         share logits weighed by softmax(Linear(visual vector)); the linear, audio.nmf.gate,
         added to the converted file as the dictionaries are, with prior_gate=true
Five objects of two mixtures of two videos each (videos 0, 1 and 2, 3): objects 0-2
of mixture 0 (video 0; video 1 twice), objects 3, 4 of mixture 1 (videos 2, 3).
Stored per case (float64 results):
  <case>.mixes, .src        the mixtures' warped magnitudes (+ 1e-10) (2, F, T), the videos' (4, F, T)
  <case>.x, .mix, .crops    each object's mixture: the U-Net's input log (5, F, T, 1) and the
                            magnitude (5, F, T); crops (5, H, W, 3)
  <case>.gt, .weight        clamp(src / mix, 0, 5) and clamp(log1p(mix), 1e-3, 10) of each
                            video and its mixture (4, F, T)
  <case>.eval_vis, _logits, _masks, _classes
                            eval mode: visual vectors, mask logits and masks (5, F, T), the
                            classifier's logits of log(mix x mask + 1e-10) (5, C); eval_dev:
                            PyTorch float32's max |l32 - l64| / max |l64| of the mask logits
  <case>.train_*            train mode, the U-Net's encoder on the two mixtures (as the C model
                            runs it; its batch norms see each mixture once): masks, class logits,
                            the co-separation loss (weighted
                            L1; also unweighted L1 and weighted L2 on the same masks), the
                            cross-entropy, loss = coseparation + 0.5 cross-entropy, and every
                            parameter gradient of it summarised as action_ref does;
                            grad_top: the largest float64 gradient norm
Case "default": the state_dict table ("name:shape;...", each ResNet's duplicate conv1
left out as the converter does) and parameter counts of the paper's model and of a
CPU-sized one."""
import contextlib
import copy
import importlib.util
import io
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import gen_sop  # noqa: E402  (puts tests/action on sys.path; its ResNet-18 trunk)
import action_hash  # noqa: E402
import action_ref  # noqa: E402
import st  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(2)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MIX_OF, VIDEO_OF, LABELS, CLASS_WEIGHT = [0, 0, 0, 1, 1], [0, 1, 1, 2, 3], [2, 0, 4, 1, 3], 0.5
VIDEO_MIX = [0, 0, 1, 1]  # each video's mixture
GATE = "audio.nmf.gate"  # prior_gate's linear in the toolkit's file


class Resnet18(nn.Module):
    """The reference's Resnet18: conv1 registered on its own and as feature_extraction.0;
    pool 'maxpool' or 'conv1x1' (1x1 conv 8w -> 2w, BN, ReLU, flatten, fc)."""

    def __init__(self, width, in_ch, pool, fc_in=None, fc_out=None):
        super().__init__()
        self.pool = pool
        self.conv1 = nn.Conv2d(in_ch, width, 7, 2, 3, bias=False)
        self.feature_extraction = nn.Sequential(self.conv1, *list(gen_sop.resnet18_features(width).children())[1:])
        if pool == "conv1x1":
            self.conv1x1 = nn.Sequential(nn.Conv2d(8 * width, 2 * width, 1), nn.BatchNorm2d(2 * width), nn.ReLU())
        if fc_out:
            self.fc = nn.Linear(fc_in, fc_out)

    def forward(self, x):
        x = self.feature_extraction(x)
        x = self.conv1x1(x) if self.pool == "conv1x1" else F.adaptive_max_pool2d(x, 1)
        return self.fc(x.flatten(1)) if hasattr(self, "fc") else x.flatten(1)


def unet_conv(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 4, 2, 1), nn.BatchNorm2d(o), nn.LeakyReLU(0.2, True))


def unet_upconv(i, o, outermost=False):
    if outermost:
        return nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1), nn.Sigmoid())
    return nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, 1), nn.BatchNorm2d(o), nn.ReLU(True))


class AudioVisualUNet(nn.Module):
    """AudioVisual7layerUNet for any number of levels and visual vector length."""

    def __init__(self, ngf, downs, vis_dim, in_ch=1):
        super().__init__()
        self.downs = downs
        ch = [in_ch] + [ngf * min(2 ** l, 8) for l in range(downs)]
        for l in range(1, downs + 1):
            setattr(self, f"audionet_convlayer{l}", unet_conv(ch[l - 1], ch[l]))
        for j in range(1, downs + 1):
            inp = vis_dim + ch[downs] if j == 1 else 2 * ch[downs - j + 1]
            setattr(self, f"audionet_upconvlayer{j}", unet_upconv(inp, 1 if j == downs else ch[downs - j],
                                                                  j == downs))

    def forward(self, x, vis, logits=False, mix_of=None):  # x (N, in_ch, F, T), vis (M, D)
        lv = [x]
        for l in range(1, self.downs + 1):
            lv.append(getattr(self, f"audionet_convlayer{l}")(lv[-1]))
        if mix_of is not None:  # the encoder ran once per mixture (fusion/cosep_unet.c): each object's levels
            lv = [level[mix_of] for level in lv]
        y = torch.cat((vis[:, :, None, None].repeat(1, 1, *lv[-1].shape[2:]), lv[-1]), 1)
        for j in range(1, self.downs + 1):
            if j > 1:
                y = torch.cat((y, lv[self.downs - j + 1]), 1)
            up = getattr(self, f"audionet_upconvlayer{j}")
            y = up[0](y) if logits and j == self.downs else up(y)
        return y[:, 0]


class CoSep(nn.Module):
    def __init__(self, hp):
        super().__init__()
        side = hp["crop"]
        for _ in range(5):
            side = (side + 1) // 2
        w = hp["visual_width"]
        if hp["conv1x1"]:
            self.net_visual = Resnet18(w, 3, "conv1x1", 2 * w * side * side, hp["visual_dim"])
            vis_dim = hp["visual_dim"]
        else:
            self.net_visual, vis_dim = Resnet18(w, 3, "maxpool"), 8 * w
        self.net_unet = AudioVisualUNet(hp["ngf"], hp["downs"], vis_dim, 1 + hp.get("nmf", 0))
        cw = hp["classifier_width"]
        self.net_classifier = Resnet18(cw, 1, "maxpool", 8 * cw, hp["classes"])
        self.gate = nn.Linear(vis_dim, hp["nmf"]) if hp.get("prior_gate") else None

    def forward(self, x, crops, mix, mix_of=None):
        """x (N, F, T, 1 + nmf) per object, or per mixture with mix_of (each object's row); crops (M, H, W, 3),
        mix (M, F, T)."""
        # contiguous NCHW: PyTorch 1.13's CPU backward of this ResNet on a channels-last
        # strided input corrupts the heap (double free)
        vis = self.net_visual(crops.permute(0, 3, 1, 2).contiguous())
        logits = self.net_unet(x.permute(0, 3, 1, 2).contiguous(), vis, logits=True, mix_of=mix_of)
        if self.gate is not None:  # each object's softmax over the classes weighs its mixture's share logits
            own = x if mix_of is None else x[mix_of]
            logits = logits + (own[..., 1:] * torch.softmax(self.gate(vis), 1)[:, None, None, :]).sum(3)
        masks = torch.sigmoid(logits)
        classes = self.net_classifier(torch.log(mix * masks + 1e-10)[:, None])
        return vis, logits, masks, classes


def coseparation_loss(masks, gt, weight, l2=False):
    """train.py's get_coseparation_loss with criterion.L1Loss / L2Loss: per video the sum
    of its objects' masks against its mask, mean(weight x distance), mean over videos."""
    sums = [None] * len(VIDEO_MIX)
    for i, v in enumerate(VIDEO_OF):
        sums[v] = masks[i] if sums[v] is None else sums[v] + masks[i]
    d = [(s - g) ** 2 if l2 else (s - g).abs() for s, g in zip(sums, gt)]
    return torch.stack([torch.mean((w if w is not None else 1) * e)
                        for e, w in zip(d, weight if weight is not None else [None] * len(d))]).mean()


def train_step(m, x, crops, mix, gt, weight):
    """x per mixture: the encoder runs once per mixture in training as in the C model."""
    out = m(x, crops, mix, MIX_OF)
    cosep = coseparation_loss(out[2], gt, weight)
    ce = F.cross_entropy(out[3], torch.tensor(LABELS))
    loss = cosep + CLASS_WEIGHT * ce
    named = dict(m.named_parameters())  # each ResNet's conv1 under its first name, "conv1.weight"
    grads = torch.autograd.grad(loss, list(named.values()))
    names = [k.replace(".conv1.weight", ".feature_extraction.0.weight") if k.endswith("visual.conv1.weight")
             or k.endswith("classifier.conv1.weight") else GATE + k[4:] if k.startswith("gate.") else k
             for k in named]
    return out, cosep, ce, loss, dict(zip(names, grads))


def pth2st(*argv):
    """tools/pth2st.py's command line, in this process: (exit status, stderr)."""
    spec = importlib.util.spec_from_file_location("pth2st", os.path.join(ROOT, "tools", "pth2st.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = tool.main(list(argv))
    return rc, err.getvalue()


def convert(m, case, hp):
    """The three checkpoints merged by pth2st --arch cosep (crop, freq and time given, the
    others read from the tensors); its refusal of a wrong order. Returns the file's name."""
    base = os.path.splitext(sys.argv[1])[0] + "." + case
    nets = (m.net_visual, m.net_unet, m.net_classifier)
    pths = [f"{base}.{part}_best.pth" for part in ("visual", "unet", "classifier")]
    converted = base + ".cosep.safetensors"
    for net, path in zip(nets, pths):
        torch.save(net.state_dict(), path)
    meta = [a for k in ("crop", "freq", "time") for a in ("--meta", f"{k}={hp[k]}")]
    try:
        rc, err = pth2st("--arch", "cosep", "-q", *meta, *pths, converted)
        assert rc == 0, err
        rc, err = pth2st("--arch", "cosep", pths[1], pths[0], pths[2], base + ".refused.safetensors")
        assert rc == 1 and "visual" in err and not os.path.exists(base + ".refused.safetensors"), err
    finally:
        for path in pths:
            os.remove(path)
    if hp.get("nmf"):  # the prior's dictionaries and hyperparameters, which no reference checkpoint has
        tensors, file_meta = st.load(converted)
        tensors = dict(tensors)
        tensors["audio.nmf.dictionary"] = np.random.default_rng(0).random((hp["nmf"], 512, hp["nmf_components"]))
        file_meta.update(nmf=hp["nmf"], nmf_components=hp["nmf_components"])
        if m.gate is not None:
            tensors.update({f"{GATE}.weight": m.gate.weight.detach().numpy(),
                            f"{GATE}.bias": m.gate.bias.detach().numpy()})
            file_meta.update(prior_gate="true")
        st.save(converted, tensors, file_meta)
    return os.path.basename(converted)


def run_case(tensors, meta, case, hp):
    m32 = CoSep(hp)
    action_hash.fill(m32)
    with torch.no_grad():
        getattr(m32.net_unet, f"audionet_upconvlayer{hp['downs']}")[0].weight.mul_(0.1)
    m64 = copy.deepcopy(m32).double()
    meta[f"{case}.model"] = convert(m32, case, hp)
    meta[f"{case}.hparams"] = ",".join(f"{k}={str(v).lower()}" for k, v in hp.items())
    f, t, n = hp["freq"], hp["time"], len(VIDEO_OF)
    src = torch.randn(4, f, t).exp()
    mixes = src.view(2, 2, f, t).sum(1) / 2 + 1e-10  # the reference's (a + b) / 2
    mix = mixes[MIX_OF]
    x = mix.log()[..., None]
    if hp.get("nmf"):
        x = torch.cat((x, (torch.rand(2, f, t, hp["nmf"]) * 14 - 7)[MIX_OF]), 3)  # per mixture, as the logs
    crops = torch.randn(n, hp["crop"], hp["crop"], 3)
    gt = (src / mixes[VIDEO_MIX]).clamp(0, 5)
    weight = torch.log1p(mixes[VIDEO_MIX]).clamp(1e-3, 10)
    tensors.update({f"{case}.mixes": mixes, f"{case}.mix": mix, f"{case}.src": src, f"{case}.x": x,
                    f"{case}.crops": crops, f"{case}.gt": gt, f"{case}.weight": weight})
    d64 = [v.double() for v in (x, crops, mix, gt, weight)]

    m32.eval(), m64.eval()
    with torch.no_grad():
        l32 = m32(x, crops, mix)[1]
        vis, logits, masks, classes = m64(*d64[:3])
    dev = action_ref.rel_dev(l32, logits)
    tensors.update({f"{case}.eval_vis": vis, f"{case}.eval_logits": logits, f"{case}.eval_masks": masks,
                    f"{case}.eval_classes": classes, f"{case}.eval_dev": np.array([dev], np.float32)})

    m32.train(), m64.train()
    mixtures = [MIX_OF.index(k) for k in range(2)]  # each mixture's first object's row of x
    g32 = train_step(m32, x[mixtures], crops, mix, gt, weight)[4]
    out, cosep, ce, loss, g64 = train_step(m64, d64[0][mixtures], *d64[1:])
    with torch.no_grad():
        l1 = coseparation_loss(out[2], d64[3], None)
        l2w = coseparation_loss(out[2], d64[3], d64[4], l2=True)
    summaries, worst = action_ref.grad_summaries(g32, g64)
    summaries["grad_top"] = np.array([max(g.norm().item() for g in g64.values())], np.float32)
    tensors.update({f"{case}.{k}": v for k, v in summaries.items()})
    tensors.update({f"{case}.train_masks": out[2], f"{case}.train_classes": out[3],
                    f"{case}.train_cosep": np.array([cosep.item()], np.float32),
                    f"{case}.train_cosep_l1": np.array([l1.item()], np.float32),
                    f"{case}.train_cosep_l2w": np.array([l2w.item()], np.float32),
                    f"{case}.train_ce": np.array([ce.item()], np.float32),
                    f"{case}.train_loss": np.array([loss.item()], np.float32)})
    meta[f"{case}.params"] = ",".join(g64)
    print(f"{case}: {sum(p.numel() for p in m32.parameters())} parameters, mask logits up to "
          f"{logits.abs().max().item():.2f}, loss {loss.item():.6f}, PyTorch float32 vs float64: "
          f"logits {dev:.1e}, gradients up to {worst:.1e} (largest norm {summaries['grad_top'][0]:.2e})")


def table(m):
    sd = [(k, tuple(v.shape)) for k, v in m.state_dict().items()
          if "num_batches" not in k and not k.endswith("visual.conv1.weight") and not k.endswith(
              "classifier.conv1.weight")]
    return ";".join(f"{k}:{'x'.join(map(str, s))}" for k, s in sd)


def sizes(meta, name, hp):
    m = CoSep(hp)
    meta[f"{name}.table"] = table(m)
    for part in ("visual", "unet", "classifier"):
        meta[f"{name}.{part}_params"] = sum(p.numel() for p in getattr(m, f"net_{part}").parameters())
    print(f"{name}: parameters " + ", ".join(f"{p} {meta[f'{name}.{p}_params']}"
                                             for p in ("visual", "unet", "classifier")))


if __name__ == "__main__":
    tensors, meta = {}, {"cases": "small,c1x1,prior,gate"}
    base = dict(freq=128, time=128, crop=64, visual_width=8, classifier_width=8, classes=5, visual_dim=512)
    run_case(tensors, meta, "small", dict(base, ngf=8, downs=7, conv1x1=False))
    run_case(tensors, meta, "c1x1", dict(base, ngf=4, downs=5, conv1x1=True, visual_dim=24))
    prior = dict(base, ngf=4, downs=5, conv1x1=True, visual_dim=24, nmf=3, nmf_components=2)
    run_case(tensors, meta, "prior", prior)
    run_case(tensors, meta, "gate", dict(prior, prior_gate=True))
    paper = dict(ngf=64, downs=7, visual_width=64, conv1x1=False, visual_dim=512, crop=224, classes=15,
                 classifier_width=64)
    sizes(meta, "default", paper)
    sizes(meta, "readme", dict(paper, conv1x1=True))
    sizes(meta, "cpu", dict(paper, ngf=16, visual_width=16, classifier_width=16, crop=112))
    st.save(sys.argv[1], {k: v.detach().float().numpy() if torch.is_tensor(v) else v for k, v in tensors.items()},
            meta)
