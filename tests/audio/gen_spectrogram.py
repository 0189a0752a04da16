"""References for tests/audio/test_spectrogram.c: scipy.signal.spectrogram
with its defaults (Tukey 0.25, detrend 'constant', density, psd, one-sided)
at LVS/EZ-VSL's nperseg 512 / noverlap 274, and an odd hop, on noise plus a
tone with a DC offset (so that the mean removal matters)."""
import sys

import numpy as np
from scipy import signal

import st

rng = np.random.default_rng(0)
cases = {"lvs": (512, 274, 11025.0, 33075), "small": (64, 25, 16000.0, 1000)}
tensors, meta = {}, {"cases": ",".join(cases)}
for name, (nperseg, noverlap, fs, n) in cases.items():
    t = np.arange(n) / fs
    x = (0.3 * rng.standard_normal(n) + 0.5 * np.sin(2 * np.pi * 440 * t) + 0.2).astype(np.float32)
    _, _, s = signal.spectrogram(x.astype(np.float64), fs=fs, nperseg=nperseg, noverlap=noverlap)
    tensors[name + ".x"] = x
    tensors[name + ".psd"] = s.astype(np.float32)
    meta.update({name + ".nperseg": str(nperseg), name + ".hop": str(nperseg - noverlap), name + ".fs": str(fs)})
st.save(sys.argv[1], tensors, meta)
