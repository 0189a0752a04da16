"""aveval sep end to end: its numbers against mir_eval 0.7 computed here, live,
on the same files (within 0.01 dB, same permutation), its text table, and its
behaviour on bad input (one error line, non-zero exit, nothing written).

  check_aveval.py AVEVAL_BINARY WORKDIR"""
import functools
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import scipy.signal
import mir_eval.separation as sep

aveval, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
failures = 0


def check(ok, msg):
    global failures
    print(("ok   " if ok else "FAIL ") + msg, flush=True)
    failures += not ok


def wav(path, rate, x, fmt=3, bits=32):
    """Mono/multichannel WAV; float32 by default, header written by hand so a
    test can claim any rate."""
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    raw = np.ascontiguousarray(x.astype("<f4" if fmt == 3 else "<i2")).tobytes()
    ch = x.shape[1]
    blk = ch * bits // 8
    hdr = b"RIFF" + struct.pack("<I", 36 + len(raw)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, fmt, ch, rate, (rate * blk) & 0xFFFFFFFF, blk, bits) + b"data" + struct.pack("<I", len(raw))
    with open(path, "wb") as f:
        f.write(hdr + raw)


def run(*args):
    p = subprocess.run([aveval, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rng = np.random.default_rng(3)
rate, n = 8000, 8000  # 1 s at 8 kHz keeps mir_eval to seconds
s = np.stack([scipy.signal.lfilter([1, 0.8], [1], rng.standard_normal(n)),
              scipy.signal.lfilter([1, -0.7, 0.2], [1], rng.standard_normal(n)) * 0.5,
              np.sin(2 * np.pi * 330 * np.arange(n) / rate) * 0.5 + 0.1 * rng.standard_normal(n)]).astype(np.float32)
e = np.stack([s[1] + 0.2 * s[0] + 0.03 * rng.standard_normal(n),
              0.9 * s[2] + 0.1 * s[1] + 0.05 * rng.standard_normal(n),
              s[0] + 0.3 * scipy.signal.lfilter([0.5, 0.5], [1], s[2]) + 0.02 * rng.standard_normal(n)]).astype(np.float32)
for j in range(3):
    wav(f"ref{j}.wav", rate, s[j])
    wav(f"est{j}.wav", rate, e[j])
wav("mix.wav", rate, s.sum(axis=0) * 1.0)


@functools.lru_cache(maxsize=None)
def mir(nsrc, permute):
    r64, e64 = s[:nsrc].astype(np.float64), e[:nsrc].astype(np.float64)
    return sep.bss_eval_sources(r64, e64, compute_permutation=permute)


@functools.lru_cache(maxsize=None)
def mir_mix(nsrc, all_three):
    r64 = s[:nsrc].astype(np.float64)
    m = (s if all_three else s[:nsrc]).sum(axis=0).astype(np.float64)
    return sep.bss_eval_sources(r64, np.tile(m, (nsrc, 1)), compute_permutation=False)[0]


def compare(nsrc, permute, mix=None):
    refs = [f"ref{j}.wav" for j in range(nsrc)]
    ests = [f"est{j}.wav" for j in range(nsrc)]
    args = ["sep", "--ref", *refs, "--est", *ests, "--json"]
    if not permute:
        args.append("--no-perm")
    if mix:
        args += ["--mix", mix]
    rc, out, err = run(*args)
    label = f"{nsrc} sources, {'permuted' if permute else 'fixed order'}{', --mix' if mix else ''}"
    check(rc == 0, f"aveval {' '.join(args)} exits 0 ({err.strip()})")
    if rc:
        return
    got = json.loads(out)
    sdr, sir, sar, perm = mir(nsrc, permute)
    sdr_mix = mir_mix(nsrc, mix is not None)
    worst = 0
    for j in range(nsrc):
        src = got["sources"][j]
        for key, want in (("sdr", sdr[j]), ("sir", sir[j]), ("sar", sar[j]), ("nsdr", sdr[j] - sdr_mix[j])):
            worst = max(worst, abs(src[key] - want))
        check(src["estimate"] == ests[perm[j]], f"{label}: reference {j} <- {src['estimate']} (mir_eval {ests[perm[j]]})")
    check(worst <= 0.01, f"{label}: SDR/SIR/SAR/NSDR within {worst:.2e} dB of mir_eval")
    check(abs(got["mean"]["sdr"] - np.mean(sdr)) <= 0.01, f"{label}: mean SDR {got['mean']['sdr']:.3f} dB")
    check(got["permutation"] == [int(p) for p in perm], f"{label}: permutation {got['permutation']}")


compare(2, True)
compare(3, True)
compare(2, False)
compare(2, True, mix="mix.wav")  # the mixture of all three: NSDR against a given file

rc, out, err = run("sep", "--ref", "ref0.wav", "ref1.wav", "--est", "est0.wav", "est1.wav")
lines = out.strip().splitlines()
check(rc == 0 and lines[0].split()[:2] == ["reference", "estimate"] and lines[3].startswith("mean"),
      "text table: header, one row per source, mean")
print(out)
rc, out, err = run("--help")
check(rc == 0 and "sep" in out, "aveval --help lists the verbs")
rc, out, err = run("sep", "--help")
check(rc == 0 and "--ref" in out and "--json" in out, "aveval sep --help documents --ref and --json")

# bad input: exit code, exactly one error line, nothing on stdout, nothing written
wav("empty.wav", rate, np.zeros(0, np.float32))
wav("rate0.wav", 0, s[0])
wav("rate_huge.wav", 40_000_000, s[0])
x = e[0].copy()
x[100] = np.nan
wav("nan.wav", rate, x)
wav("silent.wav", rate, np.zeros(n, np.float32))
wav("rate16k.wav", 16000, s[0])
wav("one.wav", rate, s[0][:1])
wav("one_est.wav", rate, e[0][:1])
wav("dc.wav", rate, np.full(n, 0.25, np.float32))
wav("tiny.wav", rate, np.where(np.arange(n) % 2, 1e-40, -1e-40).astype(np.float32))
wav("ref0_copy.wav", rate, s[0])
wav("bits7.wav", rate, (s[0] * 100).astype(np.int16), fmt=1, bits=7)
with open("notes.wav", "w") as f:
    f.write("not audio\n")
subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                "testsrc=size=32x32:rate=5:duration=1", "-c:v", "mpeg4", "noaudio.mp4"], check=True)
before = sorted(os.listdir("."))
for name, args, want_rc, needle in [
    ("missing file", ["--ref", "ref0.wav", "--est", "nosuch.wav"], 1, "nosuch.wav"),
    ("not audio", ["--ref", "ref0.wav", "--est", "notes.wav"], 1, "notes.wav"),
    ("zero-length", ["--ref", "ref0.wav", "--est", "empty.wav"], 1, "no samples"),
    ("sample rate 0", ["--ref", "rate0.wav", "--est", "est0.wav"], 1, "rate0.wav"),
    ("sample rate 40 MHz", ["--ref", "rate_huge.wav", "--est", "est0.wav"], 1, "outside"),
    ("NaN sample", ["--ref", "ref0.wav", "--est", "nan.wav"], 1, "NaN"),
    ("video without audio", ["--ref", "ref0.wav", "--est", "noaudio.mp4"], 1, "no audio stream"),
    ("silent estimate", ["--ref", "ref0.wav", "--est", "silent.wav"], 1, "silent"),
    ("1-sample files", ["--ref", "one.wav", "--est", "one_est.wav"], 1, "too short to score"),
    ("1-sample reference, longer estimate (no length warning first)", ["--ref", "one.wav", "--est", "est0.wav"], 1,
     "too short to score"),
    ("DC reference", ["--ref", "dc.wav", "--est", "est0.wav"], 1, "silent or constant"),
    ("1e-40 reference", ["--ref", "ref1.wav", "tiny.wav", "--est", "est0.wav", "est1.wav"], 1,
     "reference 2 is silent or constant"),
    ("the same reference twice", ["--ref", "ref0.wav", "ref0_copy.wav", "--est", "est0.wav", "est1.wav"], 1,
     "references 1 and 2 are the same signal"),
    ("a WAV of 7 bits per sample", ["--ref", "ref0.wav", "--est", "bits7.wav"], 1, "claims 7 bits per PCM sample"),
    ("rates differ", ["--ref", "ref0.wav", "--est", "rate16k.wav"], 1, "rates differ"),
    ("counts differ", ["--ref", "ref0.wav", "ref1.wav", "--est", "est0.wav"], 2, "2 references but 1 estimate"),
    ("no estimates", ["--ref", "ref0.wav"], 2, "no estimated sources"),
    ("--ref without files", ["--ref", "--est", "est0.wav"], 2, "needs at least one file"),
    ("unknown option", ["--ref", "ref0.wav", "--est", "est0.wav", "--frobnicate"], 2, "unknown option"),
]:
    rc, out, err = run("sep", *args)
    errl = err.strip().splitlines()
    if want_rc == 1:
        one = len(errl) == 1 and errl[0].startswith("aveval: error: ")
    else:  # usage errors: the message and the "Try --help" hint
        one = len(errl) == 2 and errl[1].startswith("Try ")
    check(rc == want_rc and one and needle in errl[0] and out == "",
          f"{name}: exit {rc} (want {want_rc}): {errl[0] if errl else '(no message)'}")
check(sorted(os.listdir(".")) == before, "bad input left no file behind")
rc, out, err = run("frobnicate")
check(rc == 2 and "unknown verb" in err, "unknown verb: exit 2")
print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s)")
sys.exit(1 if failures else 0)
