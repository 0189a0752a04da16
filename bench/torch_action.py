#!/usr/bin/python3
"""PyTorch side of bench/bench_action.c: eval-mode forward time of one
3x16x112x112 clip (batch 1, no_grad) for C3D (Tran et al. 2015, the common
PyTorch port's layers, 487 classes), torchvision 0.14's r3d_18 and r2plus1d_18
(400 classes). Prints "<model> <ms>" (median of --reps after --warmup) for
torch's default layout, and "<model>_cl <ms>" with channels_last_3d, nothing else.

  torch_action.py [--threads N] [--reps R] [--warmup W] [--models c3d,r3d_18,r2plus1d_18]"""
import argparse

import torch
from torch_ref import timeit  # one timing rule for every bench (bench/ is on sys.path as the script's folder)
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class C3D(nn.Module):
    def __init__(self, classes=487):
        super().__init__()
        widths = [("conv1", 3, 64), ("conv2", 64, 128), ("conv3a", 128, 256), ("conv3b", 256, 256),
                  ("conv4a", 256, 512), ("conv4b", 512, 512), ("conv5a", 512, 512), ("conv5b", 512, 512)]
        for name, i, o in widths:
            setattr(self, name, nn.Conv3d(i, o, 3, padding=1))
        self.pool1 = nn.MaxPool3d((1, 2, 2), (1, 2, 2))
        self.pool = nn.MaxPool3d(2, 2)
        self.pool5 = nn.MaxPool3d(2, 2, padding=(0, 1, 1))
        self.fc6, self.fc7, self.fc8 = nn.Linear(8192, 4096), nn.Linear(4096, 4096), nn.Linear(4096, classes)

    def forward(self, x):
        r = F.relu
        x = self.pool1(r(self.conv1(x)))
        x = self.pool(r(self.conv2(x)))
        x = self.pool(r(self.conv3b(r(self.conv3a(x)))))
        x = self.pool(r(self.conv4b(r(self.conv4a(x)))))
        x = self.pool5(r(self.conv5b(r(self.conv5a(x))))).flatten(1)
        return self.fc8(r(self.fc7(r(self.fc6(x)))))


BUILD = {"c3d": C3D, "r3d_18": torchvision.models.video.r3d_18, "r2plus1d_18": torchvision.models.video.r2plus1d_18}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--models", default="c3d,r3d_18,r2plus1d_18")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x0 = torch.randn(1, 3, 16, 112, 112)
    for name in a.models.split(","):
        model = BUILD[name]().eval()
        for cl in (False, True):
            fmt = torch.channels_last_3d if cl else torch.contiguous_format
            model = model.to(memory_format=fmt)
            x = x0.contiguous(memory_format=fmt)
            with torch.no_grad():
                ms = timeit(lambda: model(x), a.reps, a.warmup)
            print(f"{name}{'_cl' if cl else ''} {ms:.4f}", flush=True)


if __name__ == "__main__":
    main()
