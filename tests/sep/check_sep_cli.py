"""Separation end to end: `avtrain sep`, `aveval sep -m`, `avsep separate`, and bad input.
Usage: check_sep_cli.py AVDATA AVTRAIN AVEVAL AVSEP OUT_DIR ACTION_MODEL.

A small music set (avdata, 16 clips) and a tiny Sound of Pixels (U-Net ngf 4,
ResNet-18 width 4, one 32 x 32 crop per source) trained for 2 epochs. Checked:
  * avtrain sep prints one result line per epoch with validation SDR and writes
    the model and its checkpoint; --resume after 1 epoch gives the same model as
    2 epochs at once (bit for bit); --compete (the loss on competing masks)
    trains other weights and a resume that contradicts it is refused; --backgrounds 1
    (background regions towards silence) trains other weights, 2 is refused;
  * aveval sep -m scores the natural mixtures, the mixed solos, the mixed pairs (and, without
    boxes, the discovered sources), and its
    per-source SDR agrees with `aveval sep --ref --est` (mir_eval's BSS Eval as
    the project implements it) on tracks avsep writes for the same clip;
  * avsep separate writes exactly one WAV per source at the soundtrack's rate,
    as long as the soundtrack, that add up to it (within 1e-3 of its peak),
    sources.json with boxes inside the frame and loudness, a heatmap PNG per
    source, and with --video an MP4 per source; --box and --point give one
    source each; --sources N gives N;
  * avsep coseparate of two clips writes mixture.wav (their sum over the
    shortest), video_K_source_J.wav at each video's rate as long as the
    mixture, heatmaps and sources.json with one entry per video; without -m the
    shipped co-separation model;
  * bad input: one line on stderr, non-zero exit, no output folder left, inputs
    untouched; a run stopped by SIGTERM while writing leaves no folder either."""
import json
import os
import shutil
import struct
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, digest, failures, run  # noqa: E402

AVDATA, AVTRAIN, AVEVAL, AVSEP, OUT, ACTION_MODEL = sys.argv[1:7]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
TINY = "ngf=4,num_downs=5,channels=4,frame_width=4,frames=1,height=32,width=32"
# with the NMF prior of the shipped model (12 instrument classes, tiny dictionaries)
XTINY = ("freq=64,time=64,ngf=4,down=2,frames=1,height=32,width=32,vwidth=4,dim=8,heads=2,mlp=8,mask_channels=4,"
         "nmf=12,nmf_components=4")


def read_wav(path):
    """Float32 or 16-bit mono WAV -> (rate, samples)."""
    with open(path, "rb") as f:
        data = f.read()
    fmt = data.find(b"fmt ")
    tag, ch, rate = struct.unpack("<HHI", data[fmt + 8:fmt + 16])
    bits = struct.unpack("<H", data[fmt + 22:fmt + 24])[0]
    pos = data.find(b"data")
    n = struct.unpack("<I", data[pos + 4:pos + 8])[0]
    raw = data[pos + 8:pos + 8 + n]
    if bits == 32:
        vals = struct.unpack(f"<{n // 4}f", raw)
    else:
        vals = [v / 32768 for v in struct.unpack(f"<{n // 2}h", raw)]
    return rate, vals[::ch]


shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
music = os.path.join(OUT, "music")
r = run(AVDATA, "synth", "--kind", "music", "--count", "16", "--seconds", "3", "--seed", "5", "--val", "0.25",
        "--test", "0.25", "--out", music, "-q")
check(r.returncode == 0, f"avdata music set: {r.stderr.strip()}")
train_m = os.path.join(music, "train.jsonl")
model = os.path.join(OUT, "sop.safetensors")


def train(out, *extra, epochs=2):
    return run(AVTRAIN, "sep", "--manifest", train_m, "--arch", "sop", "--hparams", TINY, "--epochs", str(epochs),
               "--batch", "2", "--lr", "1e-3", "--out", out, "-t", "2", *extra)


r = train(model)
lines = [l for l in r.stdout.splitlines() if l.startswith("epoch")]
check(r.returncode == 0 and len(lines) == 2 and all("val SDR" in l for l in lines),
      f"avtrain sep: one line per epoch with validation SDR: {r.stdout.strip()!r} {r.stderr.strip()[-300:]!r}")
