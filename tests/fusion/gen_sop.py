"""Sound of Pixels in PyTorch, written from its description (fusion/sop.h and
the reference code's facts), for tests/fusion/test_sop.c.

Case "small" (ngf 8, 7 levels, K 16, ResNet-18 width 8, 2 frames of 64 x 64,
256 x 256 spectrogram): weights from action_hash.fill (tests/action), the
synthesizer's scale times 0.1, saved as the reference's three checkpoints
(sound, frame, synthesizer .pth state_dicts) and merged by `tools/pth2st.py
--arch sop` into the model file the C test loads (metadata "model", beside
argv[1]; the .pth files are removed; pth2st's refusals of two of the three
files and of a contradicting --meta are checked here). Stored:
  small.mag, small.x           linear magnitudes (2, 512, 256) and the nets' input (2, 256, 256, 1)
                               log(grid_sample(mag + 1e-10, warpgrid, align_corners)) (float32)
  small.eval_*                 eval mode, float64: frames (2, 2, 64, 64, 3), vis (2, K),
                               logits and masks (2, 256, 256),
                               pixel-wise logits and masks of sample 0 (1, 4, 4, 256, 256),
                               eval_dev: PyTorch float32's max |l32 - l64| / max |l64|
  small.train_*                train mode, float64, on x: the frames of two videos
                               (a, b), binary targets, the loss weight
                               clamp(log1p(warped magnitude), 1e-3, 10); loss = mean over
                               the two videos of BCE(sigmoid(logits), target, weight);
                               every parameter gradient summarised as action_ref does
Case "default": the state_dict table ("name:shape;...") and parameter counts of
the default model (ngf 64, 7 levels, K 32, ResNet-18 width 64)."""
import contextlib
import copy
import functools
import importlib.util
import io
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "action"))
import action_hash  # noqa: E402
import action_ref  # noqa: E402
import st  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(2)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class UnetBlock(nn.Module):
    """One U-Net level: nn.Sequential `model` (down, the next level, up); all but
    the outermost return cat(input, output)."""

    def __init__(self, outer, inner, input_nc=None, sub=None, outermost=False, innermost=False):
        super().__init__()
        down = nn.Conv2d(outer if input_nc is None else input_nc, inner, 4, 2, 1, bias=False)
        up = nn.Conv2d(inner if innermost else 2 * inner, outer, 3, 1, 1, bias=outermost)
        upsample = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        if outermost:
            layers = [down, sub, nn.ReLU(), upsample, up]
        elif innermost:
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), upsample, up, nn.BatchNorm2d(outer)]
        else:
            layers = [nn.LeakyReLU(0.2), down, nn.BatchNorm2d(inner), sub, nn.ReLU(), upsample, up,
                      nn.BatchNorm2d(outer)]
        self.outermost = outermost
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        y = self.model(x)
        return y if self.outermost else torch.cat([x, y], 1)


class Unet(nn.Module):
    """bn0, then levels of 1, 2, 4, 8, 8, ... x ngf channels; (N, 1, F, T) -> (N, K, F, T)."""

    def __init__(self, k, num_downs, ngf):
        super().__init__()
        block = UnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, sub=block)
        for mult in (4, 2, 1):
            block = UnetBlock(ngf * mult, ngf * mult * 2, sub=block)
        self.bn0 = nn.BatchNorm2d(1)
        self.unet_block = UnetBlock(k, ngf, input_nc=1, sub=block, outermost=True)

    def forward(self, x):
        return self.unet_block(self.bn0(x))


def resnet18_features(width):
    """conv1, bn1, relu, maxpool, layer1-4 of a ResNet-18 of the given width, as one Sequential."""

    def layer(inp, out, stride):
        ds = None
        if stride != 1 or inp != out:
            ds = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
        return nn.Sequential(BasicBlock(inp, out, stride, ds), BasicBlock(out, out))

    w = width
    return nn.Sequential(nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                         nn.MaxPool2d(3, 2, 1), layer(w, w, 1), layer(w, 2 * w, 2), layer(2 * w, 4 * w, 2),
                         layer(4 * w, 8 * w, 2))


