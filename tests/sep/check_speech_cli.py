"""Speech separation end to end: `avtrain speech`, `aveval sep -m` on a speech set,
`avsep speech`, and bad input.
Usage: check_speech_cli.py AVDATA AVTRAIN AVEVAL AVSEP OUT_DIR OTHER_MODEL.

A small speech set (avdata, 12 clips of 2 s) and a tiny avspeech (a few thousand
weights per stream) trained for 1 epoch. Checked:
  * avtrain speech prints a result line with validation SDR and writes the model;
    --resume after 1 epoch gives the 2-epoch model bit for bit; --loss weighted and stft run;
  * aveval sep -m scores every two-speaker test clip, each speaker by its face
    track: per-source SDR/SIR/SAR/SI-SDR/NSDR, finite means (--json);
  * avsep speech --faces writes exactly one WAV per face at the soundtrack's rate
    (also a 44.1 kHz soundtrack), as long as it, speakers.json with a face track
    per model frame and loudness per 0.1 s; --video adds speakers.mp4; a silent
    soundtrack gives silent voices and a warning; the face detector finds the two
    faces of a photograph (opencv-doc) and the speakers are its boxes; --tracks
    with the speakers.json written gives the same voices;
  * bad input: without -m (no model shipped yet), a model of another kind, more
    faces than the model separates, no face found by the detector (a grey
    picture), a video without audio: one line on stderr, non-zero exit,
    no output folder left."""
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, digest, failures, run  # noqa: E402

AVDATA, AVTRAIN, AVEVAL, AVSEP, OUT, OTHER_MODEL = sys.argv[1:7]
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
TINY = ("audio_channels=4,audio_layers=2,audio_out=2,visual_front=4,visual_convs=1,visual_dim=8,face_width=4,"
        "face_convs=2,id_dim=4,fusion_dim=16,lstm_hidden=8,fc_dim=16,mouth_size=24,face_size=32")


def decoded_samples(path, rate):
    """Samples of a media file's soundtrack as FFmpeg decodes it at rate (mono)."""
    r = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", path, "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
                       capture_output=True)
    return len(r.stdout) // 4


def wav_info(path):
    """(rate, samples) of a mono WAV."""
    with open(path, "rb") as f:
        data = f.read()
    fmt = data.find(b"fmt ")
    _, ch, rate = struct.unpack("<HHI", data[fmt + 8:fmt + 16])
    bits = struct.unpack("<H", data[fmt + 22:fmt + 24])[0]
    pos = data.find(b"data")
    n = struct.unpack("<I", data[pos + 4:pos + 8])[0]
    vals = struct.unpack(f"<{n // 4}f", data[pos + 8:pos + 8 + n]) if bits == 32 else []
    return rate, n // (bits // 8) // ch, vals


bad_out = os.path.join(OUT, "bad")
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
speech = os.path.join(OUT, "speech")
r = run(AVDATA, "synth", "--kind", "speech", "--count", "12", "--seconds", "2", "--seed", "3", "--val", "0.25",
        "--test", "0.25", "--min-sources", "2", "--out", speech, "-q")
check(r.returncode == 0, f"avdata speech set: {r.stderr.strip()}")
model = os.path.join(OUT, "speech.safetensors")
r = run(AVTRAIN, "speech", "--manifest", f"{speech}/train.jsonl", "--hparams", TINY, "--epochs", "1",
        "--batch", "2", "--frames", "16", "--out", model, "-q")
check(r.returncode == 0 and os.path.exists(model), f"avtrain speech: {r.stderr.strip()[-300:]}")
check("val SDR" in r.stdout, f"a result line with validation SDR: {r.stdout.strip()!r}")
# The trainer's conventions: 2 epochs at once = 1 epoch, then --resume to 2 (bit for bit; a constant rate,
# as a cosine schedule depends on the planned epochs); the weighted loss.
args = ["speech", "--manifest", f"{speech}/train.jsonl", "--hparams", TINY, "--batch", "2", "--frames", "16",
        "--schedule", "constant", "-q"]
two, one = os.path.join(OUT, "two.safetensors"), os.path.join(OUT, "one.safetensors")
r2 = run(AVTRAIN, *args, "--epochs", "2", "--out", two)
r1 = run(AVTRAIN, *args, "--epochs", "1", "--out", one)
r1b = run(AVTRAIN, *args, "--epochs", "2", "--out", one, "--resume")
check(all(x.returncode == 0 for x in (r2, r1, r1b)) and os.path.exists(one) and digest(one) == digest(two),
      f"--resume after 1 epoch gives the 2-epoch model bit for bit ({r1b.stderr.strip()[-200:]})")
weighted = os.path.join(OUT, "weighted.safetensors")
r = run(AVTRAIN, *args, "--epochs", "1", "--loss", "weighted", "--out", weighted)
check(r.returncode == 0 and os.path.exists(weighted) and "nan" not in r.stdout, f"--loss weighted: {r.stdout.strip()!r}")
mse = os.path.join(OUT, "mse.safetensors")
r = run(AVTRAIN, *args, "--epochs", "1", "--loss", "stft", "--out", mse)
check(r.returncode == 0 and os.path.exists(mse) and "nan" not in r.stdout and "inf" not in r.stdout,
      f"--loss stft runs: {r.stdout.strip()!r}")
