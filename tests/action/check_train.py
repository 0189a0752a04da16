"""`avtrain action` and `aveval action` end to end, and on bad input.
Usage: check_train.py AVDATA AVTRAIN AVEVAL AVACT OUT_DIR.

A small action set is made with avdata (48 x 48 frames) and a tiny C3D
(conv1 width 4, fc 32, 16 x 32 x 32 clips) is trained on it. Checked:
  * the run prints one result line per epoch and writes the model, the
    checkpoint (last, optimizer state, history) and the class names;
  * learning works end to end: 16 clips are fitted to >= 90% train top-1
    (chance is 1/12; wrong gradients or a broken input path cannot do this);
  * resuming is exact: 1 epoch, then --resume to 3, gives the same weights as
    3 epochs in one run (constant schedule; same seed); --cache too; the
    resumed run takes --batch, --lr, --schedule... from the checkpoint and
    refuses explicit values that contradict it;
  * output locations (--out's folder, --checkpoints) are checked before training;
  * a set without meta.json is refused by avtrain and aveval;
  * the cost estimate line, progress lines with the time left off a terminal,
    and one warning before a run of hours;
  * aveval action's top-1, top-5, loss and confusion matrix equal what this
    script computes from the per-clip logits it writes with --predictions;
  * avact classify names the classes from the trained model;
  * bad input: one line on stderr, non-zero exit, inputs untouched, no model
    written by a run that fails before training."""
import json
import math
import os
import re
import shutil
import subprocess
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
check(meta.get("fps") == "8", f"the model records the rate it was trained at, the set's 8 fps ({meta.get('fps')})")
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
# the batch size, rate, schedule and the rest come from the checkpoint: only more epochs are asked for
# (allowed with a constant rate: the first steps do not depend on the number of epochs)
r3 = run(AVTRAIN, "action", "--manifest", train_m, "--out", split, "--resume", "--epochs", "3", "--val", "none",
         "-q", "-t", "2")
check(r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0 and "epoch   2/3" in r3.stdout
      and "epoch   1/3" not in r3.stdout, f"resume goes on at epoch 2: {r3.stdout.strip()!r} {r3.stderr.strip()!r}")
a, _ = st.load(os.path.join(OUT, "straight.ckpt", "last.safetensors"))
b, _ = st.load(os.path.join(OUT, "split.ckpt", "last.safetensors"))
worst = max(float(abs(a[k] - b[k]).max()) for k in a)
check(a.keys() == b.keys() and worst == 0.0,
      f"resumed without repeating --batch/--lr/--schedule, weights equal uninterrupted ones (max difference {worst:g})")
# an explicit option that contradicts the checkpoint is refused, naming both values
bad("resume with another --lr", train(train_m, split, "--resume", "--lr", "1e-2", "--val", "none"),
    "--lr 0.01 contradicts the checkpoint's 0.003", 2)
bad("resume with another --batch", train(train_m, split, "--resume", "--batch", "8", "--lr", "3e-3"),
    "--batch 8 contradicts the checkpoint's 4", 2)
bad("resume with another --optimizer", train(train_m, split, "--resume", "--optimizer", "sgd"),
    "--optimizer sgd contradicts the checkpoint's adamw", 2)
# more epochs extend a run; under a cosine schedule a warning says that the rate changes
r = train(train_m, model, "--resume", epochs=4)
check(r.returncode == 0 and "epoch   4/4" in r.stdout and
      "warning: --epochs 4 instead of the checkpoint's 3: the cosine schedule" in r.stderr,
      f"resume with more --epochs under a cosine schedule: one epoch more, a warning ({r.stderr.strip()!r})")

# every output location is checked before any training
nowhere = os.path.join(OUT, "no_such_folder", "m.safetensors")
bad("--out in a missing folder", train(train_m, nowhere, "--val", "none"), "no_such_folder", 1)
check(not os.path.exists(os.path.join(OUT, "no_such_folder")), "nothing made for a missing --out folder")
afile = os.path.join(OUT, "a_file")
with open(afile, "w") as f:
    f.write("x")
