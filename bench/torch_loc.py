#!/usr/bin/python3
"""PyTorch side of bench/bench_loc.c: the eval-mode forward of the localizers
(image branch, audio branch and the test-time map; fusion/loc_models.h) at
random weights under no_grad, per frame. Prints "<key> <ms per frame>" lines
(median of --reps batches after --warmup), nothing else; with --cl also
"<key>_cl <ms>" with channels_last tensors and weights.

  torch_loc.py --case KEY:ARCH:WIDTH:AUDIO_WIDTH:DIM:SIZE:BINS:TIME:BATCH ...
               [--cl] [--threads N] [--reps R] [--warmup W]

LVS and EZ-VSL are tests/fusion/gen_loc.py's modules (the parity test's
reference), imported from there. Senocak et al. in the ResNet-18 form of
fusion/senocak.c is written below (gen_loc.py has only the paper's VGG-16
form): imgnet ResNet-18 with layer4 stride 1, audnet ResNet-18 (stride 32)
max-pooled, h = L2(sound_fc2(ReLU(sound_fc1(a)))), map = softmax over
locations of ReLU(<v_l / |v_l|, h>); att_fc1/att_fc2 (training only) exist
but are not run, as in the C map.

Default layout: images and spectrograms are contiguous NCHW tensors (handed to
the gen_loc modules as NHWC views, which they permute back)."""
import argparse
import os
import sys

import torch
from torch_ref import timeit  # one timing rule for every bench (bench/ is on sys.path as the script's folder)
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# gen_loc imports tests/action's helpers, which import tests/parity's generators (CTest's PYTHONPATH)
for sub in ("parity", "fusion"):
    sys.path.insert(0, os.path.join(HERE, "..", "tests", sub))
import gen_loc  # noqa: E402  (sets 2 threads and a seed on import; main() sets its own)


class SenocakResNet(nn.Module):
    def __init__(self, hp):
        super().__init__()
        cv, ca = 8 * hp["width"], 8 * hp["audio_width"]
        self.imgnet = gen_loc.ResNet18(hp["width"], 3, 1)
        self.audnet = gen_loc.ResNet18(hp["audio_width"], 1, 2)
        self.sound_fc1, self.sound_fc2 = nn.Linear(ca, ca), nn.Linear(ca, cv)
        self.att_fc1, self.att_fc2 = nn.Linear(cv, cv), nn.Linear(cv, ca)

    def heatmap(self, images, spec):
        v = self.imgnet(gen_loc.nchw(images))
        a = F.adaptive_max_pool2d(self.audnet(gen_loc.nchw(spec)), 1).flatten(1)
        h = F.normalize(self.sound_fc2(F.relu(self.sound_fc1(a))), dim=1)
        score = F.relu(torch.einsum("nchw,nc->nhw", F.normalize(v, dim=1), h))
        return F.softmax(score.flatten(1), 1).view_as(score)


def build(arch, hp):
    if arch == "senocak":
        return SenocakResNet(hp)
    return gen_loc.ARCHS[arch](hp)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--cl", action="store_true", help="also time channels_last")
    p.add_argument("--case", action="append", default=[])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for case in a.case:
        key, arch, width, awidth, dim, size, bins, frames, batch = case.split(":")
        hp = dict(gen_loc.SMALL, width=int(width), audio_width=int(awidth), dim=int(dim), size=int(size))
        n = int(batch)
        torch.manual_seed(0)
        model = build(arch, hp).eval()
        img0 = torch.randn(n, 3, hp["size"], hp["size"])
        spec0 = torch.randn(n, 1, int(bins), int(frames))
        for cl in ((False, True) if a.cl else (False,)):
            fmt = torch.channels_last if cl else torch.contiguous_format
            model = model.to(memory_format=fmt)
            # NHWC views of NCHW tensors in the given layout: gen_loc's nchw() undoes the view
            img = img0.contiguous(memory_format=fmt).permute(0, 2, 3, 1)
            spec = spec0.contiguous(memory_format=fmt).permute(0, 2, 3, 1)
            with torch.no_grad():
                ms = timeit(lambda: model.heatmap(img, spec), a.reps, a.warmup)
            print(f"{key}{'_cl' if cl else ''} {ms / n:.4f}", flush=True)


if __name__ == "__main__":
    main()
