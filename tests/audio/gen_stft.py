"""torch.stft / torch.istft references for tests/audio/test_stft.c.

Each case: a signal x, torch.stft(x, n_fft, hop, win, hann_window(win)
[periodic], center, pad_mode='reflect', onesided, return_complex) as
view_as_real (F, T, 2), torch.istft of it back to len(x), and torch.istft of
a randomly masked spectrogram (not the STFT of any signal)."""
import sys
import warnings

import torch

import st

torch.manual_seed(0)
warnings.filterwarnings("ignore", message="The length of signal is shorter")
torch.set_num_threads(2)

CASES = [
    # name, n_fft, hop, win, center, length
    ("sop", 1022, 256, 1022, True, 65535),        # Sound of Pixels: 6 s at 11025 Hz
    ("speech", 512, 160, 400, True, 16000 * 2 + 37),
    ("odd", 400, 100, 300, True, 1001),
    ("short", 256, 64, 256, True, 200),
    ("nocenter", 256, 64, 256, False, 4000),
    # sizes on the Bluestein path (even n_fft, n_fft/2 with a prime factor > 31): odd and even n_fft/2
    ("blue254", 254, 64, 200, True, 3001),
    ("blue148", 148, 37, 148, True, 2000),
    ("odd401", 401, 100, 401, True, 3000),   # odd n_fft: FFTW's own r2c
]



def avs_default_length(frames, n_fft, hop, center):
    return n_fft + hop * (frames - 1) - (2 * (n_fft // 2) if center else 0)


tensors, meta = {}, {}
for name, n_fft, hop, win, center, length in CASES:
    t = torch.arange(length, dtype=torch.float64) / 11025.0
    x = (0.3 * torch.sin(2 * torch.pi * 440.0 * t) + 0.1 * torch.randn(length, dtype=torch.float64)).float()
    w = torch.hann_window(win, periodic=True)
    X = torch.stft(x, n_fft, hop, win, w, center=center, pad_mode="reflect", normalized=False, onesided=True,
                   return_complex=True)
    tensors[f"{name}.x"] = x.numpy()
    tensors[f"{name}.X"] = torch.view_as_real(X).numpy()
    mask = torch.rand(X.shape)
    Xm = X * mask
    tensors[f"{name}.Xm"] = torch.view_as_real(Xm).numpy()
    try:
        y = torch.istft(X, n_fft, hop, win, w, center=center, normalized=False, onesided=True, length=length)
        ym = torch.istft(Xm, n_fft, hop, win, w, center=center, normalized=False, onesided=True, length=length)
        # without `length`: torch's default output length
        yd = torch.istft(Xm, n_fft, hop, win, w, center=center, normalized=False, onesided=True)
        tensors[f"{name}.y"] = y.numpy()
        tensors[f"{name}.ym"] = ym.numpy()
        tensors[f"{name}.yd"] = yd.numpy()
        inv_ok = 1
    except RuntimeError:  # the Hann envelope is zero at the edges without centring
        inv_ok = 0
    try:
        # longer than the frames cover: torch keeps the tail and pads zeros; with
        # win < n_fft the envelope of the tail reaches zero and torch refuses
        yl = torch.istft(Xm, n_fft, hop, win, w, center=center, normalized=False, onesided=True,
                         length=avs_default_length(X.shape[1], n_fft, hop, center) + n_fft)
        tensors[f"{name}.yl"] = yl.numpy()
        long_ok = 1
    except RuntimeError:
        long_ok = 0
    for k, v in dict(n_fft=n_fft, hop=hop, win=win, center=int(center), length=length, inv_ok=inv_ok,
                     long_ok=long_ok).items():
        meta[f"{name}.{k}"] = v
meta["cases"] = ",".join(c[0] for c in CASES)
st.save(sys.argv[1], tensors, meta)
