"""`avact classify` end to end and on bad input, the shipped label lists and
avact's verb dispatch. The classify runs need the ffmpeg CLI for test videos
(the test set-up installs it; without it the test fails after the checks that
need none).
Usage: check_classify.py AVACT OUT_DIR.

Models are small C3Ds (conv1 width 4, fc 16, 16 x 32 x 32 clips) with random
weights written here with numpy: their table is C3D's (see video/models/c3d.c),
so a wrong name or shape in this script fails the load, not silently.
Each bad input must exit non-zero with exactly one line on stderr."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
import st  # noqa: E402

AVACT, OUT = sys.argv[1], sys.argv[2]
LABELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "labels")
failures = []


def check(cond, what):
    print(f"{'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        failures.append(what)


def c3d_model(path, classes, arch="c3d", **extra_meta):
    rng = np.random.default_rng(classes)
    c, t = 4, {}
    widths = [("conv1", 3, c), ("conv2", c, 2 * c), ("conv3a", 2 * c, 4 * c), ("conv3b", 4 * c, 4 * c),
              ("conv4a", 4 * c, 8 * c), ("conv4b", 8 * c, 8 * c), ("conv5a", 8 * c, 8 * c), ("conv5b", 8 * c, 8 * c)]
    for name, i, o in widths:
        t[f"{name}.weight"] = rng.normal(0, (2 / (i * 27)) ** 0.5, (o, i, 3, 3, 3))
        t[f"{name}.bias"] = np.zeros(o)
    flat = 8 * c * 1 * 2 * 2  # pool5 of a 16x32x32 clip: 1 x 2 x 2
    for name, i, o in (("fc6", flat, 16), ("fc7", 16, 16), ("fc8", 16, classes)):
        t[f"{name}.weight"] = rng.normal(0, (1 / i) ** 0.5, (o, i))
        t[f"{name}.bias"] = rng.normal(0, 0.1, o)
    meta = {"avs.arch": arch, "avs.version": "0", "classes": classes, "frames": 16, "height": 32, "width": 32,
            "channels": c, "fc_dim": 16, **extra_meta}
    st.save(path, t, meta)


def run(*args, verb=("classify",)):
    return subprocess.run([AVACT, *verb, *args], capture_output=True, text=True)


def bad(what, r, needle):
    lines = r.stderr.strip().splitlines()
    check(r.returncode != 0 and len(lines) == 1 and needle in r.stderr,
          f"{what}: exit {r.returncode}, stderr {r.stderr.strip()!r}")


def shipped(name):
    with open(os.path.join(LABELS, name + ".txt")) as f:
        return f.read().splitlines()


def check_lists_and_verbs():
    ucf = shipped("ucf101")
    check(len(ucf) == 101 and len(set(ucf)) == 101 and all(n and n == n.strip() for n in ucf)
          and ucf[:3] == ["ApplyEyeMakeup", "ApplyLipstick", "Archery"] and ucf[36] == "HandstandPushups"
          and ucf[-3:] == ["WallPushups", "WritingOnBoard", "YoYo"],
          f"ucf101.txt: 101 unique names in classInd.txt order: {len(ucf)}, {ucf[:1]} ... {ucf[-1:]}")
    kin = shipped("kinetics400")
    check(len(kin) == 400 and len(set(kin)) == 400 and all(kin), "kinetics400.txt: 400 unique names")
    r = run("--help", verb=())
    check(r.returncode == 0 and all(f"\n  {v} " in r.stdout for v in ("classify", "info")),
          f"avact --help lists the verbs: exit {r.returncode}")
    r = run(verb=("nope",))
    check(r.returncode == 2 and "unknown verb 'nope'" in r.stderr, f"unknown verb: exit {r.returncode}")
    r = run(verb=())
    check(r.returncode == 2 and "missing verb" in r.stderr, f"no verb: exit {r.returncode}")


def check_sampling_rate(p, ff):
    """The model's "fps" metadata (its training rate) is the default sampling
    rate: the same motion at 25 and 50 fps gives the same frames, so the same
    scores; --fps overrides; a model without it samples at the video's rate
    and says so with -v; a malformed one is refused on load."""
    for rate in (25, 50):  # lossless, so both hold the very same pictures at the sampled times
        subprocess.run(ff + [f"testsrc=size=96x64:rate={rate}", "-t", "4", "-c:v", "ffv1", p(f"r{rate}.mkv")],
                       check=True)
    c3d_model(p("c3d5fps.safetensors"), 5, fps="5")
    res = {}
    for rate in (25, 50):
        r = run(p(f"r{rate}.mkv"), "-m", p("c3d5fps.safetensors"), "-c", "2", "--json", "-k", "5")
        res[rate] = json.loads(r.stdout) if r.returncode == 0 else {}
    a, b = res[25], res[50]
    same = a and b and [t["index"] for t in a["top"]] == [t["index"] for t in b["top"]] and all(
        abs(x["score"] - y["score"]) < 1e-5 for x, y in zip(a["top"], b["top"]))
    check(a.get("fps") == 5 and b.get("fps") == 5 and same,
          f"a model trained at 5 fps samples 25 and 50 fps videos at 5 fps, same scores: {a.get('fps')}, "
          f"{b.get('fps')}, {a.get('top', [])[:2]} vs {b.get('top', [])[:2]}")
    r = run(p("r50.mkv"), "-m", p("c3d5fps.safetensors"), "--fps", "10", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["fps"] == 10, f"--fps overrides the model's rate: {r.stdout[:80]!r}")
    r = run(p("r25.mkv"), "-m", p("c3d5.safetensors"), "--json", "-v")
    check(r.returncode == 0 and json.loads(r.stdout)["fps"] == 25 and "the model records no training rate" in r.stderr,
          f"a model without fps samples at the video's rate, -v says why: {r.stderr.strip()[-200:]!r}")
    c3d_model(p("c3dbadfps.safetensors"), 5, fps="fast")
    bad("model with a malformed fps", run(p("r25.mkv"), "-m", p("c3dbadfps.safetensors")),
        "metadata fps 'fast' is not a frame rate")


def check_segments(p):
    """--segments on a video shorter than one segment gives that one (shorter)
    segment; longer runs show progress on stderr (not with -q)."""
    r = run(p("short.mp4"), "-m", p("c3d5.safetensors"), "--segments", "--json", "-k", "1")
    segs = json.loads(r.stdout).get("segments", []) if r.returncode == 0 else []
    check(len(segs) == 1 and segs[0]["start"] == 0 and abs(segs[0]["end"] - 0.5) < 1e-6 and "error" not in r.stderr,
          f"--segments on a 5-frame video: one segment: exit {r.returncode} {segs} {r.stderr.strip()!r}")
    r = run(p("short.mp4"), "-m", p("c3d5.safetensors"), "--segments", "-k", "1")
    check(r.returncode == 0 and r.stdout.count("[") == 1 and "error" not in r.stderr,
          f"--segments on a 5-frame video, text: exit {r.returncode} {r.stdout!r}")
    r = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--segments", "-k", "1")
    check(r.returncode == 0 and "segments: 100% (2/2" in r.stderr, f"--segments shows progress: {r.stderr.strip()!r}")
    r = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--segments", "-k", "1", "-q")
    check(r.returncode == 0 and "segments:" not in r.stderr, f"-q: no progress: {r.stderr.strip()!r}")


def main():
    check_lists_and_verbs()
    if not shutil.which("ffmpeg"):
        print("FAIL no ffmpeg CLI to make the test videos (scripts/setup.sh --test installs it)")
        return 1
    os.makedirs(OUT, exist_ok=True)
    p = lambda name: os.path.join(OUT, name)  # noqa: E731
    ff = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i"]
    subprocess.run(ff + ["testsrc=size=96x64:rate=10", "-t", "3", "-pix_fmt", "yuv420p", p("long.mp4")], check=True)
    subprocess.run(ff + ["testsrc=size=96x64:rate=10", "-t", "0.5", "-pix_fmt", "yuv420p", p("short.mp4")], check=True)
    subprocess.run(ff + ["testsrc=size=96x64:rate=10", "-frames:v", "0", "-pix_fmt", "yuv420p", p("empty.mp4")],
                   check=True)
    c3d_model(p("c3d5.safetensors"), 5)
    c3d_model(p("c3d400.safetensors"), 400)
    c3d_model(p("c3d101.safetensors"), 101)
    c3d_model(p("other.safetensors"), 5, arch="sop_unet")
    names = ["jump", "run", "swim", "throw", "wave"]
    lists = {"five": names, "four": names[:4], "repeat": ["jump", "run", "swim", "run", "wave"],
             "blank": ["jump", "run", "", "throw", "wave"], "trailing": names + [""],
             "long": ["jump", "r" * 1023, "swim", "throw", "wave"]}
    for name, lines in lists.items():
        with open(p(name + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")

    r = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--labels", p("five.txt"), "--topk", "3", "--json")
    ok = r.returncode == 0
    out = json.loads(r.stdout) if ok else {}
    tops = out.get("top", [])
    check(ok and len(tops) == 3 and out["clips"] == 5 and all(t["label"] == names[t["index"]] for t in tops)
          and tops[0]["score"] >= tops[1]["score"] >= tops[2]["score"] and 0 < sum(t["score"] for t in tops) <= 1.0001,
          f"3 s video, 5 clips, top 3 with the given labels: exit {r.returncode} {r.stderr.strip()} {tops}")

    r = run(p("long.mp4"), "-m", p("c3d400.safetensors"), "-k", "2")
    kinetics = shipped("kinetics400")
    shown = [line.split(None, 1)[1] for line in r.stdout.splitlines()[1:]]
    check(r.returncode == 0 and len(shown) == 2 and all(s in kinetics for s in shown),
          f"a 400-class model is labelled with Kinetics-400 by default: {shown}")
    for model, spec, names_of in (("c3d101", None, "ucf101"), ("c3d400", "kinetics400", "kinetics400")):
        r = run(p("long.mp4"), "-m", p(model + ".safetensors"), "-c", "1", "-k", "3", "--json",
                *(("--labels", spec) if spec else ()))
        tops = json.loads(r.stdout)["top"] if r.returncode == 0 else []
        want = shipped(names_of)
        check(len(tops) == 3 and all(t["label"] == want[t["index"]] for t in tops),
              f"{model}, --labels {spec or '(none)'}: {names_of}.txt's names: exit {r.returncode} {r.stderr.strip()}"
              f" {tops}")

    r = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--segments", "--json", "-k", "1")
    segs = json.loads(r.stdout).get("segments", []) if r.returncode == 0 else []
    check(len(segs) == 2 and segs[0]["start"] == 0 and abs(segs[1]["start"] - 1.6) < 1e-6
          and abs(segs[1]["end"] - 3.0) < 1e-6, f"--segments: 30 frames in segments of 16: {segs}")

    r = run(p("short.mp4"), "-m", p("c3d5.safetensors"), "--json")
    check(r.returncode == 0 and "only 5 frames" in r.stderr and r.stderr.count("repeated") == 1
          and json.loads(r.stdout)["top"],
          f"a 5-frame video is padded with its last frame, one warning: {r.stderr.strip()!r}")

    # Several videos: each result under its name, an array with --json; a failing one does not stop the rest.
    one = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "-k", "2")
    r = run(p("long.mp4"), p("short.mp4"), "-m", p("c3d5.safetensors"), "-k", "2")
    blocks = r.stdout.split("\n" + p("short.mp4") + ": ")
    check(r.returncode == 0 and one.returncode == 0 and r.stdout.startswith(one.stdout) and len(blocks) == 2
          and len(blocks[1].splitlines()) == 3,
          f"two videos: the first's result as for one, then the second's under its name: exit {r.returncode}"
          f" {r.stdout!r}")
    r = run(p("long.mp4"), p("none.mp4"), p("short.mp4"), "-m", p("c3d5.safetensors"), "--json", "-k", "1")
    arr = json.loads(r.stdout) if r.stdout.strip() else None
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    check(r.returncode == 1 and isinstance(arr, list) and [a["video"] for a in arr] == [p("long.mp4"), p("short.mp4")]
          and all(a["top"] for a in arr) and len(errors) == 1 and "none.mp4" in errors[0],
          f"three videos, one missing, --json: an array of the two others, one error line, exit 1: exit"
          f" {r.returncode} {r.stderr.strip()!r}")

    bad("model of another architecture", run(p("long.mp4"), "-m", p("other.safetensors")),
        "unknown architecture 'sop_unet'")
    bad("missing labels file", run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--labels", p("none.txt")),
        "cannot open the labels file")
    bad("labels count differs from classes", run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--labels",
                                                 p("four.txt")), "4 names but the model has 5 classes")
    bad("a shipped list of another class count", run(p("long.mp4"), "-m", p("c3d400.safetensors"), "--labels",
                                                      "ucf101"), "101 names but the model has 400 classes")
    bad("unknown shipped list name", run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--labels", "ucf102"),
        "cannot open the labels file (ucf102); the shipped lists are kinetics400, ucf101")
    for name, needle in (("repeat", "line 4 of the labels file repeats 'run' of line 2"),
                         ("blank", "line 3 of the labels file is empty"),
                         ("trailing", "line 6 of the labels file is empty"),
                         ("long", "line 2 of the labels file is over 1022 characters")):
        bad(f"labels file: {name}", run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--labels", p(name + ".txt")),
            needle)
    # A damaged model is refused at load, not scored: NaN weights, a class-name list --labels would refuse.
    tensors, meta = st.load(p("c3d5.safetensors"))
    st.save(p("nan.safetensors"), {k: np.where(np.arange(v.size).reshape(v.shape) == 3, np.nan, v)
                                   if k == "fc8.bias" else v for k, v in tensors.items()}, meta)
    bad("a NaN weight", run(p("long.mp4"), "-m", p("nan.safetensors")), "tensor 'fc8.bias' holds NaN at element 3")
    for labels, needle in (("jump\nrun\njump\nthrow\nwave", "line 3 of the model's labels metadata repeats 'jump'"),
                           ("jump\nrun\n\nthrow\nwave", "line 3 of the model's labels metadata is empty")):
        st.save(p("named.safetensors"), tensors, dict(meta, labels=labels))
        bad(f"model labels {labels!r}", run(p("long.mp4"), "-m", p("named.safetensors")), needle)
    for key in ("frames", "height", "classes"):  # bounded as --hparams are
        st.save(p("huge.safetensors"), tensors, dict(meta, **{key: "2147483647"}))
        bad(f"model metadata {key}=2147483647", run(p("long.mp4"), "-m", p("huge.safetensors")),
            f"'{key}': 2147483647 is out of range")
    bad("video without frames", run(p("empty.mp4"), "-m", p("c3d5.safetensors")), "empty.mp4")
    bad("missing video", run(p("none.mp4"), "-m", p("c3d5.safetensors")), "none.mp4")
    bad("missing model file", run(p("long.mp4"), "-m", p("none.safetensors")), "model file not found")
    r = run(p("long.mp4"), "--topk")
    check(r.returncode == 2 and "needs a value" in r.stderr, f"option without value: exit {r.returncode}")
    r = run(p("long.mp4"), "-m", p("c3d5.safetensors"), "--fps", "nan")
    check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 2 and "finite" in r.stderr,
          f"--fps nan is a usage error: exit {r.returncode} {r.stderr.strip()!r}")
    check_sampling_rate(p, ff)
    check_segments(p)
    print(f"{'ok' if not failures else 'FAIL'}: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
