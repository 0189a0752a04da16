"""References for tests/audio/test_logfreq.c.

Log-frequency warp: Sound of Pixels' warpgrid() (copied from its repository,
utils.py) sampled with torch.nn.functional.grid_sample, both align_corners
settings: 512 -> 256 bins (warp=True) and back (warp=False).

Mel filterbank: torchaudio is not packaged in Debian 12, so melscale_fbanks
below re-implements torchaudio.functional.melscale_fbanks (torchaudio 0.13,
functional/functional.py: _hz_to_mel, _mel_to_hz, _create_triangular_filterbank)
line by line in torch float32, htk and slaney scales, norm None and 'slaney'.
MelScale's product is torch.matmul(spec.T, fb).T."""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

import st

torch.manual_seed(0)


def warpgrid(bs, HO, WO, warp=True):
    # meshgrid
    x = np.linspace(-1, 1, WO)
    y = np.linspace(-1, 1, HO)
    xv, yv = np.meshgrid(x, y)
    grid = np.zeros((bs, HO, WO, 2))
    grid_x = xv
    if warp:
        grid_y = (np.power(21, (yv + 1) / 2) - 11) / 10
    else:
        grid_y = np.log(yv * 10 + 11) / np.log(21) * 2 - 1
    grid[:, :, :, 0] = grid_x
    grid[:, :, :, 1] = grid_y
    grid = grid.astype(np.float32)
    return grid


def _hz_to_mel(freq, mel_scale="htk"):
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + (freq / 700.0))
    f_min = 0.0
    f_sp = 200.0 / 3
    mels = (freq - f_min) / f_sp
    min_log_hz = 1000.0
    min_log_mel = (min_log_hz - f_min) / f_sp
    logstep = math.log(6.4) / 27.0
    if freq >= min_log_hz:
        mels = min_log_mel + math.log(freq / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels, mel_scale="htk"):
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_min = 0.0
    f_sp = 200.0 / 3
    freqs = f_min + f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = (min_log_hz - f_min) / f_sp
    logstep = math.log(6.4) / 27.0
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * torch.exp(logstep * (mels[log_t] - min_log_mel))
    return freqs


def _create_triangular_filterbank(all_freqs, f_pts):
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    zero = torch.zeros(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    fb = torch.max(zero, torch.min(down_slopes, up_slopes))
    return fb


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_min = _hz_to_mel(f_min, mel_scale=mel_scale)
    m_max = _hz_to_mel(f_max, mel_scale=mel_scale)
    m_pts = torch.linspace(m_min, m_max, n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale=mel_scale)
    fb = _create_triangular_filterbank(all_freqs, f_pts)
    if norm is not None and norm == "slaney":
        enorm = 2.0 / (f_pts[2: n_mels + 2] - f_pts[:n_mels])
        fb *= enorm.unsqueeze(0)
    return fb


tensors, meta = {}, {}
# warp: (N, C, F, T) in torch, channels-last (N, F, T, C) on the C side
cases = []
for name, n, c, fin, t, fout in [("sop", 2, 1, 512, 256, 256), ("multi", 1, 3, 100, 37, 64)]:
    mag = torch.rand(n, c, fin, t) * 3
    for align in (0, 1):
        key = f"{name}_a{align}"
        warped = F.grid_sample(mag, torch.from_numpy(warpgrid(n, fout, t, warp=True)), align_corners=bool(align))
        unwarped = F.grid_sample(warped, torch.from_numpy(warpgrid(n, fin, t, warp=False)), align_corners=bool(align))
        tensors[f"{key}.in"] = mag.permute(0, 2, 3, 1).contiguous().numpy()
        tensors[f"{key}.warp"] = warped.permute(0, 2, 3, 1).contiguous().numpy()
        tensors[f"{key}.unwarp"] = unwarped.permute(0, 2, 3, 1).contiguous().numpy()
        for k, v in dict(n=n, c=c, fin=fin, t=t, fout=fout, align=align).items():
            meta[f"{key}.{k}"] = v
        cases.append(key)
meta["warp_cases"] = ",".join(cases)

mels = []
for name, n_freqs, f_min, f_max, n_mels, sr, norm, scale in [
    ("htk", 201, 0.0, 8000.0, 40, 16000, None, "htk"),
    ("slaney", 257, 0.0, 8000.0, 80, 16000, "slaney", "slaney"),
    ("slaney_nonorm", 513, 20.0, 7600.0, 64, 22050, None, "slaney"),
    ("htk_norm", 512, 30.0, 5512.5, 128, 11025, "slaney", "htk"),
]:
    fb = melscale_fbanks(n_freqs, f_min, f_max, n_mels, sr, norm, scale)
    spec = torch.rand(n_freqs, 50) ** 2
    mel = torch.matmul(spec.transpose(-1, -2), fb).transpose(-1, -2)
    tensors[f"{name}.fb"] = fb.numpy()
    tensors[f"{name}.spec"] = spec.numpy()
    tensors[f"{name}.mel"] = mel.numpy()
    for k, v in dict(n_freqs=n_freqs, f_min=f_min, f_max=f_max, n_mels=n_mels, sr=sr,
                     norm=int(norm == "slaney"), scale=int(scale == "slaney")).items():
        meta[f"{name}.{k}"] = v
    mels.append(name)
meta["mel_cases"] = ",".join(mels)
st.save(sys.argv[1], tensors, meta)
