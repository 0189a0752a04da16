"""`avtrain action` and `aveval action` end to end, and on bad input.
Usage: check_train.py AVDATA AVTRAIN AVEVAL AVACT OUT_DIR.

A small action set is made with avdata (48 x 48 frames) and a tiny C3D
(conv1 width 4, fc 32, 16 x 32 x 32 clips) is trained on it. Checked:
  * the run prints one result line per epoch and writes the model, the
    checkpoint (last, optimizer state, history) and the class names;
  * learning works end to end: 16 clips are fitted to >= 90% train top-1
    (chance is 1/12; wrong gradients or a broken input path cannot do this);
  * resuming is exact: 1 epoch, then --resume to 3, gives the same weights as
    3 epochs in one run (constant schedule; same seed); --cache too;
  * aveval action's top-1, top-5, loss and confusion matrix equal what this
    script computes from the per-clip logits it writes with --predictions;
  * avact classify names the classes from the trained model;
  * bad input: one line on stderr, non-zero exit, inputs untouched, no model
    written by a run that fails before training."""
import json
import math
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import st  # noqa: E402
from clitest import bad, check, digest, failures, run  # noqa: E402

AVDATA, AVTRAIN, AVEVAL, AVACT, OUT = sys.argv[1:6]
# Idle OpenMP threads sleep instead of spinning: ctest runs two tests at once on
# two cores, and spinning threads of one starve the other.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
TINY = "channels=4,fc_dim=32,dropout=0,height=32,width=32"


def train(manifest, out, *extra, epochs=3):
    return run(AVTRAIN, "action", "--manifest", manifest, "--arch", "c3d", "--hparams", TINY, "--norm", "kinetics",
               "--epochs", str(epochs), "--batch", "4", "--lr", "3e-3", "--out", out, "-q", "-t", "2", *extra)


shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
data = os.path.join(OUT, "actions")
r = run(AVDATA, "synth", "--kind", "actions", "--count", "40", "--width", "48", "--height", "48", "--seed", "3",
        "--out", data, "-q")
check(r.returncode == 0, f"avdata makes the action set ({r.stderr.strip()!r})")
train_m, val_m, test_m = (os.path.join(data, f"{s}.jsonl") for s in ("train", "val", "test"))
with open(os.path.join(data, "meta.json")) as f:
    classes = json.load(f)["classes"]
inputs = {p: digest(p) for p in (train_m, val_m, test_m)}

# ---- a run with validation: results, model, checkpoint ----
model = os.path.join(OUT, "a.safetensors")
r = train(train_m, model)
lines = [l for l in r.stdout.splitlines() if l.startswith("epoch")]
check(r.returncode == 0 and len(lines) == 3 and all("val loss" in l and "top-5" in l for l in lines),
      f"3 epochs, each with validation: {r.stdout.strip()!r} {r.stderr.strip()!r}")
ckpt = os.path.join(OUT, "a.ckpt")
for name in ("last.safetensors", "optim.safetensors", "history.json"):
    check(os.path.exists(os.path.join(ckpt, name)), f"checkpoint has {name}")
with open(os.path.join(ckpt, "history.json")) as f:
    history = json.load(f)
check([h["epoch"] for h in history] == [1, 2, 3] and all("val_top1" in h for h in history),
      "history.json holds the 3 epochs with validation top-1")
_, meta = st.load(model)
check(meta.get("labels", "").split("\n") == classes, "the model carries the data set's class names")
check(meta.get("avs.arch") == "c3d" and meta.get("classes") == "12" and meta.get("norm") == "kinetics",
      f"model metadata: arch, classes, norm ({meta.get('avs.arch')}, {meta.get('classes')}, {meta.get('norm')})")
tops = [h["val_top1"] for h in history]
check(meta.get("train.epoch") == str(tops.index(max(tops)) + 1),
      f"the model written is the first epoch with the best validation top-1 ({meta.get('train.epoch')}, {tops})")

# ---- learning: fit 16 clips ----
with open(train_m) as f:
    few = [next(f) for _ in range(16)]
few_m = os.path.join(data, "few.jsonl")
with open(few_m, "w") as f:
    f.writelines(few)
r = train(few_m, os.path.join(OUT, "fit.safetensors"), "--val", "none", "--schedule", "constant", "--lr", "1e-3",
          epochs=40)
last = [l for l in r.stdout.splitlines() if l.startswith("epoch")][-1:] or [""]
top1 = float(last[0].split("train top-1")[1].split()[0]) if "train top-1" in last[0] else 0.0
check(r.returncode == 0 and top1 >= 0.9, f"16 clips fitted: last epoch {last[0]!r}")