def nostride_dilate(m, dilate):
    """A stride-2 conv loses its stride (a 3x3 one gets dilation and padding dilate/2);
    the other 3x3 convs get dilation and padding dilate."""
    if isinstance(m, nn.Conv2d):
        if m.stride == (2, 2):
            m.stride = (1, 1)
            if m.kernel_size == (3, 3):
                m.dilation = m.padding = (dilate // 2, dilate // 2)
        elif m.kernel_size == (3, 3):
            m.dilation = m.padding = (dilate, dilate)


class FrameNet(nn.Module):
    """Dilated ResNet-18 (layer4 by 2), 3x3 conv fc to K; channels-last frames (N, T, H, W, 3)."""

    def __init__(self, width, k):
        super().__init__()
        self.features = resnet18_features(width)
        self.features[7].apply(functools.partial(nostride_dilate, dilate=2))
        self.fc = nn.Conv2d(8 * width, k, 3, padding=1)

    def maps(self, frames):  # -> (N, K, T, H', W')
        n, t = frames.shape[:2]
        x = self.fc(self.features(frames.reshape(n * t, *frames.shape[2:]).permute(0, 3, 1, 2)))
        return x.view(n, t, *x.shape[1:]).permute(0, 2, 1, 3, 4)

    def forward(self, frames):  # (N, K)
        return torch.sigmoid(F.adaptive_max_pool3d(self.maps(frames), 1).flatten(1))

    def pixels(self, frames):  # (N, K, H', W')
        return torch.sigmoid(self.maps(frames).max(2)[0])


class InnerProd(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(k))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, v, s):  # v (N, K), s (N, K, F, T) -> (N, F, T)
        n, k = v.shape
        return torch.bmm((v * self.scale).view(n, 1, k), s.reshape(n, k, -1)).view(n, *s.shape[2:]) + self.bias

    def pixels(self, v, s):  # v (N, K, H, W) -> (N, H, W, F, T)
        n, k, h, w = v.shape
        rows = v.reshape(n, k, h * w).transpose(1, 2) * self.scale
        return torch.bmm(rows, s.reshape(n, k, -1)).view(n, h, w, *s.shape[2:]) + self.bias


def nets(hp):
    return (Unet(hp["channels"], hp["num_downs"], hp["ngf"]), FrameNet(hp["frame_width"], hp["channels"]),
            InnerProd(hp["channels"]))


def warpgrid(n, rows, cols):
    """grid_sample's grid: x linear in [-1, 1], row y = (21^((v + 1) / 2) - 11) / 10, v linear."""
    x, v = np.meshgrid(np.linspace(-1, 1, cols), np.linspace(-1, 1, rows))
    grid = np.stack([x, (np.power(21, (v + 1) / 2) - 11) / 10], -1).astype(np.float32)
    return torch.from_numpy(np.broadcast_to(grid, (n, rows, cols, 2)).copy())


def table(models):
    sd = [(k, tuple(t.shape)) for m in models for k, t in m.state_dict().items() if "num_batches" not in k]
    return ";".join(f"{k}:{'x'.join(map(str, s))}" for k, s in sd)


def masks_of(models, x, frames):
    sound, frame, synth = models
    feats, vis = sound(x.permute(0, 3, 1, 2)), frame(frames)
    return vis, synth(vis, feats)


def train_loss(models, x, videos, targets, weight):
    sound, frame, synth = models
    feats = sound(x.permute(0, 3, 1, 2))
    losses = [F.binary_cross_entropy(torch.sigmoid(synth(frame(v), feats)), t, weight) for v, t in zip(videos, targets)]
    return torch.stack(losses).mean()


def grads(models, *inputs):
    params = {k: p for m in models for k, p in m.named_parameters()}
    loss = train_loss(models, *inputs)
    return loss, dict(zip(params, torch.autograd.grad(loss, list(params.values()))))