ckpt = os.path.join(OUT, "sop.ckpt")
check(os.path.exists(model) and all(os.path.exists(os.path.join(ckpt, n))
                                     for n in ("last.safetensors", "optim.safetensors", "history.json")),
      "model and checkpoint written")

once = os.path.join(OUT, "once.safetensors")
r1 = train(once, "--checkpoints", os.path.join(OUT, "once.ckpt"), "--schedule", "constant", epochs=1)
r2 = train(once, "--checkpoints", os.path.join(OUT, "once.ckpt"), "--schedule", "constant", "--resume", epochs=2)
check(r1.returncode == 0 and r2.returncode == 0 and
      digest(os.path.join(OUT, "once.ckpt", "last.safetensors")) == digest(os.path.join(ckpt, "last.safetensors")),
      f"--resume after 1 epoch equals 2 epochs at once: {r2.stderr.strip()[-200:]!r}")

# Per-module learning rates: with the frame net's lr scaled to 0, its tensors stay
# at their (seeded) initial values whatever the rest's lr; the sound net moves.
def tensors(path, prefix):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        data = f.read()
    return {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in head.items()
            if k != "__metadata__" and k.startswith(prefix)}


frozen = []
for lr in ("1e-3", "3e-3"):
    path = os.path.join(OUT, f"frozen{lr}.safetensors")
    r = run(AVTRAIN, "sep", "--manifest", train_m, "--arch", "sop", "--hparams", TINY, "--epochs", "1", "--batch", "2",
            "--lr", lr, "--lr-scale", "features=0,fc=0", "--val", "none", "--out", path, "-t", "2")
    frozen.append(path if r.returncode == 0 else None)
check(all(frozen) and tensors(frozen[0], "features.") == tensors(frozen[1], "features.") and
      tensors(frozen[0], "unet_block.") != tensors(frozen[1], "unet_block."),
      "--lr-scale features=0,fc=0 keeps the frame net at its initial weights, the sound net trains")
# --compete: the loss sees the masks after the sources of each mixture compete (as
# avsep applies them), so the same seed trains other weights; the flag is part of
# the recipe, so a resume that contradicts it is refused.
competed = os.path.join(OUT, "compete.safetensors")
r = train(competed, "--compete", "--checkpoints", os.path.join(OUT, "compete.ckpt"), epochs=1)
plain = os.path.join(OUT, "plain.safetensors")
r2 = train(plain, "--checkpoints", os.path.join(OUT, "plain.ckpt"), epochs=1)
check(r.returncode == 0 and r2.returncode == 0 and "val SDR" in r.stdout and "nan" not in r.stdout and
      tensors(competed, "unet_block.") != tensors(plain, "unet_block."),
      f"avtrain sep --compete trains other weights: {r.stdout.strip()[-200:]!r} {r.stderr.strip()[-300:]!r}")
bad("--resume --compete on a run without it",
    train(plain, "--checkpoints", os.path.join(OUT, "plain.ckpt"), "--compete", "--resume", epochs=2), "--compete", 2)
# --backgrounds: mixtures also separate a region clear of every object towards silence
# (fusion/sep_data.h), so the same seed trains other weights; out of [0, 1] is refused.
backed = os.path.join(OUT, "backgrounds.safetensors")
r = train(backed, "--backgrounds", "1", "--checkpoints", os.path.join(OUT, "backgrounds.ckpt"), epochs=1)
check(r.returncode == 0 and "val SDR" in r.stdout and "nan" not in r.stdout and "background" in r.stderr and
      tensors(backed, "unet_block.") != tensors(plain, "unet_block."),
      f"avtrain sep --backgrounds 1 trains other weights: {r.stdout.strip()[-200:]!r} {r.stderr.strip()[-300:]!r}")
bad("--backgrounds 2", train(os.path.join(OUT, "bg2.safetensors"), "--backgrounds", "2"), "backgrounds", 2)
bad("--lr-scale naming no tensor", train(os.path.join(OUT, "ghost.safetensors"), "--lr-scale", "nosuch=0.1"),
    "no parameter")