# ---- resume equals an uninterrupted run ----
straight, split = os.path.join(OUT, "straight.safetensors"), os.path.join(OUT, "split.safetensors")
r1 = train(train_m, straight, "--schedule", "constant", "--val", "none")
r2 = train(train_m, split, "--schedule", "constant", "--val", "none", epochs=1)
r3 = train(train_m, split, "--schedule", "constant", "--val", "none", "--resume")
check(r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0 and "epoch   2/3" in r3.stdout
      and "epoch   1/3" not in r3.stdout, f"resume goes on at epoch 2: {r3.stdout.strip()!r} {r3.stderr.strip()!r}")
a, _ = st.load(os.path.join(OUT, "straight.ckpt", "last.safetensors"))
b, _ = st.load(os.path.join(OUT, "split.ckpt", "last.safetensors"))
worst = max(float(abs(a[k] - b[k]).max()) for k in a)
check(a.keys() == b.keys() and worst == 0.0, f"resumed weights equal uninterrupted ones (max difference {worst:g})")

# ---- --cache (inputs read once) trains the same as reading every epoch (these clips have no temporal slack) ----
cached = os.path.join(OUT, "cached.safetensors")
r = train(train_m, cached, "--schedule", "constant", "--val", "none", "--cache", epochs=2)
check(r.returncode == 0, f"--cache run ({r.stderr.strip()!r})")
plain = os.path.join(OUT, "plain.safetensors")
r = train(train_m, plain, "--schedule", "constant", "--val", "none", epochs=2)
a, _ = st.load(cached)
b, _ = st.load(plain)
worst = max(float(abs(a[k] - b[k]).max()) for k in a)
check(worst == 0.0, f"--cache gives the same weights (max difference {worst:g})")

# ---- aveval action against the per-clip logits ----
preds = os.path.join(OUT, "preds.jsonl")
r = run(AVEVAL, "action", "-m", model, test_m, "--json", "-p", preds, "-q")
check(r.returncode == 0, f"aveval action runs ({r.stderr.strip()!r})")
if r.returncode == 0:
    rep = json.loads(r.stdout)
    with open(preds) as f:
        rows = [json.loads(l) for l in f]
    n, c = len(rows), len(classes)
    top1 = top5 = 0
    loss = 0.0
    conf = [[0] * c for _ in range(c)]
    for row in rows:
        lg, t = row["logits"], row["class"]
        order = sorted(range(c), key=lambda k: (-lg[k], k))
        top1 += order[0] == t
        top5 += t in order[:5]
        m = max(lg)
        loss += math.log(sum(math.exp(v - m) for v in lg)) + m - lg[t]
        conf[t][order[0]] += 1
    check(rep["clips"] == n == 4, f"4 test clips scored ({rep['clips']})")
    check(rep["top1"] == top1 / n and rep["top5"] == top5 / n, f"top-1/top-5 {rep['top1']}/{rep['top5']} "
          f"= {top1 / n}/{top5 / n} from the logits")
    check(abs(rep["loss"] - loss / n) <= 1e-5 * max(1, loss / n), f"loss {rep['loss']} = {loss / n}")
    check(rep["confusion"] == conf and rep["classes"] == classes, "confusion matrix from the logits")
    r = run(AVEVAL, "action", "-m", model, test_m, "-q")
    check(r.returncode == 0 and "top-1" in r.stdout and classes[0] in r.stdout, "aveval action's text report")

# ---- avact classify uses the model's class names ----
with open(test_m) as f:
    clip = os.path.join(data, json.loads(f.readline())["video"])
r = run(AVACT, "classify", "-m", model, clip, "--json", "-q")
check(r.returncode == 0 and json.loads(r.stdout)["top"][0]["label"] in classes,
      f"avact classify names the trained model's classes ({r.stderr.strip()!r})")

# ---- bad input ----
ghost = os.path.join(OUT, "ghost.safetensors")
bad("no --manifest", run(AVTRAIN, "action", "--arch", "c3d", "--out", ghost), "--manifest", 2)
bad("missing manifest", train(os.path.join(OUT, "nope.jsonl"), ghost), "cannot open the manifest", 1)
music = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "samples", "music", "train.jsonl")
bad("manifest without classes (music)", train(music, ghost), "no integer \"class\"", 1)
bad("unknown --arch", run(AVTRAIN, "action", "--manifest", train_m, "--arch", "c4d", "--out", ghost), "c4d", 2)
bad("--epochs 0", train(train_m, ghost, epochs=0), "epochs", 2)
bad("--batch -1", train(train_m, ghost, "--batch", "-1"), "batch", 2)
bad("--optimizer foo", train(train_m, ghost, "--optimizer", "foo"), "--optimizer", 2)
bad("--checkpoints \"\" (empty)", train(train_m, ghost, "--checkpoints", ""), "--checkpoints", 2)
bad("--norm foo", train(train_m, ghost, "--norm", "foo"), "--norm", 2)
bad("unknown hyperparameter", train(train_m, ghost, "--hparams", "wings=2"), "wings", 2)
bad("--hparams classes", train(train_m, ghost, "--hparams", "classes=3"), "classes", 2)
bad("--hparams not key=value", train(train_m, ghost, "--hparams", "channels"), "KEY=VALUE", 2)
# hyperparameters are bounded (no overflowed shape, no absurd allocation): one line each
for arch in ("two_stream", "early_fusion", "late_fusion"):
    for hp, key in (("frames=2147483647", "'frames': 2147483647 is out of range [1, 1024]"),
                    ("height=2147483647,width=2147483647", "'height': 2147483647 is out of range [1, 4096]")):
        bad(f"{arch} --hparams {hp}", run(AVTRAIN, "action", "--manifest", train_m, "--arch", arch, "--hparams", hp,
                                          "--out", ghost, "-q"), key, 2)
