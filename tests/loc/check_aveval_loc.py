"""`aveval loc` end to end on a tiny music set, and bad input.
Usage: check_aveval_loc.py AVDATA AVEVAL OUT_DIR SEP_MODEL MAKE_MODEL

A 12-clip music set (avdata synth --seed 3, seconds to make). Checked:
  * --baselines-only --json: the fields (model null, clips, ap50/auc/ciou null,
    baselines.whole_frame / centre_gaussian with ap50, auc, ciou, silent,
    silent null, per_clip with id, ciou, silent_share); per clip, both
    baselines' cIoU equal numpy's from the manifest's boxes of the middle frame
    (frame frames // 2; the whole frame: sum(g) / (w h); the centre Gaussian:
    sigma a quarter of each side, binarised at np.sort(...)[int(h w / 2)]);
    AP50, AUC (sklearn.metrics.auc's trapezoids over 0.05 i) and the mean from
    those cIoUs; the whole frame's silent share, the silent boxes' share of the
    area, on the clips with a silent object in view;
  * the text report names both baselines and the clip count;
  * a tiny EZ-VSL and a tiny LVS at random weights (MAKE_MODEL, tests/loc/make_model.c):
    -m MODEL --json scores every clip, each cIoU in [0, 1], the model's silent
    share exactly on the clips with a silent object in view, the baselines as
    without a model; --clips 3 scores three; the text report has the model row;
  * bad input, one line on stderr and a non-zero exit: a missing manifest, an
    actions set (no audio), a set without boxes, a separation model as -m
    (SEP_MODEL: "not a localization model"), -m with --baselines-only and no
    manifest (usage, exit 2)."""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, failures, run  # noqa: E402

AVDATA, AVEVAL, OUT, SEP_MODEL, MAKE_MODEL = sys.argv[1:6]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
music = os.path.join(OUT, "music")
r = run(AVDATA, "synth", "--kind", "music", "--count", "12", "--seed", "3", "--out", music, "-q")
check(r.returncode == 0, f"avdata music set: {r.stderr.strip()}")
manifest = os.path.join(music, "train.jsonl")
clips = [json.loads(l) for l in open(manifest)]


def union(boxes, w, h):
    g = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in boxes:
        g[max(y0, 0):max(min(y1, h), 0), max(x0, 0):max(min(x1, w), 0)] = 1
    return g


def ciou(pred, g):
    thr = np.sort(pred.flatten())[int(pred.size / 2)]
    p = (pred > thr).astype(np.int64)
    return np.sum(p * g) / (np.sum(g) + np.sum(p * (g == 0)))


def gaussian(w, h):
    x = (np.arange(w) + 0.5 - w / 2.0) / (w / 4.0)
    y = (np.arange(h) + 0.5 - h / 2.0) / (h / 4.0)
    v = np.exp(-0.5 * (x[None, :] ** 2 + y[:, None] ** 2))
    return ((v - v.min()) / (v.max() - v.min())).astype(np.float32)


def summary(c):
    c = np.asarray(c)
    x = [0.05 * i for i in range(21)]
    return float(np.mean(c >= 0.5)), float(np.trapz([np.mean(c >= t) for t in x], x)), float(np.mean(c))


# The baselines, again from the manifest.
want = {}
for c in clips:
    w, h, f = c["width"], c["height"], c["frames"] // 2
    g = union([o["boxes"][f] for o in c["objects"] if o.get("sounding", True)], w, h)
    sil = union([o["boxes"][f] for o in c["objects"] if not o.get("sounding", True)], w, h)
    share = np.sum(sil) / (np.sum(sil) + np.sum(g)) if sil.any() else None
    want[c["id"]] = (np.sum(g) / (w * h), ciou(gaussian(w, h), g), share)

r = run(AVEVAL, "loc", "--baselines-only", manifest, "--json", "-q")
ok = r.returncode == 0
res = json.loads(r.stdout) if ok else {}
check(ok and r.stderr == "", f"--baselines-only --json runs quietly: {r.stderr.strip()[-300:]!r}")
base = res.get("baselines", {})
fields = all(k in res for k in ("model", "clips", "ap50", "auc", "ciou", "baselines", "silent", "per_clip")) and all(
    all(k in base.get(b, {}) for k in ("ap50", "auc", "ciou", "silent")) for b in ("whole_frame", "centre_gaussian"))
check(fields and res["model"] is None and res["silent"] is None and res["ap50"] is None,
      f"JSON fields; no model figures without a model: {sorted(res)}")
per = res.get("per_clip", [])
check(res.get("clips") == len(clips) == len(per) and [p["id"] for p in per] == [c["id"] for c in clips] and
      all(set(p) >= {"id", "ciou", "silent_share"} and p["ciou"] is None for p in per),
      f"one per_clip entry per clip, in the manifest's order ({len(per)} of {len(clips)})")
