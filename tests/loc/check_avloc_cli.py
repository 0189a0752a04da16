"""avloc heatmap end to end, and bad input.
Usage: check_avloc_cli.py AVLOC MAKE_MODEL OUT_DIR SEP_MODEL.

A tiny EZ-VSL at random weights (tests/loc/make_model.c) on clips ffmpeg makes here
(a 160 x 120 test pattern at 25 fps with a stereo tone, 2 s). Checked:
  * --json: {"frames": [{"t", "peaks": [{"x", "y", "score"}], "boxes"}], "model",
    "video", ...}: one item per processed frame, times rising, at most 3 peaks,
    strongest first, scores in [0.5, 1], peaks and boxes inside the picture,
    each box around its peak; --fps and --every process fewer frames;
  * -o: an MP4 with a video stream (the source's size and frame count) and an
    audio stream (the soundtrack's rate and channels);
  * --png: one still per second by default, per --png-every, of the frame's size;
  * no output option: one summary line per second on stdout;
  * the shipped-model lookup (AVS_DATA) and silent audio (flat maps: no peaks, a
    warning, exit 0);
  * --per-source with the shipped separation model: the sources (boxes inside
    the picture, colours) at the top, each frame's maps per source and the
    strongest peaks of all; --sources 2 gives two;
  * bad input (missing file, no video stream, no audio stream, no frames, a
    separation model as -m, a localization model as --sep-model, --fps 0 / nan,
    --every 0, --sources without --per-source, -o onto the input): one line on stderr, non-zero exit, no output or temporary file
    left, an earlier output untouched."""
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, digest, failures, run  # noqa: E402

AVLOC, MAKE_MODEL, OUT, SEP_MODEL = sys.argv[1:5]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
W, H, FPS, SECONDS = 160, 120, 25, 2
TINY = "width=8,audio_width=8,dim=16,size=64"

shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                        "stream=codec_type,width,height,nb_read_frames,sample_rate,channels", "-of", "json", path],
                       capture_output=True, text=True)
    return json.loads(r.stdout).get("streams", []) if r.returncode == 0 else []


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None


def listing(d):
    return sorted(os.listdir(d))


clip = os.path.join(OUT, "clip.mp4")
ffmpeg("-f", "lavfi", "-i", f"testsrc=size={W}x{H}:rate={FPS}", "-f", "lavfi", "-i",
       "sine=frequency=440:sample_rate=44100", "-t", str(SECONDS), "-ac", "2", "-c:v", "libx264", "-pix_fmt",
       "yuv420p", "-c:a", "aac", clip)
clip_digest = digest(clip)
model = os.path.join(OUT, "loc.safetensors")
r = run(MAKE_MODEL, "ezvsl", TINY, "1", model)
check(r.returncode == 0 and os.path.exists(model), f"tiny EZ-VSL model: {r.stderr.strip()}")

# --json: shape, fields, coordinates.
r = run(AVLOC, "heatmap", clip, "-m", model, "--json", "-q")
check(r.returncode == 0 and r.stderr == "", f"--json -q: exit {r.returncode}, stderr {r.stderr.strip()[-300:]!r}")
try:
    doc = json.loads(r.stdout)
except ValueError:
    doc = {}
frames = doc.get("frames", [])
check(doc.get("model") == model and doc.get("video") == clip and doc.get("width") == W and doc.get("height") == H,
      f"--json: model, video, width, height: {[doc.get(k) for k in ('model', 'video', 'width', 'height')]}")
check(len(frames) == FPS * SECONDS, f"--json: one item per frame ({len(frames)} of {FPS * SECONDS})")
check(all(set(f) == {"t", "peaks", "boxes"} for f in frames), "--json: each frame has exactly t, peaks, boxes")
ts = [f.get("t", -1) for f in frames]
check(ts == sorted(ts) and ts and ts[0] == 0 and abs(ts[-1] - (SECONDS - 1 / FPS)) < 0.01,
      f"--json: times rise from 0 to the last frame: {ts[:3]} ... {ts[-1:]}")
