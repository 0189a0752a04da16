#!/usr/bin/python3
"""PyTorch side of bench/bench_audio.c: times torch.stft / torch.istft on the
same signals and settings, in the same run. Prints "key milliseconds" lines
(median of --reps runs after --warmup runs), nothing else.

  bench_audio_torch.py NAME:SAMPLES:N_FFT:HOP:WIN ... [--threads N] [--reps R] [--warmup W]
      NAME_stft   torch.stft(x, n_fft, hop, win, hann_window(win), center=True,
                  pad_mode='reflect', return_complex=True)
      NAME_istft  torch.istft of that spectrogram back to SAMPLES samples
      NAME_both   the two in a row"""
import argparse

import torch
from torch_ref import timeit  # one timing rule for every bench (bench/ is on sys.path as the script's folder)


ap = argparse.ArgumentParser()
ap.add_argument("cases", nargs="+")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=7)
ap.add_argument("--warmup", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
with torch.no_grad():
    for case in a.cases:
        name, n, n_fft, hop, win = case.split(":")
        n, n_fft, hop, win = int(n), int(n_fft), int(hop), int(win)
        x = torch.randn(n) * 0.1
        w = torch.hann_window(win)

        def fwd():
            return torch.stft(x, n_fft, hop, win, w, center=True, pad_mode="reflect", return_complex=True)

        X = fwd()

        def inv():
            return torch.istft(X, n_fft, hop, win, w, center=True, length=n)

        def both():
            return torch.istft(fwd(), n_fft, hop, win, w, center=True, length=n)

        for key, fn in (("stft", fwd), ("istft", inv), ("both", both)):
            print(f"{name}_{key} {timeit(fn, a.reps, a.warmup):.4f}", flush=True)
