"""`avtrain loc` end to end on a tiny music set, and bad input.
Usage: check_avtrain_loc.py AVDATA AVTRAIN AVEVAL OUT_DIR SEP_MODEL

A 16-clip music set (avdata synth --seed 5, seconds to make), tiny models. Checked:
  * each localizer (senocak with its silent-object term, lvs, ezvsl) trains 2 epochs: one result line per epoch
    with the validation objective and cIoU (the set has boxes), the model file, a
    checkpoint folder (last, optim, history); aveval loc scores the model;
  * --resume goes on to a third epoch from the checkpoint (its history grows by one);
  * an existing --out is refused untouched without --force and replaced with it;
  * bad input, one line on stderr and a non-zero exit: an actions set (no audio),
    a separation architecture, an unknown hyperparameter, a negative silent_weight, --batch 1 (no negatives),
    --batch larger than the set, a missing manifest; the inputs are never touched."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, digest, failures, run  # noqa: E402

AVDATA, AVTRAIN, AVEVAL, OUT, SEP_MODEL = sys.argv[1:6]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
TINY = "width=4,audio_width=4,size=64,samples=16000"

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
music = os.path.join(OUT, "music")
r = run(AVDATA, "synth", "--kind", "music", "--count", "16", "--seed", "5", "--val", "0.25", "--test", "0.25",
        "--out", music, "-q")
check(r.returncode == 0, f"avdata music set: {r.stderr.strip()}")
train_m, val_m, test_m = (os.path.join(music, f"{s}.jsonl") for s in ("train", "val", "test"))
inputs = {p: digest(p) for p in (train_m, val_m)}


def train(arch, out, *extra, epochs=2, hp=TINY, manifest=train_m):
    return run(AVTRAIN, "loc", "--manifest", manifest, "--arch", arch, "--hparams", hp, "--epochs", str(epochs),
               "--batch", "4", "--frames", "2", "--lr", "1e-3", "--out", out, "-t", "2", *extra)


for arch in ("senocak", "lvs", "ezvsl"):
    model = os.path.join(OUT, f"{arch}.safetensors")
    r = train(arch, model, hp=TINY + (",silent_weight=1" if arch == "senocak" else ""))
    lines = [l for l in r.stdout.splitlines() if l.startswith("epoch")]
    check(r.returncode == 0 and len(lines) == 2 and all("val loss" in l and "cIoU" in l for l in lines),
          f"{arch}: 2 epochs, each validated ({r.stdout.strip()!r} {r.stderr.strip()[-300:]!r})")
    ckpt = os.path.join(OUT, f"{arch}.ckpt")
    check(os.path.exists(model) and all(os.path.exists(os.path.join(ckpt, n))
                                        for n in ("last.safetensors", "optim.safetensors", "history.json")),
          f"{arch}: the model and its checkpoint")
    r = run(AVEVAL, "loc", "-m", model, test_m, "--json", "-q")
    check(r.returncode == 0 and json.loads(r.stdout)["clips"] >= 1, f"{arch}: aveval loc scores it ({r.stderr.strip()!r})")

# --resume: a third epoch from the checkpoint
model = os.path.join(OUT, "senocak.safetensors")
r = train("senocak", model, "--resume", epochs=3, hp=TINY + ",silent_weight=1")
with open(os.path.join(OUT, "senocak.ckpt", "history.json")) as f:
    history = json.load(f)
check(r.returncode == 0 and "resuming" in r.stderr and len(history) == 3,
      f"--resume goes on to epoch 3 ({len(history)} epochs in history; {r.stderr.strip()[-200:]!r})")

# an existing model: refused untouched without --force, replaced with it
before = digest(model)
other_ckpt = os.path.join(OUT, "again.ckpt")
bad("existing --out without --force", train("senocak", model, "--checkpoints", other_ckpt, epochs=1), "--force", 1)
check(digest(model) == before and not os.path.exists(other_ckpt), "the model is untouched, no checkpoint made")
r = train("senocak", model, "--checkpoints", other_ckpt, "--force", epochs=1)
check(r.returncode == 0 and digest(model) != before, f"--force replaces it ({r.stderr.strip()[-200:]!r})")

# bad input
ghost = os.path.join(OUT, "ghost.safetensors")
actions = os.path.join(OUT, "actions")
r = run(AVDATA, "synth", "--kind", "actions", "--count", "6", "--width", "32", "--height", "32", "--seed", "2",
        "--out", actions, "-q")
check(r.returncode == 0, f"avdata actions set: {r.stderr.strip()}")
bad("actions set (no audio)", train("senocak", ghost, manifest=os.path.join(actions, "train.jsonl")), "no audio", 1)
bad("a separation architecture", train("sop", ghost), "sop", 2)
bad("unknown hyperparameter", train("senocak", ghost, hp="wings=2"), "wings", 2)
bad("silent_weight below 0", train("senocak", ghost, hp=TINY + ",silent_weight=-1"), "silent_weight", 2)
bad("--batch 1", run(AVTRAIN, "loc", "--manifest", train_m, "--arch", "lvs", "--batch", "1", "--out", ghost),
    "--batch", 2)
bad("--batch above the set", run(AVTRAIN, "loc", "--manifest", train_m, "--arch", "lvs", "--hparams", TINY,
                                 "--batch", "64", "--out", ghost), "--batch", 2)
bad("missing manifest", train("senocak", ghost, manifest=os.path.join(OUT, "nope.jsonl")), "nope.jsonl", 1)
check(not os.path.exists(ghost), "no model from the failed runs")
check(all(digest(p) == d for p, d in inputs.items()), "manifests untouched")
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