test_m = os.path.join(music, "test.jsonl")
r = run(AVEVAL, "sep", "-m", model, test_m, "--json")
ev = json.loads(r.stdout) if r.returncode == 0 else {}
check(r.returncode == 0 and "natural_mean" in ev and "solos_mean" in ev,
      f"aveval sep -m: natural and solos protocols: {r.stderr.strip()[-300:]!r}")

# The ideal masks at the model's geometry bound what its masks can do: far above
# a model trained for two tiny epochs, and exactly silent on silent objects.
r = run(AVEVAL, "sep", "-m", model, test_m, "--oracle", "binary", "--protocol", "natural", "--json")
orc = json.loads(r.stdout) if r.returncode == 0 else {}
om, mm = orc.get("natural_mean", {}), ev.get("natural_mean", {})
check(r.returncode == 0 and orc.get("oracle") == "binary" and om.get("sdr") is not None and
      om["sdr"] > (mm.get("sdr") or 99) + 3 and om["sources"] == mm.get("sources") and
      (om.get("silent_db") is None or om["silent_db"] < -100),
      f"aveval sep --oracle binary: SDR {om.get('sdr')} vs the model's {mm.get('sdr')}, silent {om.get('silent_db')}")
bad("--oracle bogus", run(AVEVAL, "sep", "-m", model, test_m, "--oracle", "bogus"), "--oracle", 2)

# Discovered: the natural clips without boxes, the regions avsep finds, matched by permutation.
r = run(AVEVAL, "sep", "-m", model, test_m, "--protocol", "discovered", "--json")
dis = json.loads(r.stdout) if r.returncode == 0 else {}
dm = dis.get("discovered_mean", {})
check(r.returncode == 0 and dm.get("sources") == mm.get("sources") and dm.get("sdr") is not None
      and 0 <= dm.get("count_right", -1) <= 1 and all("found" in x for x in dis.get("discovered", [None])),
      f"aveval sep --protocol discovered: {dm} ({r.stderr.strip()[-200:]!r})")
# Competing masks (the default) against each source's own: the same sources, other
# numbers, and no louder silent objects; anything but compete/independent is refused.
r = run(AVEVAL, "sep", "-m", model, test_m, "--protocol", "natural", "--masks", "independent", "--json")
ind = json.loads(r.stdout) if r.returncode == 0 else {}
im = ind.get("natural_mean", {})
check(r.returncode == 0 and im.get("sources") == mm.get("sources") and im.get("sdr") != mm.get("sdr") and
      (mm.get("silent_db") is None or mm["silent_db"] <= im["silent_db"] + 1e-9),
      f"aveval sep --masks independent: SDR {im.get('sdr')} against competing {mm.get('sdr')}, silent "
      f"{im.get('silent_db')} / {mm.get('silent_db')}")
bad("--masks bogus", run(AVEVAL, "sep", "-m", model, test_m, "--masks", "soft"), "compete or independent", 2)

# Pairs (Co-Separation's test): two clips of any object count mixed, no category in
# both, every sounding object of both scored once.
r = run(AVEVAL, "sep", "-m", model, test_m, "--protocol", "pairs", "--json")
pr = json.loads(r.stdout) if r.returncode == 0 else {}
with open(test_m) as f:
    clips = {c["id"]: c for c in map(json.loads, f)}
cats = {i: {o["class"] for o in c["objects"]} for i, c in clips.items()}
nsound = {i: sum(1 for o in c["objects"] if o["sounding"]) for i, c in clips.items()}
mixes = pr.get("pairs", [])
check(r.returncode == 0 and mixes and pr["pairs_mean"]["mixtures"] == len(mixes) and
      all(len(x["clips"]) == 2 and not cats[x["clips"][0]] & cats[x["clips"][1]] and
          len(x["sources"]) == nsound[x["clips"][0]] + nsound[x["clips"][1]] for x in mixes) and
      len({c for x in mixes for c in x["clips"]}) == 2 * len(mixes),
      f"aveval sep --protocol pairs: {len(mixes)} mixtures of disjoint categories ({r.stderr.strip()[-200:]!r})")
bad("--protocol bogus", run(AVEVAL, "sep", "-m", model, test_m, "--protocol", "natural,bogus"), "bogus", 2)
bad("--oracle with discovered", run(AVEVAL, "sep", "-m", model, test_m, "--protocol", "discovered", "--oracle",
                                    "binary"), "discovered", 2)

