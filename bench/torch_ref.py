#!/usr/bin/python3
"""PyTorch side of the AVS benchmarks: times in torch the same work the C
benches time, and prints one "key milliseconds" line per measurement on stdout
(median of --reps runs after --warmup runs), nothing else. Run by the benches
through popen with Debian's interpreter (/usr/bin/python3, torch 1.13).

  torch_ref.py conv  [--threads N] [--reps R] [--warmup W]
      C3D's eight conv layers on a 1x3x16x112x112 clip:
        trunk      conv1..conv5b, each conv3d(+bias)+ReLU, with pool1..pool4
                   between them (no pool5, no fc), torch's default layout
        trunk_cl   the same with channels_last_3d tensors and weights
        <layer>    (with --layers) one layer's conv3d(+bias)+ReLU alone (conv1, conv2, ...)
        <layer>_cl the same, channels_last_3d
  torch_ref.py train [--batch B] [--frames T] [--size S] [--classes K] ...
        step       zero_grad + forward + cross entropy + backward + SGD step
        step_cl    the same with channels_last_3d input and model
  torch_ref.py gemm  NAME:M:N:K:TA:TB ...
        NAME       torch.mm on row-major (M,K)x(K,N) operands (TA/TB = 1 means
                   that operand is stored transposed, as avs_gemm's flags)
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# C3D (Tran et al. 2015): name, in, out; a pool follows the layer when listed.
C3D = [("conv1", 3, 64), ("conv2", 64, 128), ("conv3a", 128, 256), ("conv3b", 256, 256),
       ("conv4a", 256, 512), ("conv4b", 512, 512), ("conv5a", 512, 512), ("conv5b", 512, 512)]
C3D_POOL = {"conv1": (1, 2, 2), "conv2": (2, 2, 2), "conv3b": (2, 2, 2), "conv4b": (2, 2, 2)}


def timeit(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def out(key, ms):
    print(f"{key} {ms:.4f}", flush=True)


def bench_conv(a):
    torch.manual_seed(0)
    convs = [nn.Conv3d(i, o, 3, padding=1) for _, i, o in C3D]
    x0 = torch.randn(1, 3, a.frames, a.size, a.size)
    for cl in (False, True):
        fmt = torch.channels_last_3d if cl else torch.contiguous_format
        sfx = "_cl" if cl else ""
        for c in convs:
            c.to(memory_format=fmt)
        x = x0.contiguous(memory_format=fmt)

        def trunk():
            y = x
            for (name, _, _), c in zip(C3D, convs):
                y = F.relu(c(y))
                if name in C3D_POOL:
                    y = F.max_pool3d(y, C3D_POOL[name])
            return y

        with torch.no_grad():
            out("trunk" + sfx, timeit(trunk, a.reps, a.warmup))
            if not a.layers:
                continue
            # per-layer inputs: the trunk's activations, computed once
            y = x
            for (name, _, _), c in zip(C3D, convs):
                inp = y

                def layer(c=c, inp=inp):
                    return F.relu(c(inp))

                out(name + sfx, timeit(layer, a.reps, a.warmup))
                y = layer()
                if name in C3D_POOL:
                    y = F.max_pool3d(y, C3D_POOL[name])


class SmallNet(nn.Module):
    """Three conv3d+BN+ReLU blocks, max pools after the first two, adaptive
    average pool, linear: the net bench_train.c builds."""

    def __init__(self, classes, widths=(32, 64, 128)):
        super().__init__()
        c0, c1, c2 = widths
        self.c1 = nn.Conv3d(3, c0, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm3d(c0)
        self.c2 = nn.Conv3d(c0, c1, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm3d(c1)
        self.c3 = nn.Conv3d(c1, c2, 3, padding=1, bias=False)
        self.b3 = nn.BatchNorm3d(c2)
        self.fc = nn.Linear(c2, classes)

    def forward(self, x):
        x = F.max_pool3d(F.relu(self.b1(self.c1(x))), (1, 2, 2))
        x = F.max_pool3d(F.relu(self.b2(self.c2(x))), (2, 2, 2))
        x = F.relu(self.b3(self.c3(x)))
        x = F.adaptive_avg_pool3d(x, 1).flatten(1)
        return self.fc(x)


def bench_train(a):
    for cl in (False, True):
        torch.manual_seed(0)
        fmt = torch.channels_last_3d if cl else torch.contiguous_format
        net = SmallNet(a.classes).to(memory_format=fmt).train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(a.batch, 3, a.frames, a.size, a.size).contiguous(memory_format=fmt)
        labels = torch.arange(a.batch) % a.classes

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(net(x), labels)
            loss.backward()
            opt.step()
            return loss

        out("step_cl" if cl else "step", timeit(step, a.reps, a.warmup))


def bench_gemm(a):
    for spec in a.shapes:
        name, m, n, k, ta, tb = spec.split(":")
        m, n, k, ta, tb = int(m), int(n), int(k), int(ta), int(tb)
        A = torch.randn(k, m).t() if ta else torch.randn(m, k)
        B = torch.randn(n, k).t() if tb else torch.randn(k, n)
        C = torch.empty(m, n)
        reps = a.reps
        # small products: time batches of calls so the clock resolves them
        inner = max(1, int(2e8 / max(1, 2 * m * n * k)))
        inner = min(inner, 1000)

        def run():
            for _ in range(inner):
                torch.mm(A, B, out=C)

        out(name, timeit(run, reps, a.warmup) / inner)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["conv", "train", "gemm"])
    p.add_argument("shapes", nargs="*")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--frames", type=int, default=0)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--layers", action="store_true", help="conv: also time each layer alone")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.what == "conv":
        a.frames = a.frames or 16
        a.size = a.size or 112
        bench_conv(a)
    elif a.what == "train":
        a.frames = a.frames or 8
        a.size = a.size or 56
        bench_train(a)
    else:
        bench_gemm(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