bad("--loss other", run(AVTRAIN, *args, "--loss", "l1", "--out", os.path.join(OUT, "x.safetensors")), "--loss", 2)

r = run(AVEVAL, "sep", "-m", model, f"{speech}/test.jsonl", "--json", "-q")
check(r.returncode == 0, f"aveval sep -m on a speech set: {r.stderr.strip()}")
res = json.loads(r.stdout) if r.returncode == 0 else {"natural": [], "natural_mean": {}}
clips = [json.loads(line) for line in open(f"{speech}/test.jsonl")]
two = [c for c in clips if c["sources"] == 2]
check(len(res["natural"]) == len(two) and len(two) > 0, f"every 2-speaker test clip scored ({len(two)})")
srcs = [s for m in res["natural"] for s in m["sources"]]
check(len(srcs) == 2 * len(two) and all(isinstance(s["sdr"], float) and isinstance(s["nsdr"], float) for s in srcs),
      "two speakers per clip with SDR and NSDR")
mean = res["natural_mean"]
check(all(isinstance(mean.get(k), float) for k in ("sdr", "sir", "sar", "si_sdr", "nsdr")), f"finite means {mean}")

clip = two[0]
video = os.path.join(speech, clip["video"])
faces = ";".join(",".join(str(v) for v in o["boxes"][0]) for o in clip["objects"][:2])
out = os.path.join(OUT, "voices")
r = run(AVSEP, "speech", video, "-m", model, "--faces", faces, "--out", out, "--video", "-q")
check(r.returncode == 0, f"avsep speech --faces: {r.stderr.strip()}")
names = sorted(os.listdir(out)) if os.path.isdir(out) else []
check(names == ["speaker_1.wav", "speaker_2.wav", "speakers.json", "speakers.mp4"], f"outputs {names}")
if r.returncode == 0:
    meta = json.load(open(os.path.join(out, "speakers.json")))
    want = decoded_samples(video, 16000)
    for k in (1, 2):
        rate, n, _ = wav_info(os.path.join(out, f"speaker_{k}.wav"))
        check(rate == 16000 and n == want, f"speaker_{k}.wav: {rate} Hz, {n} samples (the soundtrack's: {want})")
    sp = meta["speakers"]
    frames = -(-want // 1000)  # the model's 16 frames/s over the soundtrack
    check(len(sp) == 2 and all(len(s["face_track"]) == frames for s in sp),
          f"speakers.json: a face box per model frame ({frames}) for each speaker")
    check(all(len(s["loudness_db"]) == -(-want // 1600) and isinstance(s["speaking"], list) for s in sp),
          "activity per 0.1 s")
    check(sp[0]["face_track"][0] == clip["objects"][0]["boxes"][0], "the face track is the box given")

# --tracks: the face tracks of speakers.json given back give the same voices (bit for bit).
if os.path.isdir(out):
    r = run(AVSEP, "speech", video, "-m", model, "--tracks", os.path.join(out, "speakers.json"), "--out",
            os.path.join(OUT, "again"), "-q")
    check(r.returncode == 0 and all(digest(os.path.join(out, f"speaker_{k}.wav")) ==
                                    digest(os.path.join(OUT, "again", f"speaker_{k}.wav")) for k in (1, 2)),
          f"--tracks speakers.json: the same voices ({r.stderr.strip()})")
    bad("--tracks not a speakers file", run(AVSEP, "speech", video, "-m", model, "--tracks", model, "--out", bad_out),
        "speakers")

# The input's own rate: a 44.1 kHz soundtrack gives 44.1 kHz voices, as long.
v44 = os.path.join(OUT, "v44.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-c:v", "copy", "-ar", "44100", "-c:a", "aac", v44],
               check=False)
if os.path.exists(v44):
    r = run(AVSEP, "speech", v44, "-m", model, "--faces", faces, "--out", os.path.join(OUT, "v44"), "-q")
    check(r.returncode == 0, f"avsep speech on 44.1 kHz: {r.stderr.strip()}")
    if r.returncode == 0:
        rate, n, _ = wav_info(os.path.join(OUT, "v44", "speaker_1.wav"))
        r2 = run(AVSEP, "speech", v44, "-m", model, "--faces", faces.split(";")[0], "--out",
                 os.path.join(OUT, "v44b"), "-q")
        want = decoded_samples(v44, 44100)
        check(rate == 44100 and n == want, f"44.1 kHz voices: {rate} Hz, {n} samples (the soundtrack's: {want})")
        got = sorted(os.listdir(os.path.join(OUT, "v44b"))) if r2.returncode == 0 else r2.stderr.strip()
        check(got == ["speaker_1.wav", "speakers.json"], f"one face given: one voice ({got})")

# A silent soundtrack: silent voices and a warning, nothing else.
silent = os.path.join(OUT, "silent.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", silent], check=False)
if os.path.exists(silent):
    r = run(AVSEP, "speech", silent, "-m", model, "--faces", faces, "--out", os.path.join(OUT, "silent"))
    check(r.returncode == 0 and "silent" in r.stderr, f"silent soundtrack: warning, exit 0 ({r.stderr.strip()!r})")
    if r.returncode == 0:
        _, _, vals = wav_info(os.path.join(OUT, "silent", "speaker_1.wav"))
        check(max(abs(v) for v in vals) == 0, "silent voices")

# The detector on real faces (opencv-doc's photographs, as tests/faces): basketball1.png has two,
# beside messi5.jpg three. Still pictures made into 2 s videos with a tone.
DOC = "/usr/share/doc/opencv-doc/examples/data"
two_faces, three_faces = os.path.join(OUT, "two_faces.mp4"), os.path.join(OUT, "three_faces.mp4")
if os.path.exists(f"{DOC}/basketball1.png") and os.path.exists(f"{DOC}/messi5.jpg"):
    tone = ["-f", "lavfi", "-i", "sine=f=300:r=16000:d=2"]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", f"{DOC}/basketball1.png", *tone, "-vf",
                    "fps=16,format=yuv420p", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-shortest", two_faces],
                   check=False)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", f"{DOC}/basketball1.png", "-loop", "1",
                    "-i", f"{DOC}/messi5.jpg", *tone, "-filter_complex",
                    "[0:v]scale=-2:480[a];[1:v]scale=-2:480[b];[a][b]hstack,fps=16,format=yuv420p[v]", "-map", "[v]",
                    "-map", "2:a", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-shortest", three_faces], check=False)
    r = run(AVSEP, "speech", two_faces, "-m", model, "--out", os.path.join(OUT, "detected"), "-q")
    got = sorted(os.listdir(os.path.join(OUT, "detected"))) if r.returncode == 0 else r.stderr.strip()
    check(got == ["speaker_1.wav", "speaker_2.wav", "speakers.json"], f"two faces found by the detector: {got}")
    if r.returncode == 0:
        meta = json.load(open(os.path.join(OUT, "detected", "speakers.json")))
        boxes = sorted(s["face_track"][0] for s in meta["speakers"])
        # avsep faces finds [72, 91, 111, 130] and [523, 332, 614, 423] on the photograph
        check(meta["faces_from"] == "detector" and abs(boxes[0][0] - 72) <= 2 and abs(boxes[1][0] - 523) <= 2,
              f"the detector's boxes as face tracks: {boxes}")
