"""Inflation and I3D ResNet-18 references for test_action_b_inflate.c.

A 2-D ResNet-18 with torchvision's structure and names (torchvision's
BasicBlock; width 16 instead of 64 to keep the files small), random weights,
is written as a checkpoint of its own, <argv[1] stem>_2d.safetensors; the C test
inflates it (avs_inflate_2d_to_3d). argv[1] holds:
  frame, logits2d       images (N,H,W,3) and the 2-D network's logits on them
  clip                  a random clip (N,T,H,W,3)
  logits3d_replicate    the network inflated by tools/inflate.py (kt = kh: conv1 7x7x7,
  logits3d_zeros        3x3x3 blocks) on clip, in PyTorch, with temporal padding by
                        edge frames / by zeros
<stem>_nl.safetensors: the I3D ResNet-18 (width 16, temporal kernels 3, non-local
blocks after layer2.0 and layer3.0) with random weights, written by
gen_action_b_common.write (eval logits, a training step with batch norms on
running statistics, a forward with batch statistics).

Checked here, in PyTorch, without writing anything: tools/inflate.py keeps I3D's
defining property (a clip of identical frames gives the 2-D logits) on
torchvision's own resnet18, and its GoogLeNet renaming loads into the I3D port
(gen_action_b_i3d.InceptionI3d) with every name and shape matching."""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock

import gen_action_b_common as common
import st
from gen_action_b_i3d import InceptionI3d
from gen_action_b_nonlocal import NONLocalBlock3D

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import inflate  # noqa: E402

WIDTH, CLASSES = 16, 10


class ResNet18(nn.Module):
    """torchvision's resnet18 at layer1 width w (its own class fixes w = 64)."""

    def __init__(self, w, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, w, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inp = w
        for i in range(4):
            out, s = w << i, 1 if i == 0 else 2
            ds = nn.Sequential(nn.Conv2d(inp, out, 1, s, bias=False), nn.BatchNorm2d(out)) if s != 1 or inp != out \
                else None
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(inp, out, s, ds), BasicBlock(out, out)))
            inp = out
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Block3d(nn.Module):
    """torchvision's BasicBlock inflated: kt x 3 x 3 convs, spatial stride only."""

    def __init__(self, inp, out, stride, kt, replicate, nonlocal_block):
        super().__init__()
        self.kt, self.replicate = kt, replicate
        tp = 0 if replicate else kt // 2
        self.conv1 = nn.Conv3d(inp, out, (kt, 3, 3), (1, stride, stride), (tp, 1, 1), bias=False)
        self.bn1 = nn.BatchNorm3d(out)
        self.conv2 = nn.Conv3d(out, out, (kt, 3, 3), 1, (tp, 1, 1), bias=False)
        self.bn2 = nn.BatchNorm3d(out)
        self.downsample = nn.Sequential(nn.Conv3d(inp, out, 1, (1, stride, stride), bias=False),
                                        nn.BatchNorm3d(out)) if stride != 1 or inp != out else None
        if nonlocal_block:
            self.add_module("nonlocal", NONLocalBlock3D(out))

    def tpad(self, x):
        return F.pad(x, (0, 0, 0, 0, self.kt // 2, self.kt // 2), mode="replicate") if self.replicate else x

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(self.tpad(x))))
        h = self.bn2(self.conv2(self.tpad(h)))
        x = F.relu(h + (self.downsample(x) if self.downsample is not None else x))
        return self._modules["nonlocal"](x) if "nonlocal" in self._modules else x


