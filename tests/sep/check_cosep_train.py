"""Co-separation training end to end: `avtrain cosep`, `aveval sep -m`, and refusals.
Usage: check_cosep_train.py AVDATA AVTRAIN AVEVAL AVSEP OUT_DIR.

A small music set (avdata, 24 clips) and a tiny Co-Separation model trained for
2 epochs. Checked:
  * avtrain cosep prints one result line per epoch with the loss and validation
    SDR and writes the model; --resume after 1 epoch gives the same checkpoint
    as 2 epochs at once (bit for bit, on one thread);
  * aveval sep -m scores the result; avsep coseparate with it separates the
    objects of two test clips from their mixture (a track per object per clip);
  * with the NMF prior (nmf=12, not the paper's): the class dictionaries are learned
    before the first step (stored, not all zero), and aveval sep -m scores the model;
  * refused with one line and no model written: another architecture (usage,
    exit 2), a classifier with fewer classes than the set's categories (exit 1),
    an unknown --cosep-loss (exit 2)."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, digest, failures, run  # noqa: E402
import st  # noqa: E402

AVDATA, AVTRAIN, AVEVAL, AVSEP, OUT = sys.argv[1:6]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
TINY = "ngf=8,visual_width=8,classifier_width=8,crop=64"

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
music = os.path.join(OUT, "music")
r = run(AVDATA, "synth", "--kind", "music", "--count", "24", "--seed", "3", "--out", music, "-q")
check(r.returncode == 0, f"avdata music set: {r.stderr.strip()}")
train_m = os.path.join(music, "train.jsonl")
model = os.path.join(OUT, "cosep.safetensors")


def train(out, *extra, epochs=2, hparams=TINY, threads=2):
    return run(AVTRAIN, "cosep", "--manifest", train_m, "--hparams", hparams, "--epochs", str(epochs),
               "--batch", "4", "--out", out, "-t", str(threads), *extra)


r = train(model)
lines = [l for l in r.stdout.splitlines() if l.startswith("epoch")]
check(r.returncode == 0 and len(lines) == 2 and all("loss" in l and "val SDR" in l for l in lines),
      f"avtrain cosep: one line per epoch with loss and validation SDR: {r.stdout.strip()!r} "
      f"{r.stderr.strip()[-300:]!r}")
ckpt = os.path.join(OUT, "cosep.ckpt")
check(os.path.exists(model) and os.path.exists(os.path.join(ckpt, "last.safetensors")), "model and checkpoint written")

# Bit for bit on one thread: on two, the same cosep run twice differs in the last bits
# (measured 2026-12-03; one thread is reproducible, and so are sop and xattn on two). The op
# is not found yet: oneDNN's convolution and deconvolution backward alone are reproducible.
one = os.path.join(OUT, "one.safetensors")
r0 = train(one, "--checkpoints", os.path.join(OUT, "one.ckpt"), threads=1)
once = os.path.join(OUT, "once.safetensors")
r1 = train(once, "--checkpoints", os.path.join(OUT, "once.ckpt"), epochs=1, threads=1)
r2 = train(once, "--checkpoints", os.path.join(OUT, "once.ckpt"), "--resume", epochs=2, threads=1)
check(r0.returncode == 0 and r1.returncode == 0 and r2.returncode == 0 and
      digest(os.path.join(OUT, "once.ckpt", "last.safetensors")) == digest(os.path.join(OUT, "one.ckpt", "last.safetensors")),
      f"--resume after 1 epoch equals 2 epochs at once: {r2.stderr.strip()[-200:]!r}")

r = run(AVEVAL, "sep", "-m", model, os.path.join(music, "test.jsonl"))
check(r.returncode == 0 and "SDR" in r.stdout, f"aveval sep -m scores the model: {r.stderr.strip()[-300:]!r}")

clips = [json.loads(l) for l in open(os.path.join(music, "test.jsonl"))][:2]
objs = os.path.join(OUT, "objects")
r = run(AVSEP, "coseparate", *(os.path.join(music, c["video"]) for c in clips), "-m", model, "--out", objs)
man = json.load(open(os.path.join(objs, "sources.json"))) if r.returncode == 0 else {"videos": []}
wavs = [f for f in os.listdir(objs) if f.endswith(".wav")] if r.returncode == 0 else []
check(r.returncode == 0 and len(man["videos"]) == 2 and all(len(v["sources"]) >= 1 for v in man["videos"]) and
      len(wavs) == 1 + sum(len(v["sources"]) for v in man["videos"]),
      f"avsep coseparate with the cosep model: {sorted(wavs)} {r.stderr.strip()[-300:]!r}")

prior = os.path.join(OUT, "prior.safetensors")
r = train(prior, epochs=1, hparams=TINY + ",nmf=12,nmf_components=4")
dictionary = st.load(prior)[0].get("audio.nmf.dictionary") if r.returncode == 0 else None
check(dictionary is not None and dictionary.shape == (12, 512, 4) and dictionary.max() > 0 and
      "learning NMF class dictionaries" in r.stderr,
      f"avtrain cosep with the NMF prior learns its dictionaries: {r.stderr.strip()[-300:]!r}")
r = run(AVEVAL, "sep", "-m", prior, os.path.join(music, "test.jsonl"))
check(r.returncode == 0 and "SDR" in r.stdout, f"aveval sep -m scores the prior model: {r.stderr.strip()[-300:]!r}")

ghost = os.path.join(OUT, "ghost.safetensors")
bad("another architecture", run(AVTRAIN, "cosep", "--manifest", train_m, "--arch", "sop", "--out", ghost),
    "cosep architecture only", 2)
bad("classes below the set's categories", train(ghost, hparams=TINY + ",classes=4"), "classes=", 1)
bad("--cosep-loss bogus", train(ghost, "--cosep-loss", "bogus"), "--cosep-loss", 2)
check(not os.path.exists(ghost), "no model written by a refused run")

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