# A clip with the most sources of the test split.
clips = [json.loads(l) for l in open(test_m)]
clip = max(clips, key=lambda c: c["sources"])
video = os.path.join(music, clip["video"])
before = digest(video)
voices = os.path.join(OUT, "voices")
r = run(AVSEP, "separate", video, "--out", voices, "--video", "-m", model, "--json")
check(r.returncode == 0, f"avsep separate: {r.stderr.strip()[-300:]!r}")
man = json.load(open(os.path.join(voices, "sources.json"))) if r.returncode == 0 else {"sources": []}
wavs = sorted(f for f in os.listdir(voices) if f.endswith(".wav")) if os.path.isdir(voices) else []
check(len(wavs) == len(man["sources"]) >= 1 and json.loads(r.stdout) == man,
      f"one WAV per source ({len(wavs)}), sources.json also on stdout")
track = os.path.join(OUT, "track.wav")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-vn", "-ac", "1", "-c:a", "pcm_f32le", track],
               check=True)
mix_rate, mix = read_wav(track)
total = None
for s in man["sources"]:
    rate, x = read_wav(os.path.join(voices, s["file"]))
    total = x if total is None else [a + b for a, b in zip(total, x)]
    b = s["box"]
    check(rate == mix_rate and abs(len(x) - len(mix)) <= 1 and 0 <= b[0] < b[2] <= man["width"] and
          0 <= b[1] < b[3] <= man["height"] and len(s["loudness_db"]) > 0 and
          os.path.getsize(os.path.join(voices, s["heatmap"])) > 100 and
          os.path.getsize(os.path.join(voices, s["video"])) > 1000,
          f"{s['file']}: {rate} Hz, {len(x)} samples, box {b}, heatmap, video")
peak = max(abs(v) for v in mix)
# The soundtrack as FFmpeg decodes it; the tracks are float WAVs.
err = max(abs(a - b) for a, b in zip(total, mix)) if total else 1
check(err < 1e-3 * peak, f"the tracks add up to the soundtrack (max deviation {err:.2e}, peak {peak:.3f})")
check(digest(video) == before, "the input video is untouched")

r = run(AVSEP, "separate", video, "--out", os.path.join(OUT, "box"), "-m", model, "--box", "0,0,40,40")
check(r.returncode == 0 and len([f for f in os.listdir(os.path.join(OUT, "box")) if f.endswith(".wav")]) == 1,
      f"--box: one source {r.stderr.strip()[-200:]!r}")
r = run(AVSEP, "separate", video, "--out", os.path.join(OUT, "point"), "-m", model, "--point", "64,64")
check(r.returncode == 0 and len([f for f in os.listdir(os.path.join(OUT, "point")) if f.endswith(".wav")]) == 1,
      f"--point: one source {r.stderr.strip()[-200:]!r}")
r = run(AVSEP, "separate", video, "--out", os.path.join(OUT, "three"), "-m", model, "--sources", "3")
check(r.returncode == 0 and len([f for f in os.listdir(os.path.join(OUT, "three")) if f.endswith(".wav")]) == 3,
      f"--sources 3: three sources {r.stderr.strip()[-200:]!r}")
r = run(AVSEP, "separate", video, "--out", os.path.join(OUT, "indep"), "-m", model, "--sources", "3", "--masks",
        "independent")
same = [read_wav(os.path.join(OUT, d, "source_1.wav"))[1] for d in ("three", "indep")] \
    if r.returncode == 0 else [[0], [0]]
check(r.returncode == 0 and len(same[0]) == len(same[1]) and same[0] != same[1],
      f"--masks independent: another first track {r.stderr.strip()[-200:]!r}")
bad("avsep --masks bogus", run(AVSEP, "separate", video, "--out", os.path.join(OUT, "ghost"), "-m", model, "--masks",
                               "x"), "compete or independent", 2)

# The cross-modal attention model goes through the same commands: training (its NMF
# dictionaries learned first), scoring (the same sources as SoP's), discovery and
# separation in avsep.
xmodel = os.path.join(OUT, "xattn.safetensors")
r = run(AVTRAIN, "sep", "--manifest", train_m, "--arch", "xattn", "--hparams", XTINY, "--epochs", "1", "--batch", "2",
        "--out", xmodel, "-t", "2")