else:
    print("skip the detector on real faces: opencv-doc's photographs are not installed")

# Bad input: one line, non-zero exit, no folder.
bad_out = os.path.join(OUT, "bad")
noaudio = os.path.join(OUT, "noaudio.mp4")
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", video, "-an", "-c:v", "copy", noaudio], check=False)
noface = os.path.join(OUT, "noface.mp4")  # a grey picture and a tone
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=128x128:r=16:d=2", "-f",
                "lavfi", "-i", "sine=f=440:r=16000:d=2", "-c:v", "libx264", "-c:a", "aac", "-shortest", noface],
               check=False)
# The shipped default (scripts/train_speech.sh) serves without -m; without it, -m is needed.
default = os.path.join(os.path.dirname(OTHER_MODEL), "speech.safetensors")
shipped = os.path.exists(default)
cases = [] if shipped else [("no model given, none shipped", [video, "--out", bad_out], "no speech model", 1)]
if shipped:
    r = run(AVSEP, "speech", video, "--faces", faces, "--out", os.path.join(OUT, "default"))
    names = sorted(os.listdir(os.path.join(OUT, "default"))) if r.returncode == 0 else []
    check(r.returncode == 0 and "speech.safetensors" in r.stderr and names == ["speaker_1.wav", "speaker_2.wav",
                                                                                 "speakers.json"],
          f"the shipped speech model without -m: {names} {r.stderr.strip()[-200:]!r}")
cases += [
    ("a model of another kind", [video, "-m", OTHER_MODEL, "--out", bad_out], "model", 1),
    ("more faces than the model separates", [video, "-m", model, "--faces", faces + ";1,1,20,20", "--out", bad_out],
     "at most 2 voices", 2),
    ("no face found", [noface, "-m", model, "--out", bad_out], "no face found", 1),
    ("three faces found for a model of two", [three_faces, "-m", model, "--out", bad_out], "3 faces on screen", 1),
    ("a video without audio", [noaudio, "-m", model, "--faces", faces, "--out", bad_out], "no audio", 1),
    ("a missing video", [os.path.join(OUT, "none.mp4"), "-m", model, "--out", bad_out], "none.mp4", 1),
]
for what, args, needle, code in cases:
    if not os.path.exists(args[0]) and "missing" not in what:
        continue  # inputs made above from opencv-doc's photographs when installed
    r = run(AVSEP, "speech", *args)
    bad(what, r, needle, code)
    check(not os.path.exists(bad_out), f"{what}: no output folder")
r = run(AVEVAL, "sep", "-m", model, f"{speech}/test.jsonl", "--protocol", "solos")
bad("aveval: a speech model in the solos protocol", r, "natural", 2)
sys.exit(1 if failures else 0)