bad("--hparams channels=1000000", train(train_m, ghost, "--hparams", "channels=1000000"), "is too large", 1)
bad("--resume without a checkpoint", train(train_m, ghost, "--resume"), "no checkpoint", 1)
bad("existing checkpoint without --resume", train(train_m, straight), "--resume", 1)
# an existing model is never replaced by accident: refused untouched without --force, replaced with it
before = digest(model)
keep_ckpt = os.path.join(OUT, "keep.ckpt")
bad("existing --out without --force", train(train_m, model, "--checkpoints", keep_ckpt, epochs=1), "--force", 1)
check(digest(model) == before and not os.path.exists(keep_ckpt), "the existing model is untouched, no checkpoint made")
r = train(train_m, model, "--checkpoints", keep_ckpt, "--force", "--val", "none", epochs=1)
check(r.returncode == 0 and digest(model) != before, f"--force replaces it ({r.stderr.strip()!r})")
bad("resume as another architecture",
    run(AVTRAIN, "action", "--manifest", train_m, "--arch", "r3d_18", "--out", straight, "--resume"), "r3d_18", 1)
bad("resume past --epochs", train(train_m, straight, "--resume", "--schedule", "constant", "--val", "none"),
    "already done 3", 1)
broken = {"garbage.jsonl": "{not json\n", "empty.jsonl": "",
          "range.jsonl": json.dumps({"video": "clips/x/video.mp4", "class": 12}) + "\n",
          "novideo.jsonl": json.dumps({"video": "clips/none/video.mp4", "class": 1}) + "\n"}
needles = {"garbage.jsonl": "not a JSON object", "empty.jsonl": "no clips", "range.jsonl": "outside",
           "novideo.jsonl": "clips/none/video.mp4"}
for name, text in broken.items():
    p = os.path.join(data, name)
    with open(p, "w") as f:
        f.write(text)
    bad(f"manifest {name}", train(p, ghost, "--val", "none"), needles[name], 1)
check(not os.path.exists(ghost), "no model written by failed runs")
check(all(digest(p) == h for p, h in inputs.items()), "manifests untouched")

other = os.path.join(OUT, "other.safetensors")
st.save(other, {}, {"avs.arch": "nothing"})
r = run(AVEVAL, "action", test_m, "--json", "-q")  # no -m: the shipped model, as avact classify
check(r.returncode == 0 and json.loads(r.stdout)["model"].endswith("action.safetensors"),
      f"aveval action without -m scores the shipped model ({r.stderr.strip()!r})")
bad("aveval: missing model", run(AVEVAL, "action", "-m", ghost, test_m), "not found", 1)
bad("aveval: not an action model", run(AVEVAL, "action", "-m", other, test_m), "nothing", 1)
bad("aveval: music manifest", run(AVEVAL, "action", "-m", model, music), "no integer \"class\"", 1)
c487 = os.path.join(OUT, "c487.safetensors")
rr = run(AVTRAIN, "action", "--manifest", train_m, "--arch", "c3d", "--hparams", TINY, "--epochs", "1", "--out",
         c487, "-q", "--val", "none")
if rr.returncode == 0:
    t, meta = st.load(c487)
    meta["labels"] = "\n".join(reversed(classes))
    st.save(c487, t, meta)
    bad("aveval: the model's classes differ from the data set's", run(AVEVAL, "action", "-m", c487, test_m),
        "in the model but", 1)
    meta.pop("labels")
    meta["classes"] = "13"
    t["fc8.weight"] = t["fc8.weight"][:1].repeat(13, 0)
    t["fc8.bias"] = t["fc8.bias"][:1].repeat(13, 0)
    st.save(c487, t, meta)
    bad("aveval: class count differs", run(AVEVAL, "action", "-m", c487, test_m), "13 classes", 1)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
