#!/usr/bin/python3
"""PyTorch side of bench/bench_sep.c: Sound of Pixels (tests/fusion/gen_sop.py's
modules, the parity test's reference) at random weights. Prints "<key> <ms>"
lines (median of --reps after --warmup), nothing else.

  torch_sep.py [--fwd KEY:HP] [--train KEY:HP:N] [--threads N] [--reps R] [--warmup W]

HP is the model's hyperparameters as "ngf=16/num_downs=7/..." (the C names,
'/'-separated).
  --fwd:   the eval-mode forward of one mixture and `sources` clips: the sound
           net once, the frame net on every source's frames, the synthesizer on
           the source's copy of the features (mask logits), under no_grad.
  --train: one step as avtrain sep takes it: N mixtures of 2 clips, train mode,
           weighted BCE on binary targets (gen_sop.train_loss), backward, Adam.
Default layout (contiguous NCHW inside the modules, as the reference code)."""
import argparse
import os
import sys

import torch
from torch_ref import timeit  # one timing rule for every bench (bench/ is on sys.path as the script's folder)

HERE = os.path.dirname(os.path.abspath(__file__))
for sub in ("parity", "action", "fusion"):
    sys.path.insert(0, os.path.join(HERE, "..", "tests", sub))
import gen_sop  # noqa: E402


def parse(hp):
    return {k: int(v) for k, v in (kv.split("=") for kv in hp.split("/"))}


def forward_case(hp, reps, warmup):
    models = [m.eval() for m in gen_sop.nets(hp)]
    sound, frame, synth = models
    m = hp["sources"]
    x = torch.randn(1, 1, hp["freq"], hp["time"])
    frames = torch.randn(m, hp["frames"], hp["height"], hp["width"], 3)

    def run():
        with torch.no_grad():
            feats = sound(x)
            return synth(frame(frames), feats.expand(m, *feats.shape[1:]))

    return timeit(run, reps, warmup)


def train_case(hp, n, reps, warmup):
    models = [m.train() for m in gen_sop.nets(hp)]
    params = [p for m in models for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(n, hp["freq"], hp["time"], 1)
    videos = [torch.randn(n, hp["frames"], hp["height"], hp["width"], 3) for _ in range(2)]
    targets = [(torch.rand(n, hp["freq"], hp["time"]) > 0.5).float() for _ in range(2)]
    weight = torch.rand(n, hp["freq"], hp["time"]) + 0.1

    def step():
        opt.zero_grad()
        gen_sop.train_loss(models, x, videos, targets, weight).backward()
        opt.step()

    return timeit(step, reps, warmup)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--fwd", action="append", default=[])
    p.add_argument("--train", action="append", default=[])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for case in a.fwd:
        key, hp = case.split(":")
        torch.manual_seed(0)
        print(f"{key} {forward_case(parse(hp), a.reps, a.warmup):.4f}", flush=True)
    for case in a.train:
        key, hp, n = case.split(":")
        torch.manual_seed(0)
        print(f"{key} {train_case(parse(hp), int(n), a.reps, a.warmup):.4f}", flush=True)


if __name__ == "__main__":
    main()