shape_ok, inside, n_peaks = True, True, 0
for f in frames:
    pk, bx = f.get("peaks", []), f.get("boxes", [])
    n_peaks += len(pk)
    shape_ok &= len(pk) == len(bx) <= 3 and all(set(p) == {"x", "y", "score"} for p in pk)
    shape_ok &= all(isinstance(b, list) and len(b) == 4 for b in bx)
    scores = [p.get("score", 0) for p in pk]
    shape_ok &= scores == sorted(scores, reverse=True) and all(0.5 <= s <= 1 for s in scores)
    for p, b in zip(pk, bx):
        if len(b) != 4:
            continue
        x, y = p.get("x", -1), p.get("y", -1)
        inside &= 0 <= x < W and 0 <= y < H and 0 <= b[0] < b[2] <= W and 0 <= b[1] < b[3] <= H
        inside &= b[0] <= x < b[2] and b[1] <= y < b[3]
check(shape_ok, "--json: at most 3 peaks, strongest first, scores in [0.5, 1], one box each")
check(inside and n_peaks >= len(frames), f"--json: peaks and boxes inside the picture, each box around its peak "
      f"({n_peaks} peaks; a min-max normalised map always peaks at 1)")

for opt, val, want in (("--fps", "5", 10), ("--every", "5", 10), ("--fps", "1000", FPS * SECONDS)):
    r = run(AVLOC, "heatmap", clip, "-m", model, "--json", "-q", opt, val)
    n = len(json.loads(r.stdout)["frames"]) if r.returncode == 0 else -1
    check(n == want, f"{opt} {val}: {n} processed frames, {want} expected {r.stderr.strip()[-200:]!r}")

# -o and --png.
mp4, pngs = os.path.join(OUT, "heat.mp4"), os.path.join(OUT, "stills")
r = run(AVLOC, "heatmap", clip, "-m", model, "-o", mp4, "--png", pngs, "--fps", "10")
check(r.returncode == 0 and r.stdout == "", f"-o --png: exit {r.returncode}, stdout {r.stdout[:80]!r}, "
      f"stderr {r.stderr.strip()[-300:]!r}")
streams = probe(mp4)
v = [s for s in streams if s.get("codec_type") == "video"]
a = [s for s in streams if s.get("codec_type") == "audio"]
check(len(v) == 1 and v[0].get("width") == W and v[0].get("height") == H and
      int(v[0].get("nb_read_frames", 0)) == FPS * SECONDS,
      f"-o: one video stream at the source's size and frame count: {v}")
check(len(a) == 1 and a[0].get("sample_rate") == "44100" and a[0].get("channels") == 2,
      f"-o: the soundtrack (44100 Hz, stereo): {a}")
stills = listing(pngs) if os.path.isdir(pngs) else []
check(len(stills) == SECONDS and all(png_size(os.path.join(pngs, p)) == (W, H) for p in stills),
      f"--png: one still a second at the frame's size: {stills}")
check(listing(OUT) == sorted(["clip.mp4", "loc.safetensors", "heat.mp4", "stills"]),
      f"no temporary file left: {listing(OUT)}")
pngs2 = os.path.join(OUT, "stills2")
r = run(AVLOC, "heatmap", clip, "-m", model, "--png", pngs2, "--png-every", "0.5", "-q")
n = len(listing(pngs2)) if os.path.isdir(pngs2) else -1
check(r.returncode == 0 and n == 2 * SECONDS, f"--png-every 0.5: {n} stills")

# The summary, the shipped-model lookup.
data = os.path.join(OUT, "data")
os.makedirs(os.path.join(data, "models"))
shutil.copy(model, os.path.join(data, "models", "loc.safetensors"))
r = subprocess.run([AVLOC, "heatmap", clip, "-q"], capture_output=True, text=True, env={**os.environ, "AVS_DATA": data})
lines = r.stdout.strip().splitlines()
check(r.returncode == 0 and len(lines) == 1 + SECONDS and all(l.split()[0] == str(s) for s, l in enumerate(lines[1:])),
      f"summary with the model found through AVS_DATA: one line a second: {r.stdout!r} {r.stderr.strip()[-200:]!r}")

# Silent audio: flat maps, a warning, exit 0.
silent = os.path.join(OUT, "silent.mp4")
ffmpeg("-i", clip, "-af", "volume=0", "-c:v", "copy", silent)
r = run(AVLOC, "heatmap", silent, "-m", model, "--json")
ok = r.returncode == 0 and "silent" in r.stderr
frames = json.loads(r.stdout)["frames"] if ok else []
check(ok and len(frames) == FPS * SECONDS and all(not f["peaks"] and not f["boxes"] for f in frames),
      f"silent audio: flat maps (no peaks), a warning, exit 0: {r.stderr.strip()[-200:]!r}")