close = lambda a, b, tol=1e-9: a is not None and abs(a - b) <= tol  # noqa: E731
check(per and all(close(p["whole_frame"], want[p["id"]][0]) for p in per),
      "whole frame per clip: the sounding boxes' share of the middle frame (numpy)")
check(per and all(close(p["centre_gaussian"], want[p["id"]][1]) for p in per),
      "centre Gaussian per clip: numpy's cIoU at the median threshold")
for key, k in (("whole_frame", 0), ("centre_gaussian", 1)):
    ap50, auc, mean = summary([want[c["id"]][k] for c in clips])
    b = base.get(key, {})
    check(close(b.get("ap50"), ap50) and close(b.get("auc"), auc) and close(b.get("ciou"), mean),
          f"{key}: AP50 {b.get('ap50')} AUC {b.get('auc')} cIoU {b.get('ciou')} (numpy {ap50}, {auc:.6f}, {mean:.6f})")
shares = [want[c["id"]][2] for c in clips if want[c["id"]][2] is not None]
ws = base.get("whole_frame", {}).get("silent", {})
check(len(shares) > 0 and ws.get("clips") == len(shares) and close(ws.get("mean_share"), float(np.mean(shares))) and
      close(ws.get("within_10pct"), float(np.mean(np.array(shares) <= 0.1))),
      f"whole frame's silent share = the silent boxes' share of the area ({ws}, {len(shares)} clips with one)")

r = run(AVEVAL, "loc", "--baselines-only", manifest)
check(r.returncode == 0 and "whole frame" in r.stdout and "centre Gaussian" in r.stdout and
      f"{len(clips)} clips" in r.stdout, f"text report: {r.stdout.strip()[-300:]!r}")

# Tiny localizers at random weights: what is checked is the scoring around them, not their maps.
for arch, hp in (("ezvsl", "width=4,audio_width=4,dim=8,size=64"), ("lvs", "width=4,audio_width=4,size=64")):
    model = os.path.join(OUT, f"{arch}.safetensors")
    r = run(MAKE_MODEL, arch, hp, "1", model)
    check(r.returncode == 0, f"a tiny {arch} model: {r.stderr.strip()}")
    r = run(AVEVAL, "loc", "-m", model, manifest, "--json", "-q", "-t", "2")
    res = json.loads(r.stdout) if r.returncode == 0 else {}
    per = res.get("per_clip", [])
    check(r.returncode == 0 and res.get("model") == model and len(per) == len(clips) and
          all(p["ciou"] is not None and 0 <= p["ciou"] <= 1 for p in per) and
          all(res[k] is not None and 0 <= res[k] <= 1 for k in ("ap50", "auc", "ciou")),
          f"{arch}: every clip scored, figures in [0, 1]: {r.stderr.strip()[-300:]!r}")
    check((res.get("silent") or {}).get("clips") == len(shares) and
          all((p["silent_share"] is None) == (want[p["id"]][2] is None) for p in per),
          f"{arch}: a silent share exactly on the clips with a silent object in view")
    check(res.get("baselines") == base, f"{arch}: the baselines as without a model")
    if arch == "ezvsl":
        r = run(AVEVAL, "loc", "-m", model, manifest, "--json", "-q", "--clips", "3")
        check(r.returncode == 0 and json.loads(r.stdout)["clips"] == 3, "--clips 3 scores three clips")
        r = run(AVEVAL, "loc", "-m", model, manifest, "-q")
        check(r.returncode == 0 and "\nmodel " in r.stdout and r.stdout.count("cIoU ") >= len(clips),
              f"text report: a line per clip and the model's row: {r.stdout.strip()[-200:]!r}")

# Bad input.
bad("missing manifest", run(AVEVAL, "loc", "--baselines-only", os.path.join(OUT, "none.jsonl")), "none.jsonl")
actions = os.path.join(OUT, "actions")
r = run(AVDATA, "synth", "--kind", "actions", "--count", "3", "--seed", "3", "--out", actions, "-q")
check(r.returncode == 0, f"avdata actions set: {r.stderr.strip()}")
bad("actions set (no audio)", run(AVEVAL, "loc", "--baselines-only", os.path.join(actions, "train.jsonl")),
    "no audio")
noboxes = os.path.join(music, "noboxes.jsonl")
with open(noboxes, "w") as f:
    for c in clips:
        for o in c["objects"]:
            o.pop("boxes", None)
        f.write(json.dumps(c) + "\n")
bad("a set without boxes", run(AVEVAL, "loc", "--baselines-only", noboxes), "no boxes")
bad("a separation model", run(AVEVAL, "loc", "-m", SEP_MODEL, manifest), "not a localization model")
bad("-m with --baselines-only", run(AVEVAL, "loc", "-m", SEP_MODEL, "--baselines-only", manifest),
    "--baselines-only", 2)
bad("no manifest", run(AVEVAL, "loc", "--baselines-only"), "missing input", 2)

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
