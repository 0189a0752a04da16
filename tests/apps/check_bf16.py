"""The accuracy cost of --precision bf16 on every shipped model (issue 14), on
the benchmark's own test splits, each scored twice by aveval: fp32, then bf16.
  action (data/models/action.safetensors): the test split of the set it was
    trained from (avdata synth --kind actions --count 3000 --seed 11, 300 clips):
    top-1 within 0.1 points (0.001).
  separation (sep.safetensors): music1000's test split (--count 1000 --seed 7),
    natural mixtures and mixes of solos: mean SDR within 0.1 dB (its convs and
    its NMF prior's products in bf16).
  localization (loc.safetensors): the same split: AUC and cIoU within 0.005 (a
    median threshold turns tiny map changes into whole pixels; measured on 40
    clips: 0.0025) and the silent-object share within 0.005.
bf16 runs wherever oneDNN has it (any AVX-512 CPU, emulated where it is not
native), so this measures the arithmetic, not the speed. Also: a bad
--precision value or AVS_PRECISION is one usage line, exit 2.
Exit 77 (skipped) on a CPU without AVX-512.
Usage: check_bf16.py BIN_DIR OUT_DIR."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, failures, run  # noqa: E402

BIN, OUT = sys.argv[1:3]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
app = lambda name: os.path.join(BIN, name)  # noqa: E731
model = lambda name: os.path.join(ROOT, "data", "models", name)  # noqa: E731
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
os.environ.pop("AVS_PRECISION", None)

probe = run(app("avact"), "info", "-m", "c3d", "--precision", "bf16")
if probe.returncode == 1 and "AVX-512" in probe.stderr:
    print("skipped:", probe.stderr.strip())
    sys.exit(77)

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


def synth(kind, count, seed):
    out = os.path.join(OUT, f"{kind}{count}")
    subprocess.run([app("avdata"), "synth", "--kind", kind, "--count", str(count), "--seed", str(seed), "--out", out,
                    "-q"], check=True)
    return os.path.join(out, "test.jsonl")


def score(verb, mdl, manifest, precision):
    r = run(app("aveval"), verb, "-m", mdl, "--precision", precision, "--json", "-q", manifest)
    if r.returncode != 0:
        check(False, f"aveval {verb} --precision {precision}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
        return None
    return json.loads(r.stdout)


def compare(what, a, b, tol, unit=""):
    ok = a is not None and b is not None and abs(a - b) <= tol
    check(ok, f"{what}: fp32 {a:.4f}, bf16 {b:.4f}, difference {abs(a - b):.4f}{unit} (tolerance {tol}{unit})"
          if a is not None and b is not None else f"{what}: missing ({a}, {b})")


actions = synth("actions", 3000, 11)
f, h = (score("action", model("action.safetensors"), actions, p) for p in ("fp32", "bf16"))
if f and h:
    check(f["clips"] == 300, f"the action benchmark's test split has 300 clips ({f['clips']})")
    compare("action top-1", f["top1"], h["top1"], 0.001)

music = synth("music", 1000, 7)
f, h = (score("sep", model("sep.safetensors"), music, p) for p in ("fp32", "bf16"))
if f and h:
    for protocol in ("natural_mean", "solos_mean"):
        compare(f"separation {protocol} SDR", f[protocol]["sdr"], h[protocol]["sdr"], 0.1, " dB")
f, h = (score("loc", model("loc.safetensors"), music, p) for p in ("fp32", "bf16"))
if f and h:
    compare("localization AUC", f["auc"], h["auc"], 0.005)
    compare("localization cIoU", f["ciou"], h["ciou"], 0.005)
    compare("localization silent-object share", f["silent"]["mean_share"], h["silent"]["mean_share"], 0.005)

bad("a bad --precision", run(app("avact"), "classify", "--precision", "half", "x.mp4"), "fp32, bf16 or auto", 2)
env = dict(os.environ, AVS_PRECISION="fp16")
bad("a bad AVS_PRECISION", subprocess.run([app("avloc"), "heatmap", "x.mp4"], capture_output=True, text=True, env=env),
    "(from AVS_PRECISION)", 2)
clip = os.path.join(ROOT, "data", "samples", "actions", "clips", "actions_test_000000", "video.mp4")
r = run(app("avact"), "classify", clip, "-v", "--precision", "bf16")
check(r.returncode == 0 and "convolutions in bf16" in r.stderr, f"-v names the precision: {r.stderr.strip()[-200:]!r}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