def pth2st(*argv):
    """tools/pth2st.py's command line, in this process: (exit status, stderr)."""
    spec = importlib.util.spec_from_file_location("pth2st", os.path.join(ROOT, "tools", "pth2st.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = tool.main(list(argv))
    return rc, err.getvalue()


def convert(models, out, hp):
    """The three checkpoints merged by pth2st --arch sop (hyperparameters of the frames and the
    spectrogram given, the others read from the tensors); its refusals of an incomplete set and
    of a hyperparameter the tensors contradict. Returns the model file's name."""
    base = os.path.splitext(out)[0]
    pths = [f"{base}.{part}_best.pth" for part in ("sound", "frame", "synthesizer")]
    converted = base + ".sop.safetensors"
    for m, path in zip(models, pths):
        torch.save(m.state_dict(), path)
    meta = [a for k in ("frames", "height", "width", "freq", "time") for a in ("--meta", f"{k}={hp[k]}")]
    try:
        rc, err = pth2st("--arch", "sop", "-q", *meta, *pths, converted)
        assert rc == 0, err
        rc, err = pth2st("--arch", "sop", *pths[:2], base + ".refused.safetensors")
        assert rc == 1 and "synthesizer" in err and not os.path.exists(base + ".refused.safetensors"), err
        rc, err = pth2st("--arch", "sop", "--meta", "ngf=64", *pths, base + ".refused.safetensors")
        assert rc == 1 and "ngf" in err and not os.path.exists(base + ".refused.safetensors"), err
    finally:
        for path in pths:
            os.remove(path)
    return os.path.basename(converted)


def small(tensors, meta):
    hp = dict(ngf=8, num_downs=7, channels=16, frame_width=8, frames=2, height=64, width=64, freq=256, time=256)
    m32 = list(nets(hp))
    for m in m32:
        action_hash.fill(m)
    with torch.no_grad():  # logits of a few units: unsaturated masks, BCE away from its log clamp
        m32[2].scale.mul_(0.1)
    m64 = [copy.deepcopy(m).double() for m in m32]
    meta["model"] = convert(m32, sys.argv[1], hp)
    meta["small.hparams"] = ",".join(f"{k}={v}" for k, v in hp.items())
    n, clip = 2, (2, hp["frames"], hp["height"], hp["width"], 3)

    mag = torch.randn(n, 512, hp["time"]).exp()
    warped = F.grid_sample((mag + 1e-10)[:, None], warpgrid(n, hp["freq"], hp["time"]), align_corners=True)
    x = warped.log().permute(0, 2, 3, 1).contiguous()  # (N, F, T, 1)
    frames = torch.randn(*clip)
    for m in m32 + m64:
        m.eval()
    with torch.no_grad():
        (vis, l32), (vis64, l64) = masks_of(m32, x, frames), masks_of(m64, x.double(), frames.double())
        pix = m64[2].pixels(m64[1].pixels(frames[:1].double()), m64[0](x[:1].double().permute(0, 3, 1, 2)))
    dev = action_ref.rel_dev(l32, l64)
    tensors.update({"small.mag": mag, "small.x": x, "small.eval_frames": frames,
                    "small.eval_vis": vis64, "small.eval_logits": l64, "small.eval_masks": torch.sigmoid(l64),
                    "small.eval_pix_logits": pix, "small.eval_pix_masks": torch.sigmoid(pix),
                    "small.eval_dev": np.array([dev], np.float32)})

    for m in m32 + m64:
        m.train()
    videos = [torch.randn(*clip) for _ in range(2)]
    targets = [(torch.rand(n, hp["freq"], hp["time"]) > 0.5).float() for _ in range(2)]
    weight = torch.log1p(warped[:, 0]).clamp(1e-3, 10)
    inputs = (x, videos, targets, weight)
    g32 = grads(m32, *inputs)[1]
    loss, g64 = grads(m64, *(t.double() if torch.is_tensor(t) else [v.double() for v in t] for t in inputs))
    out, worst = action_ref.grad_summaries(g32, g64)
    tensors.update({f"small.{k}": v for k, v in out.items()})
    tensors.update({"small.train_frames_a": videos[0], "small.train_frames_b": videos[1],
                    "small.train_target_a": targets[0], "small.train_target_b": targets[1],
                    "small.train_weight": weight, "small.train_loss": np.array([loss.item()], np.float32)})
    meta["small.params"] = ",".join(g64)
    print(f"small: {sum(p.numel() for m in m32 for p in m.parameters())} parameters, loss {loss.item():.6f}, "
          f"PyTorch float32 vs float64: logits {dev:.1e}, gradients up to {worst:.1e}")


def default(meta):
    hp = dict(ngf=64, num_downs=7, channels=32, frame_width=64)
    models = nets(hp)
    meta["default.table"] = table(models)
    for what, m in zip(("sound", "frame", "synth"), models):
        meta[f"default.{what}_params"] = sum(p.numel() for p in m.parameters())
    print("default: parameters " + ", ".join(f"{k[8:]} {v}" for k, v in meta.items() if k.endswith("_params")))


if __name__ == "__main__":  # bench/torch_sep.py imports the modules
    tensors, meta = {}, {}
    small(tensors, meta)
    default(meta)
    st.save(sys.argv[1], {k: v.detach().float().numpy() if torch.is_tensor(v) else v for k, v in tensors.items()},
            meta)
