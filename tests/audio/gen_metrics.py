"""mir_eval 0.7 references for tests/audio/test_metrics.c: BSS Eval v3
(mir_eval.separation.bss_eval_sources, with and without the permutation
search), NSDR as Sound of Pixels computes it (SDR of the estimates minus SDR
of the mixture given as every estimate, compute_permutation=False), and SI-SDR
by its definition (Le Roux et al. 2019) in float64 numpy.

Short signals (1-1.5 s at 8 kHz) keep mir_eval to seconds."""
import sys

import numpy as np
import scipy.signal
import mir_eval.separation as sep

import st

rng = np.random.default_rng(1)


def colored(n, b):
    """Noise through a random FIR, so sources differ in spectrum."""
    return scipy.signal.lfilter(b, [1.0], rng.standard_normal(n))


def si_sdr(ref, est):
    ref = ref - ref.mean()
    est = est - est.mean()
    a = np.dot(est, ref) / np.dot(ref, ref)
    t = a * ref
    return 10 * np.log10(np.sum(t ** 2) / np.sum((est - t) ** 2))


tensors, meta, cases = {}, {}, []


def case(name, refs, ests, permute):
    refs = np.asarray(refs, np.float32)
    ests = np.asarray(ests, np.float32)
    mix = refs.sum(axis=0).astype(np.float32)
    r64, e64 = refs.astype(np.float64), ests.astype(np.float64)
    sdr, sir, sar, perm = sep.bss_eval_sources(r64, e64, compute_permutation=permute)
    sdr_mix, _, _, _ = sep.bss_eval_sources(r64, np.tile(mix.astype(np.float64), (len(refs), 1)),
                                            compute_permutation=False)
    si = [si_sdr(r64[j], e64[perm[j]]) for j in range(len(refs))]
    tensors[f"{name}.ref"] = refs
    tensors[f"{name}.est"] = ests
    tensors[f"{name}.mix"] = mix
    tensors[f"{name}.sdr"] = sdr
    tensors[f"{name}.sir"] = sir
    tensors[f"{name}.sar"] = sar
    tensors[f"{name}.perm"] = perm.astype(np.float32)
    tensors[f"{name}.nsdr"] = sdr - sdr_mix
    tensors[f"{name}.si_sdr"] = np.asarray(si)
    meta[f"{name}.permute"] = int(permute)
    # float64 values as text too: the dB comparison is 0.01 dB, float32 is plenty
    cases.append(name)


n = 12000  # 1.5 s at 8 kHz
s = [colored(n, [1, 0.9, 0.5]), colored(n, [1, -0.8, 0.3]) * 0.7]
# estimates swapped: est 0 ~ source 1, est 1 ~ source 0; filtered leakage + noise
e0 = s[1] + 0.2 * scipy.signal.lfilter([0.5, 0.3], [1], s[0]) + 0.05 * rng.standard_normal(n)
e1 = 0.9 * s[0] + 0.1 * np.roll(s[0], 3) + 0.15 * s[1] + 0.02 * rng.standard_normal(n)
case("two_perm", s, [e0, e1], True)
case("two_fixed", s, [e1, e0], False)

n = 8000  # 1 s at 8 kHz, three sources in a rotated order
s3 = [colored(n, [1, 0.5]), colored(n, [1, -0.6, 0.2]), np.sin(2 * np.pi * 440 * np.arange(n) / 8000) + 0.3 * colored(n, [1])]
e3 = [s3[2] + 0.3 * s3[0] + 0.05 * rng.standard_normal(n),
      s3[0] + 0.1 * s3[1] + 0.1 * rng.standard_normal(n),
      0.5 * s3[1] + 0.2 * s3[2] + 0.01 * rng.standard_normal(n)]
case("three_perm", s3, e3, True)

meta["cases"] = ",".join(cases)
st.save(sys.argv[1], tensors, meta)