check(r.returncode == 0 and "val SDR" in r.stdout and os.path.exists(xmodel) and
      "learning NMF class dictionaries" in r.stderr,
      f"avtrain sep --arch xattn: {r.stdout.strip()[-200:]!r} {r.stderr.strip()[-300:]!r}")
r = run(AVEVAL, "sep", "-m", xmodel, test_m, "--protocol", "natural", "--json")
xe = json.loads(r.stdout).get("natural_mean", {}) if r.returncode == 0 else {}
check(r.returncode == 0 and xe.get("sources") == ev.get("natural_mean", {}).get("sources") and
      xe.get("sdr") is not None, f"aveval sep -m xattn: {xe} {r.stderr.strip()[-300:]!r}")
r = run(AVSEP, "separate", video, "--out", os.path.join(OUT, "xvoices"), "-m", xmodel)
xw = [f for f in os.listdir(os.path.join(OUT, "xvoices")) if f.endswith(".wav")] if r.returncode == 0 else []
check(r.returncode == 0 and len(xw) >= 1, f"avsep separate with xattn: {len(xw)} tracks {r.stderr.strip()[-300:]!r}")

# Co-separation: two videos' soundtracks mixed, every object of each separated from the mixture.
other = os.path.join(music, next(c for c in clips if c["video"] != clip["video"])["video"])
cos = os.path.join(OUT, "cosep")
r = run(AVSEP, "coseparate", video, other, "--out", cos, "-m", model, "--json")
check(r.returncode == 0, f"avsep coseparate: {r.stderr.strip()[-300:]!r}")
cm = json.load(open(os.path.join(cos, "sources.json"))) if r.returncode == 0 else {"videos": []}
check(json.loads(r.stdout or "{}") == cm and [v["video"] for v in cm["videos"]] == [video, other],
      "sources.json: one entry per video, in order, also on stdout")
mrate, mix = read_wav(os.path.join(cos, "mixture.wav")) if r.returncode == 0 else (0, [])
ra, a = read_wav(track)
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", other, "-vn", "-ac", "1", "-c:a", "pcm_f32le",
                os.path.join(OUT, "track2.wav")], check=True)
rb, b = read_wav(os.path.join(OUT, "track2.wav"))
check(mrate == 11025 and abs(len(mix) - min(len(a), len(b)) * 11025 / ra) <= 2,
      f"mixture.wav: the model's rate, the shortest soundtrack's length ({mrate} Hz, {len(mix)} samples)")
names = sorted(os.listdir(cos)) if os.path.isdir(cos) else []
for k, v in enumerate(cm["videos"], 1):
    files = [s["file"] for s in v["sources"]]
    check(len(files) >= 1 and all(f.startswith(f"video_{k}_source_") and f in names and
                                  s["heatmap"] in names for f, s in zip(files, v["sources"])),
          f"video {k}: its tracks and heatmaps ({files})")
    for f in files:
        rate, x = read_wav(os.path.join(cos, f))
        want = round(len(mix) * v["sample_rate"] / 11025)
        check(rate == v["sample_rate"] and abs(len(x) - want) <= 1, f"{f}: {rate} Hz, {len(x)} samples (want {want})")
check(len([n for n in names if n.endswith(".wav")]) == 1 + sum(len(v["sources"]) for v in cm["videos"]),
      "exactly the tracks and the mixture as WAVs")
check(digest(video) == before, "coseparate leaves its inputs untouched")
bad("coseparate: one video", run(AVSEP, "coseparate", video, "--out", os.path.join(OUT, "ghost"), "-m", model),
    "two videos", 2)
# Without -m: the shipped co-separation model (data/models/cosep.safetensors).
r = run(AVSEP, "coseparate", video, other, "--out", os.path.join(OUT, "cosep_default"), "--json")
dm = json.loads(r.stdout) if r.returncode == 0 else {}
check(r.returncode == 0 and dm.get("model", "").endswith("cosep.safetensors") and len(dm.get("videos", [])) == 2 and
      all(v["sources"] for v in dm["videos"]), f"coseparate with the shipped model: {r.stderr.strip()[-300:]!r}")