# --per-source: one map per separated source.
for extra in ([], ["--sources", "2"]):
    r = run(AVLOC, "heatmap", clip, "-m", model, "--per-source", "--sep-model", SEP_MODEL, "--json", "-q", "--fps", "5",
            *extra)
    try:
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
    except ValueError:
        doc = {}
    srcs, frames = doc.get("sources", []), doc.get("frames", [])
    ok = len(srcs) >= 1 and (not extra or len(srcs) == 2) and len(frames) == 10
    ok &= all(len(s.get("box", [])) == 4 and 0 <= s["box"][0] < s["box"][2] <= W and 0 <= s["box"][1] < s["box"][3] <= H
              and len(s.get("color", [])) == 3 for s in srcs)
    for f in frames:
        per = f.get("sources", [])
        ok &= [p.get("source") for p in per] == list(range(1, len(srcs) + 1))
        ok &= all(len(p["peaks"]) == len(p["boxes"]) <= 3 for p in per)
        best = sorted((q["score"] for p in per for q in p["peaks"]), reverse=True)[:3]
        ok &= [q["score"] for q in f.get("peaks", [])] == best and len(f.get("boxes", [])) == len(best)
    check(ok, f"--per-source {' '.join(extra)}: {len(srcs)} sources, {len(frames)} frames, maps per source, the "
          f"strongest peaks of all: {r.stderr.strip()[-300:]!r}")

# Bad input: one line, non-zero exit, nothing written.
noaudio, audio_only, empty = (os.path.join(OUT, n) for n in ("noaudio.mp4", "audio.m4a", "empty.mkv"))
ffmpeg("-i", clip, "-an", "-c:v", "copy", noaudio)
ffmpeg("-i", clip, "-vn", "-c:a", "copy", audio_only)
ffmpeg("-i", clip, "-c", "copy", "-bsf:v", "noise=drop=1", empty)  # a video stream without frames
bad_dir = os.path.join(OUT, "bad")
os.makedirs(bad_dir)
prev = os.path.join(bad_dir, "prev.mp4")
shutil.copy(mp4, prev)
before = digest(prev)
bad_png = os.path.join(bad_dir, "stills")
cases = [
    ("missing file", [os.path.join(OUT, "nope.mp4")], "nope.mp4", 1),
    ("no audio stream", [noaudio], "no audio", 1),
    ("audio only", [audio_only], "no video stream", 1),
    ("no frames", [empty], "no video frames", 1),
    ("separation model", [clip, "-m", SEP_MODEL], "not a localization model", 1),
    ("--fps 0", [clip, "--fps", "0"], "--fps", 2),
    ("--fps nan", [clip, "--fps", "nan"], "--fps", 2),
    ("--every 0", [clip, "--every", "0"], "--every", 2),
    ("localization model as --sep-model", [clip, "--per-source", "--sep-model", model], "not a separation model", 1),
    ("--sources without --per-source", [clip, "--sources", "2"], "--per-source", 2),
    ("-o onto the input", [clip, "-o", clip], "input", 1),
    ("--png into a folder with files", [clip, "--png", pngs], "--png", 1),
    ("unwritable -o extension", [clip, "-o", os.path.join(bad_dir, "x.wav")], "x.wav", 1),
]
for what, args, needle, code in cases:
    extra = [] if "-m" in args else ["-m", model]
    extra += [] if "-o" in args else ["-o", prev]
    extra += [] if "--png" in args else ["--png", bad_png]
    before_png = listing(pngs)
    r = run(AVLOC, "heatmap", *args, *extra, "--json", "-q")
    bad(what, r, needle, code)
    check(r.stdout == "" and listing(bad_dir) == ["prev.mp4"] and digest(prev) == before and listing(pngs) == before_png,
          f"{what}: nothing on stdout, no output or temporary file, the earlier output untouched: {listing(bad_dir)}")
check(digest(clip) == clip_digest, "the input is untouched")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all avloc checks passed")
