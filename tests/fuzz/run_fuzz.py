#!/usr/bin/env python3
"""Runs every app over the broken-input corpus of gen_corpus.py and checks each run:

  * no sanitizer report (AddressSanitizer, LeakSanitizer, UBSan "runtime error:");
  * no hang (--timeout seconds per run) and no death by a signal;
  * exit 0 with a sane result (stdout not empty, --json output strict JSON, no NaN or
    infinity printed, at most a few distinct warning lines), or exit 1/2 with exactly one
    line on stderr naming the app (exit 2: that line and the "Try 'app --help'" hint);
  * the inputs untouched (same bytes after the run); a failed run leaves no output behind.

    run_fuzz.py --bin BUILD/bin --corpus DIR --source SRC [--seed N] [--count N]
                [--timeout S] [--jobs N] [--work DIR]

--count runs at most N cases, a seeded sample spread over every (app, input kind) pair
(0: all of them). Prints one line per failing run and a summary; exits 1 on any failure.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|"
                       r"ThreadSanitizer|MemorySanitizer")
NONFINITE = re.compile(r"(?<![A-Za-z_])-?(nan|inf|infinity)(?![A-Za-z_])", re.I)
# Tiny architectures: avtrain runs 1 epoch in seconds even under ASan.
TINY_ACTION = ["--arch", "c3d", "--hparams", "channels=4,fc_dim=32,dropout=0,height=32,width=32"]
TINY_LOC = ["--arch", "senocak", "--hparams", "width=4,audio_width=4,size=64,samples=16000"]
TINY_SEP = ["--arch", "sop", "--hparams", "ngf=4,num_downs=5,channels=4,frame_width=4,frames=1,height=32,width=32"]


def cases(idx, corpus, src):
    """Every (group, app, argv, inputs, expect_ok) the corpus gives. argv names {work} for
    outputs; group is what the sample is spread over."""
    p = lambda rel: os.path.join(corpus, rel)
    samples = os.path.join(src, "data/samples")
    good_wav = p("media/seed.wav")
    action_clip = p("media/seed_action.mp4")
    music_clip = p("media/seed_music.mp4")
    out = []

    def add(group, app, args, inputs, expect_ok=False):
        out.append((group, app, args, inputs, expect_ok))

    for f in map(p, idx["media"]):
        seed = os.path.basename(f).startswith("seed")
        add("media/avinfo", "avinfo", ["--json", f], [f], seed and not f.endswith((".wav", ".mp3", ".png")))
        add("media/avinfo-c", "avinfo", ["-c", f], [f])
        add("media/avinfo-still", "avinfo", ["--still", "0.5", "-o", "{work}/still.png", f], [f])
        add("media/avact", "avact", ["classify", "-c", "1", "--json", f], [f])
        add("media/avsep", "avsep", ["separate", f, "--out", "{work}/sep"], [f])
        add("media/avsep-cosep", "avsep", ["coseparate", music_clip, f, "-m",
                                           os.path.join(src, "data/models/sep.safetensors"), "--out", "{work}/cos"], [f])
        add("media/avloc", "avloc", ["heatmap", f, "--json", "--fps", "2"], [f])
        add("media/aveval-sep", "aveval", ["sep", "--ref", f, "--est", good_wav], [f])
    for f in map(p, idx["wav"]):
        add("wav/aveval-sep", "aveval", ["sep", "--ref", f, "--est", good_wav, "--json"], [f])
        add("wav/aveval-sep-est", "aveval", ["sep", "--ref", good_wav, f, "--est", f, good_wav], [f])
        add("wav/avinfo", "avinfo", [f], [f])
    for f in map(p, idx["models"]["action"]):
        add("model/avact", "avact", ["classify", "-m", f, "-c", "1", action_clip], [f])
        add("model/avact-info", "avact", ["info", "-m", f], [f])
        add("model/aveval-action", "aveval", ["action", "-m", f, os.path.join(samples, "actions/test.jsonl")], [f])
    for f in map(p, idx["models"]["sep"]):
        add("model/avsep", "avsep", ["separate", "-m", f, music_clip, "--out", "{work}/sep"], [f])
        add("model/avsep-cosep", "avsep", ["coseparate", "-m", f, music_clip, music_clip, "--out", "{work}/cos"], [f])
        add("model/aveval-sep", "aveval", ["sep", "-m", f, os.path.join(samples, "music/test.jsonl")], [f])
    for f in map(p, idx["models"]["loc"]):
        add("model/avloc", "avloc", ["heatmap", "-m", f, music_clip, "--fps", "2"], [f])
        add("model/aveval-loc", "aveval", ["loc", "-m", f, os.path.join(samples, "music/test.jsonl")], [f])
    for d in map(p, idx["sets"]["actions"]):
        ok = d.endswith("_ok")
        add("set/avdata-check", "avdata", ["check", d], [d], ok)
        add("set/aveval-action", "aveval", ["action", os.path.join(d, "test.jsonl")], [d], ok)
        add("set/avtrain-action", "avtrain", ["action", "--manifest", os.path.join(d, "train.jsonl"), *TINY_ACTION,
                                              "--epochs", "1", "--batch", "2", "--out", "{work}/m.safetensors"], [d], ok)
    for d in map(p, idx["sets"]["music"]):
        ok = d.endswith("_ok")
        add("set/avdata-check", "avdata", ["check", d], [d], ok)
        add("set/aveval-loc", "aveval", ["loc", "--baselines-only", os.path.join(d, "test.jsonl")], [d], ok)
        add("set/aveval-sep", "aveval", ["sep", "-m", os.path.join(src, "data/models/sep.safetensors"),
                                         os.path.join(d, "test.jsonl")], [d], ok)
        add("set/avtrain-loc", "avtrain", ["loc", "--manifest", os.path.join(d, "train.jsonl"), *TINY_LOC,
                                           "--epochs", "1", "--batch", "2", "--val", "none",
                                           "--out", "{work}/m.safetensors"], [d], ok)
        add("set/avtrain-sep", "avtrain", ["sep", "--manifest", os.path.join(d, "train.jsonl"), *TINY_SEP,
                                           "--epochs", "1", "--batch", "1", "--val", "none",
                                           "--out", "{work}/m.safetensors"], [d], ok)
    for args in option_cases(p, samples):
        add("options/" + args[0], args[0], args[1:], [])
    return out


def option_cases(p, samples):
    """Bad option values (NaN, infinities, huge, empty) the campaign of issue 15 found: each must
    be refused in one line (exit 2) or, where the value is legal, run or fail cleanly."""
    clip, wav = p("media/seed_action.mp4"), p("media/seed.wav")
    actions, music = os.path.join(samples, "actions/train.jsonl"), os.path.join(samples, "music/test.jsonl")
    train = ["avtrain", "action", "--manifest", actions, *TINY_ACTION, "--epochs", "1", "--batch", "2",
             "--out", "{work}/m.safetensors"]
    cases = [["avinfo", "--still", v, "-o", "{work}/s.png", clip] for v in ("nan", "inf", "-5", "1e300")]
    cases += [["avact", "classify", opt, v, clip] for opt in ("--fps", "--clips", "--topk")
              for v in ("nan", "-1", "2147483648", "1e309")]
    cases += [["avdata", "synth", "--kind", "actions", "--count", "2", "--out", "{work}/set", opt, v]
              for opt in ("--val", "--test", "--seconds", "--distractors", "--fps", "--width")
              for v in ("nan", "-inf", "2147483647")]
    cases += [train + [opt, v] for opt in ("--momentum", "--clip", "--lr", "--weight-decay")
              for v in ("nan", "inf")]
    cases += [train + ["--checkpoints", ""], train + ["--out", ""], train + ["--lr-scale", "x=nan"]]
    cases += [["avtrain", "action", "--manifest", actions, "--arch", a, "--hparams", h, "--epochs", "1",
               "--out", "{work}/m.safetensors"]
              for a in ("c3d", "two_stream", "late_fusion")
              for h in ("frames=2147483647", "height=2147483647,width=2147483647", "classes=2147483647", "channels=0")]
    cases += [["avloc", "heatmap", clip, opt, v] for opt in ("--fps", "--alpha", "--every", "--batch")
              for v in ("nan", "0", "-1", "1e300")]
    cases += [["avsep", "separate", clip, "--out", "{work}/o", opt, v]
              for opt, v in (("--point", "nan,nan"), ("--box", "1,2,3"), ("--box", "9,9,1,1"), ("--sources", "999"),
                             ("--masks", ""), ("--masks", "Compete"))]
    cases += [["avsep", "coseparate", clip, clip, "--out", "{work}/o", opt, v]
              for opt, v in (("--sources", "0"), ("--sources", "999"), ("-m", ""))]
    cases += [["aveval", "sep", "--ref", wav, "--est", wav, "--mix", p("wav/zero_bytes.wav")],
              ["aveval", "loc", "--baselines-only", music, "--threshold", "nan"],
              ["aveval", "action", actions, "--batch", "0"]]
    return cases


def sample(all_cases, count, seed):
    """Up to count cases, round-robin over the groups so every app and input kind is run."""
    rng = random.Random(seed)
    groups = {}
    for c in all_cases:
        groups.setdefault(c[0], []).append(c)
    for g in groups.values():
        rng.shuffle(g)
    if count <= 0:
        return all_cases
    chosen, names = [], sorted(groups)
    while len(chosen) < count and any(groups.values()):
        for g in names:
            if groups[g] and len(chosen) < count:
                chosen.append(groups[g].pop())
    return chosen


def digest(path):
    h = hashlib.sha256()
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for n in sorted(files):
                h.update(os.path.relpath(os.path.join(root, n), path).encode())
                h.update(digest(os.path.join(root, n)).encode())
        return h.hexdigest()
    if not os.path.isfile(path):
        return "-"
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def judge(app, args, r, work, expect_ok):
    """What is wrong with one finished run (None: nothing)."""
    err = [l for l in r.stderr.splitlines() if l.strip()]
    if SANITIZER.search(r.stderr):
        i = next(k for k, l in enumerate(err) if SANITIZER.search(l))
        return "sanitizer report: " + " | ".join(err[i:i + 6])
    if r.returncode < 0 or r.returncode > 2:
        return f"exit {r.returncode}: {' | '.join(err[-4:])}"
    if expect_ok and r.returncode:
        return f"a valid input failed: exit {r.returncode}: {' | '.join(err)}"
    if r.returncode == 1 and app == "avdata" and args[0] == "check" and not err:
        # documented: one stdout line per problem, then "N clips checked, M problems"
        last = r.stdout.strip().splitlines()[-1:] or [""]
        return None if re.fullmatch(r"\d+ clips? checked, \d+ problems?", last[0]) else \
            f"avdata check failed without its summary: {last[0]!r}"
    if r.returncode:
        hint = [f"Try '{app} --help' for more information."]
        if not err or (err[1:] and not (r.returncode == 2 and err[1:] == hint)):
            return f"exit {r.returncode} with {len(err)} stderr lines: {' | '.join(err[:6])}"
        if not err[0].startswith(app + ":"):
            return f"error line does not name {app}: {err[0]!r}"
        if os.path.exists(work) and os.listdir(work):
            return f"failed run left {sorted(os.listdir(work))}"
        return None
    if not r.stdout.strip() and not os.listdir(work):
        return "exit 0 without a result"
    bad = [m.group(0) for m in NONFINITE.finditer(r.stdout)]
    if app == "aveval" and args[0] == "sep":
        bad = [b for b in bad if "nan" in b.lower()]  # a perfect estimate scores +inf dB (as mir_eval)
    if bad:
        return "non-finite number in the result: " + bad[0]
    if "--json" in args:
        try:
            json.loads(r.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as e:
            return f"--json output is not strict JSON: {e}"
    if len(err) > 4 or len(set(err)) != len(err):
        return f"exit 0 with {len(err)} stderr lines: {' | '.join(err[:6])}"
    return None


def run_one(i, case, bindir, workroot, timeout):
    group, app, args, inputs, expect_ok = case
    work = os.path.join(workroot, f"{i:04d}")
    os.makedirs(work, exist_ok=True)
    argv = [os.path.join(bindir, app)] + [a.replace("{work}", work) for a in args] + ["-t", "1", "-q"]
    before = [digest(f) for f in inputs]
    env = dict(os.environ, OMP_WAIT_POLICY="passive", OMP_NUM_THREADS="1")
    rc = "timeout"
    try:
        r = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout, env=env)
        rc = r.returncode
        why = judge(app, args, r, work, expect_ok)
    except subprocess.TimeoutExpired:
        why = f"no answer within {timeout} s (hang?)"
    if why is None and [digest(f) for f in inputs] != before:
        why = "an input was changed"
    shutil.rmtree(work, ignore_errors=True)
    shown = " ".join(os.path.relpath(a) if os.path.isabs(a) else a for a in argv[1:])
    return why, rc, f"{app} {shown}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=0, help="runs at most (0: every case)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default=None, help="scratch folder (default CORPUS/work)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    a = ap.parse_args()
    with open(os.path.join(a.corpus, "index.json")) as f:
        idx = json.load(f)
    chosen = sample(cases(idx, a.corpus, a.source), a.count, a.seed)
    workroot = a.work or os.path.join(a.corpus, "work")
    shutil.rmtree(workroot, ignore_errors=True)
    failures, exits = 0, {}
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futs = [pool.submit(run_one, i, c, a.bin, workroot, a.timeout) for i, c in enumerate(chosen)]
        for fut in futs:
            why, rc, what = fut.result()
            exits[rc] = exits.get(rc, 0) + 1
            if why:
                failures += 1
                print(f"FAIL {what}: {why}", flush=True)
            elif a.verbose:
                print(f"ok   exit {rc} {what}", flush=True)
    groups = len({c[0] for c in chosen})
    codes = ", ".join(f"{n} exit {k}" for k, n in sorted(exits.items(), key=str))
    print(f"run_fuzz: {len(chosen)} runs over {groups} app/input groups ({codes}), {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