bad("coseparate: existing non-empty --out", run(AVSEP, "coseparate", video, other, "--out", cos, "-m", model),
    "not an empty folder")

# Bad input.
silent_video = os.path.join(OUT, "noaudio.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-an", "-c:v", "copy", silent_video], check=True)
ghost = os.path.join(OUT, "ghost")
bad("no audio track", run(AVSEP, "separate", silent_video, "--out", ghost, "-m", model), "no audio track")
bad("coseparate: a video without audio", run(AVSEP, "coseparate", video, silent_video, "--out", ghost, "-m", model),
    "no audio track")
bad("missing video", run(AVSEP, "separate", os.path.join(OUT, "none.mp4"), "--out", ghost, "-m", model), "none.mp4")
bad("action model", run(AVSEP, "separate", video, "--out", ghost, "-m", ACTION_MODEL), "not a separation model")
bad("--sources 0", run(AVSEP, "separate", video, "--out", ghost, "-m", model, "--sources", "0"), "--sources", 2)
bad("no --out", run(AVSEP, "separate", video, "-m", model), "--out", 2)
bad("existing non-empty --out", run(AVSEP, "separate", video, "--out", voices, "-m", model), "not an empty folder")
bad("--box outside", run(AVSEP, "separate", video, "--out", ghost, "-m", model, "--box", "500,500,600,600"), "--box", 2)
bad("--point nan", run(AVSEP, "separate", video, "--out", ghost, "-m", model, "--point", "nan,3"), "--point", 2)
ro = os.path.join(OUT, "readonly")
os.makedirs(ro, exist_ok=True)
os.chmod(ro, 0o555)
if os.geteuid() != 0:
    bad("unwritable --out", run(AVSEP, "separate", video, "--out", os.path.join(ro, "v"), "-m", model), "cannot")
bad("aveval sep -m with an action model", run(AVEVAL, "sep", "-m", ACTION_MODEL, test_m), "not a separation model")
bad("avtrain sep on an action set manifest", run(AVTRAIN, "sep", "--manifest", os.path.join(OUT, "missing.jsonl")),
    "cannot open the manifest")
nmf2 = os.path.join(OUT, "nmf2.safetensors")
bad("avtrain sep with fewer NMF classes than the set's categories",
    run(AVTRAIN, "sep", "--manifest", train_m, "--arch", "xattn", "--hparams", XTINY.replace("nmf=12", "nmf=1"),
        "--epochs", "1", "--out", nmf2), "more than the 1 classes of the model's NMF prior")
check(not os.path.exists(nmf2), "no model left by the refused NMF run")
check(not os.path.exists(ghost), "no output folder left by the failed runs")

# Stopped by a signal while writing: neither the temporary folder (with the tracks in it) nor --out is left.
long_video = os.path.join(OUT, "long.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "19", "-i", video, "-c", "copy", long_video],
               check=True)
stopped = os.path.join(OUT, "stopped")
p = subprocess.Popen([AVSEP, "separate", long_video, "--out", stopped, "--video", "-m", model, "-q"],
                     stderr=subprocess.DEVNULL)
tmps, deadline = [], time.time() + 60
while p.poll() is None and time.time() < deadline:  # until a file is in the temporary folder
    tmps = [d for d in os.listdir(OUT) if d.startswith("stopped.tmp")]
    if tmps and os.listdir(os.path.join(OUT, tmps[0])):
        break
    time.sleep(0.01)
running = p.poll() is None
p.send_signal(signal.SIGTERM)
p.wait()
left = [d for d in os.listdir(OUT) if d.startswith("stopped")]
check(running and tmps and p.returncode == -signal.SIGTERM and not left,
      f"SIGTERM while writing {tmps}: the run dies of it ({p.returncode}) and leaves nothing ({left})")

# Silence: a sensible result with a warning.
quiet = os.path.join(OUT, "quiet.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-af", "volume=0", "-c:v", "copy", quiet], check=True)
r = run(AVSEP, "separate", quiet, "--out", os.path.join(OUT, "quiet"), "-m", model)
check(r.returncode == 0 and "silent" in r.stderr, f"silent soundtrack: a warning and one track {r.stderr.strip()!r}")

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