class I3DResNet18(nn.Module):
    def __init__(self, w, classes, kt=3, stem_kt=7, replicate=False, nonlocal_mask=0):
        super().__init__()
        self.stem_kt, self.replicate = stem_kt, replicate
        self.conv1 = nn.Conv3d(3, w, (stem_kt, 7, 7), (1, 2, 2), (0 if replicate else stem_kt // 2, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(w)
        inp = w
        for i in range(4):
            out, s = w << i, 1 if i == 0 else 2
            blocks = [Block3d(inp, out, s, kt, replicate, nonlocal_mask >> (2 * i) & 1),
                      Block3d(out, out, 1, kt, replicate, nonlocal_mask >> (2 * i + 1) & 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            inp = out
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        if self.replicate:
            x = F.pad(x, (0, 0, 0, 0, self.stem_kt // 2, self.stem_kt // 2), mode="replicate")
        x = F.max_pool3d(F.relu(self.bn1(self.conv1(x))), (1, 3, 3), (1, 2, 2), (0, 1, 1))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean(dim=(2, 3, 4)))


def state_numpy(model):
    return {k: v.detach().numpy() for k, v in model.state_dict().items() if v.is_floating_point()}


def inflated(model2d, model3d, source="resnet"):
    sd = inflate.inflate_state(state_numpy(model2d), source)
    model3d.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=True)
    return model3d


def boring(images, t):
    """(N,3,H,W) -> (N,3,T,H,W) of identical frames."""
    return images[:, :, None].expand(-1, -1, t, -1, -1).contiguous()


def check_torchvision_property():
    """tools/inflate.py on torchvision's resnet18: identical frames give the 2-D logits."""
    r2d = torchvision.models.resnet18(num_classes=CLASSES)
    common.randomize_norms(r2d, torch.randn(4, 3, 32, 32))
    r3d = inflated(r2d, I3DResNet18(64, CLASSES, replicate=True)).eval()
    r2d.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        want, got = r2d(x), r3d(boring(x, 2))
    err = ((got - want).abs().max() / want.abs().max()).item()
    assert err < 1e-5, f"inflated torchvision resnet18 is off by {err:.2e} on identical frames"
    return err


def check_googlenet_names():
    g = torchvision.models.googlenet(num_classes=CLASSES, aux_logits=False, init_weights=False)
    inflated(g, InceptionI3d(num_classes=CLASSES), "googlenet")  # strict: every name and shape


if __name__ == "__main__":
    torch.manual_seed(0)
    path = sys.argv[1]
    stem = path[: -len(".safetensors")]
    n, t, h, w = 2, 4, 48, 48

    r2d = ResNet18(WIDTH, CLASSES)
    common.randomize_norms(r2d, torch.randn(8, 3, h, w))
    r2d.eval()
    st.save(stem + "_2d.safetensors", state_numpy(r2d), {"avs.arch": "resnet18", "classes": CLASSES})
    frame, clip = torch.randn(n, 3, h, w), torch.randn(n, 3, t, h, w)
    out = {"frame": frame.permute(0, 2, 3, 1).contiguous().numpy(), "clip": common.channels_last(clip)}
    with torch.no_grad():
        out["logits2d"] = r2d(frame).numpy()
        for pad, replicate in (("replicate", True), ("zeros", False)):
            r3d = inflated(r2d, I3DResNet18(WIDTH, CLASSES, replicate=replicate)).eval()
            out[f"logits3d_{pad}"] = r3d(clip).numpy()
            if replicate:
                prop = ((r3d(boring(frame, t)) - r2d(frame)).abs().max() / r2d(frame).abs().max()).item()
    st.save(path, out, {"width": WIDTH, "classes": CLASSES, "kt": 3, "stem_kt": 7})
    err = check_torchvision_property()
    check_googlenet_names()
    print(f"inflation: identical frames vs 2-D logits {prop:.1e} (width {WIDTH}), {err:.1e} (torchvision "
          "resnet18); GoogLeNet -> I3D names load")

    torch.manual_seed(1)
    mask = 0b10100  # layer2.0 and layer3.0
    nl = I3DResNet18(WIDTH, CLASSES, kt=3, stem_kt=3, nonlocal_mask=mask)
    shape = (3, 4, 32, 32)
    common.randomize_norms(nl, torch.randn(8, *shape))
    loss = common.write(stem + "_nl.safetensors", nl, torch.randn(2, *shape), torch.randn(2, *shape),
                        torch.randint(0, CLASSES, (2,)),
                        dict(width=WIDTH, classes=CLASSES, kt=3, stem_kt=3, nonlocal_mask=mask),
                        norm_eval=True, batch_stats_x=torch.randn(2, *shape))
    print(f"i3d_resnet18 + non-local: {sum(p.numel() for p in nl.parameters())} parameters, train loss {loss:.4f}")
