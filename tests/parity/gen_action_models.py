"""PyTorch references for the action models of video/models/ (test_action_models.c).

torchvision 0.14's r3d_18, mc3_18, r2plus1d_18 and resnet18 are used directly;
C3D (Tran et al. 2015, as the common PyTorch port), the single-frame, late and
early fusion (Karpathy et al. 2014), CNN+LSTM (Donahue et al. 2015) and
two-stream (Simonyan & Zisserman 2014) models are written below following the
papers, with the state_dict names the C side declares. Small clips and widths
keep the test in seconds; C3D's fc6 input follows from the clip size (a
hyperparameter on both sides), and test_action_c3d covers the paper's full size.

Weights come from tests/action/action_hash.py (both sides compute them), so per
case the file holds:
  <case>.eval_x, <case>.eval_logits      eval mode, batch 1
  <case>.train_x, <case>.train_y, <case>.train_loss
                                         train mode, batch 2, mean cross-entropy
  <case>.g.<name>.sample / .norm / .proj summaries of every parameter gradient
and metadata <case>.arch, <case>.hparams ("k=v,k=v"), <case>.table ("name:d0xd1;...")."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "action"))
import action_hash  # noqa: E402
import st  # noqa: E402

torch.manual_seed(0)
torch.set_num_threads(2)


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

    def forward(self, x):  # x channels-last (N, T, H, W, 3)
        h = self.features(x.permute(0, 4, 1, 2, 3)).flatten(1)
        h = self.dropout(F.relu(self.fc6(h)))
        h = self.dropout(F.relu(self.fc7(h)))
        return self.fc8(h)


class VideoNet(nn.Module):
    """A torchvision video ResNet taking channels-last clips."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.permute(0, 4, 1, 2, 3))

    def state_dict(self, *a, **k):
        return self.net.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.net.named_parameters(*a, **k)


def trunk(in_channels=3):
    """torchvision resnet18 without its fc (features 512)."""
    m = torchvision.models.resnet18()
    if in_channels != 3:
        m.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    m.fc = nn.Identity()
    return m


def frames(x):
    """(N, T, H, W, C) channels-last -> (N*T, C, H, W)."""
    n, t, h, w, c = x.shape
    return x.reshape(n * t, h, w, c).permute(0, 3, 1, 2)


def stacked(x):
    """(N, T, H, W, C) -> (N, T*C, H, W), channel t*C + c."""
    n, t, h, w, c = x.shape
    return x.permute(0, 1, 4, 2, 3).reshape(n, t * c, h, w)


class SingleFrame(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.net = torchvision.models.resnet18(num_classes=hp["classes"])

    def forward(self, x):
        n, t = x.shape[:2]
        return self.net(frames(x)).view(n, t, -1).mean(1)

    def state_dict(self, *a, **k):
        return self.net.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.net.named_parameters(*a, **k)


class LateFusion(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.backbone = trunk()
        self.fc = nn.Sequential(nn.Linear(hp["frames"] * 512, hp["hidden"]), nn.ReLU(), nn.Dropout(hp["dropout"]),
                                nn.Linear(hp["hidden"], hp["classes"]))

    def forward(self, x):
        n, t = x.shape[:2]
        return self.fc(self.backbone(frames(x)).view(n, t * 512))


class EarlyFusion(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.net = torchvision.models.resnet18(num_classes=hp["classes"])
        self.net.conv1 = nn.Conv2d(3 * hp["frames"], 64, 7, 2, 3, bias=False)

    def forward(self, x):
        return self.net(stacked(x))

    def state_dict(self, *a, **k):
        return self.net.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.net.named_parameters(*a, **k)


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

    def forward(self, x):  # (N, L, H, W, 5): RGB + flow (dx, dy)
        l = x.shape[1]
        rgb = x[:, l // 2, :, :, :3].permute(0, 3, 1, 2)
        return (self.rgb(rgb) + self.flow(stacked(x[..., 3:]))) / 2


def video(ctor):
    return lambda hp: VideoNet(ctor(num_classes=hp["classes"]))


S = dict(classes=5, frames=8, height=32, width=32)
F2 = dict(classes=5, frames=4, height=64, width=64)
CASES = [
    ("c3d", "c3d", dict(classes=5, frames=16, height=32, width=32, channels=8, fc_dim=32, dropout=0.0), C3D, 3),
    ("r3d_18", "r3d_18", S, video(torchvision.models.video.r3d_18), 3),
    ("mc3_18", "mc3_18", S, video(torchvision.models.video.mc3_18), 3),
    ("r2plus1d_18", "r2plus1d_18", S, video(torchvision.models.video.r2plus1d_18), 3),
    ("single_frame", "single_frame", F2, SingleFrame, 3),
    ("late_fusion", "late_fusion", dict(F2, hidden=32, dropout=0.0), LateFusion, 3),
    ("early_fusion", "early_fusion", F2, EarlyFusion, 3),
    ("cnn_lstm", "cnn_lstm", dict(F2, hidden=32, layers=2, per_frame="false", dropout=0.0), CnnLstm, 3),
    ("cnn_lstm_per_frame", "cnn_lstm", dict(F2, hidden=32, layers=1, per_frame="true", dropout=0.0), CnnLstm, 3),
    ("two_stream", "two_stream", F2, TwoStream, 5),
]


def main():
    tensors, meta, names = {}, {}, []
    only = set(sys.argv[2:])
    for case, arch, hp, build, channels in CASES:
        if only and case not in only:
            continue
        names.append(case)
        model = build(hp)
        table = action_hash.fill(model)
        meta[f"{case}.arch"] = arch
        meta[f"{case}.hparams"] = ",".join(f"{k}={v}" for k, v in hp.items())
        meta[f"{case}.table"] = ";".join(f"{n}:{'x'.join(map(str, s))}" for n, s in table)
        shape = (hp["frames"], hp["height"], hp["width"], channels)
        if os.environ.get("ACT_F64"):
            model.double()
        dt = torch.float64 if os.environ.get("ACT_F64") else torch.float32
        x = torch.randn(1, *shape).to(dt)
        model.eval()
        with torch.no_grad():
            tensors[f"{case}.eval_x"] = x.float().numpy()
            tensors[f"{case}.eval_logits"] = model(x).float().numpy()
        model.train()
        x = torch.randn(2, *shape).to(dt)
        y = torch.tensor([1, hp["classes"] - 1])
        loss = F.cross_entropy(model(x), y)
        params = dict(model.named_parameters())
        grads = torch.autograd.grad(loss, list(params.values()))
        tensors[f"{case}.train_x"] = x.float().numpy()
        tensors[f"{case}.train_y"] = y.float().numpy()
        tensors[f"{case}.train_loss"] = np.array([loss.item()], np.float32)
        for (name, _), g in zip(params.items(), grads):
            sample, norm, proj = action_hash.grad_summary(name, g)
            tensors[f"{case}.g.{name}.sample"] = sample
            tensors[f"{case}.g.{name}.norm"] = np.array([norm], np.float32)
            tensors[f"{case}.g.{name}.proj"] = np.array([proj], np.float32)
        meta[f"{case}.params"] = ",".join(params)
        print(f"{case}: {sum(p.numel() for p in params.values())} parameters, loss {loss.item():.5f}")
    meta["cases"] = ",".join(names)
    st.save(sys.argv[1], tensors, meta)


if __name__ == "__main__":
    main()
