"""Would Winograd on bf16 operands give the 2-D models' bf16 forward its 3x (docs/BENCH.md,
issue 14)? The error side of it, on random 64 -> 64 channel 3 x 3 convolutions of 400 tiles
(inputs ReLU'd normals, weights He-scaled), against the float64 result:
  direct, operands rounded to bf16 (what the bf16 path does now)
  F(4x4, 3x3) (the fp32 path's), its transformed operands B^T d B and G g G^T rounded to bf16
  F(2x2, 3x3), the same
Prints max and rms error relative to the output's largest and rms magnitude.
Usage: python3 bench/wino_bf16_error.py (numpy only)."""
import numpy as np


def bf16(x):
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    return (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32).astype(np.float64)


F43 = (np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
                 [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], float),
       np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
                 [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]),
       np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], float))
F23 = (np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], float),
       np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]),
       np.array([[1, 1, 1, 0], [0, 1, -1, -1]], float))


def direct(d, g, m):
    return np.stack([np.stack([np.einsum("nckl,ockl->no", d[:, :, i:i + 3, j:j + 3], g) for j in range(m)], -1)
                     for i in range(m)], -2)


def winograd(d, g, mats, rounding):
    bt, gm, at = mats
    v = np.einsum("ij,ncjk,lk->ncil", bt, d, bt)
    u = np.einsum("ij,ocjk,lk->ocil", gm, g, gm)
    return np.einsum("ij,nojk,lk->noil", at, np.einsum("ncil,ocil->noil", rounding(v), rounding(u)), at)


def report(name, got, want):
    e = np.abs(got - want)
    print(f"{name:40s} max {e.max() / np.abs(want).max():.2e}  rms {np.sqrt((e ** 2).mean() / (want ** 2).mean()):.2e}")


rng = np.random.default_rng(0)
tiles = np.maximum(rng.standard_normal((400, 64, 6, 6)), 0)
w = rng.standard_normal((64, 64, 3, 3)) / np.sqrt(9 * 64)
for mats, m, name in ((F43, 4, "F(4x4, 3x3)"), (F23, 2, "F(2x2, 3x3)")):
    d = tiles[:, :, :m + 2, :m + 2]
    exact = direct(d, w, m)
    report(f"{name} tiles, direct on bf16 operands", direct(bf16(d), bf16(w), m), exact)
    report(f"{name} on bf16 transformed operands", winograd(d, w, mats, bf16), exact)