ghost_out = os.path.join(OUT, "ghost2.safetensors")
bad("--checkpoints under a file", train(train_m, ghost_out, "--val", "none", "--checkpoints", os.path.join(afile, "ck")),
    "not a folder", 1)
bad("--out is a folder", train(train_m, data, "--val", "none", "--checkpoints", os.path.join(OUT, "dir.ckpt")),
    "is a folder", 1)
check(not os.path.exists(ghost_out) and not os.path.exists(os.path.join(OUT, "dir.ckpt")),
      "no model or checkpoint written by runs refused for their outputs")

# a set without meta.json (an interrupted avdata synth) is not a data set: refused by avtrain and aveval
nometa = os.path.join(OUT, "nometa")
shutil.copytree(data, nometa)
os.remove(os.path.join(nometa, "meta.json"))
bad("avtrain on a set without meta.json", train(os.path.join(nometa, "train.jsonl"), ghost_out), "meta.json", 1)
bad("aveval on a set without meta.json", run(AVEVAL, "action", "-m", model, os.path.join(nometa, "test.jsonl")),
    "meta.json", 1)

# ---- the cost estimate and progress off a terminal ----
r = run(AVTRAIN, "action", "--manifest", train_m, "--arch", "c3d", "--hparams", TINY, "--epochs", "1", "--batch", "4",
        "--val", "none", "--out", os.path.join(OUT, "talk.safetensors"), "-t", "2")
check(r.returncode == 0 and re.search(r"^estimate: about .* per epoch, .* for 1 epoch, [0-9.]+ GB of memory$", r.stderr, re.M)
      and re.search(r"^epoch 1/1: \d+% \(\d+/32, [0-9.]+s, about \d+s left\)$", r.stderr, re.M),
      f"the estimate, and progress lines with the time left when stderr is not a terminal ({r.stderr.strip()!r})")
# a run of hours: one warning line before training (c3d at full size, the most epochs; stopped once warned)
p = subprocess.Popen([AVTRAIN, "action", "--manifest", train_m, "--arch", "c3d", "--epochs", "10000", "--val", "none",
                      "--out", os.path.join(OUT, "long.safetensors"), "-t", "2"], stderr=subprocess.PIPE, text=True)
seen = []
for line in p.stderr:
    seen.append(line.rstrip())
    if "warning" in line or line.startswith("epoch"):
        break
p.terminate()
p.wait()
warned = [l for l in seen if "warning" in l]
check(len(warned) == 1 and re.search(r"this run will take about [0-9.]+ h .* and [0-9.]+ GB of memory", warned[0]),
      f"a run of hours is announced by one warning ({seen!r})")
check(not os.path.exists(os.path.join(OUT, "long.safetensors")), "the stopped run wrote no model")

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

# ---- --precision bf16 (mixed precision, where the CPU has AVX-512): trains, not as fp32, kept on --resume ----
half = os.path.join(OUT, "half.safetensors")
r = train(train_m, half, "--schedule", "constant", "--val", "none", "--precision", "bf16", epochs=2)
if r.returncode != 0 and "AVX-512" in r.stderr:
    print(f"skip --precision bf16: {r.stderr.strip()}")
else:
    a, _ = st.load(half) if r.returncode == 0 else ({}, None)
    worst = max((float(abs(a[k] - b[k]).max()) for k in a), default=0.0)
    check(r.returncode == 0 and worst > 0, f"--precision bf16 trains, to other weights than fp32 (max difference "
          f"{worst:g}; {r.stderr.strip()[-200:]!r})")
    bad("resume with another --precision", train(train_m, half, "--resume", "--precision", "fp32", epochs=2),
        "--precision fp32 contradicts the checkpoint's bf16", 2)

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
bad("--precision fp16", train(train_m, ghost, "--precision", "fp16"), "--precision", 2)
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
