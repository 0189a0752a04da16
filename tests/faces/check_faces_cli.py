"""`avsep faces` end to end: an image, a video (boxes per frame with time and
track ids that follow a face), --help, and bad input.
Usage: check_faces_cli.py AVSEP OUT_DIR

The video is made here with the ffmpeg CLI from opencv-doc's messi5.jpg: the
picture panned under a 640x360 window for 2 s at 10 fps, so the faces move a
few pixels a frame. Checked: one entry per frame, times rising by 1/10 s, the
player's face found in most frames under one track id,
the other face (found in some frames only) keeping its id across the gaps; text output (one line
per face, time and #id for a video); bad input (missing file, a file that is
no image, a cascade that is missing, not XML, XML but no cascade, an old-format
cascade; absurd options) gives one line on stderr and exit 1 (runtime) or 2
(usage)."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import bad, check, failures, run  # noqa: E402

AVSEP, OUT = sys.argv[1:3]
MESSI = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"
HAAR = "/usr/share/opencv4/haarcascades"
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)

# --help: defaults shown, exit 0.
r = run(AVSEP, "faces", "--help")
check(r.returncode == 0 and "1.1" in r.stdout and "haarcascade_frontalface_default.xml" in r.stdout
      and "min-neighbors" in r.stdout, "faces --help shows the defaults")
r = run(AVSEP, "--help")
check(r.returncode == 0 and "faces" in r.stdout, "avsep --help lists faces")

# An image.
r = run(AVSEP, "faces", MESSI, "--json")
check(r.returncode == 0, f"faces on an image: {r.stderr.strip()}")
res = json.loads(r.stdout) if r.returncode == 0 else {}
faces = res.get("faces", [])
check(res.get("width") == 548 and res.get("height") == 342 and "frames" not in res, "image: size, no frames")
check(len(faces) >= 1 and all(0 <= f["box"][0] < f["box"][2] <= 548 and 0 <= f["box"][1] < f["box"][3] <= 342
                              for f in faces), f"image: boxes inside the picture ({len(faces)})")
r = run(AVSEP, "faces", MESSI)
lines = r.stdout.strip().splitlines()
check(r.returncode == 0 and len(lines) == len(faces) and all(line.startswith("[") for line in lines),
      "image: one text line per face")
r = run(AVSEP, "faces", MESSI, "--json", "--min-size", "60")
check(r.returncode == 0 and all(f["box"][2] - f["box"][0] >= 60 for f in json.loads(r.stdout)["faces"]),
      "--min-size drops smaller faces")

# A video: the picture panned under a 640x360 window.
video = os.path.join(OUT, "pan.mp4")
p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-loop", "1", "-i", MESSI, "-vf",
                    "scale=760:474,crop=640:360:'4*n':'2*n',format=yuv420p", "-r", "10", "-frames:v", "20",
                    video], capture_output=True, text=True)
check(p.returncode == 0, f"ffmpeg makes the test video: {p.stderr.strip()}")
r = run(AVSEP, "faces", video, "--json")
check(r.returncode == 0, f"faces on a video: {r.stderr.strip()}")
res = json.loads(r.stdout) if r.returncode == 0 else {"frames": []}
frames = res.get("frames", [])
times = [f["time"] for f in frames]
check(len(frames) == 20 and all(abs(b - a - 0.1) < 1e-3 for a, b in zip(times, times[1:])),
      f"video: 20 frames, 0.1 s apart ({len(frames)})")
ids = {}
for f in frames:
    for face in f["faces"]:
        ids.setdefault(face["track"], []).append(face["box"])
main_id, main_boxes = max(ids.items(), key=lambda kv: len(kv[1])) if ids else (0, [])
check(len(main_boxes) >= 16, f"video: one track holds the face in most frames (#{main_id}: {len(main_boxes)} of 20)")
moves = [abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in zip(main_boxes, main_boxes[1:])]
check(bool(moves) and max(moves) <= 30, f"video: the tracked box moves with the pan (at most {max(moves or [0])} px a frame)")
# The larger face is found in some frames only (gaps of a few frames): its id survives the gaps.
check(len(ids) == 2, f"video: two tracks, the gaps of the second bridged ({sorted((k, len(v)) for k, v in ids.items())})")
r = run(AVSEP, "faces", video)
first = r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
check(r.returncode == 0 and first.startswith("0.000 #"), f"video text: time and track id first ({first!r})")

# Bad input: one line, exit 1 (runtime) or 2 (usage).
notimg = os.path.join(OUT, "notes.txt")
with open(notimg, "w") as f:
    f.write("not a picture\n")
notxml = os.path.join(OUT, "cascade.xml")
with open(notxml, "w") as f:
    f.write("<opencv_storage><cascade><stageType>BOOST</stageType>\n")
other = os.path.join(OUT, "other.xml")
with open(other, "w") as f:
    f.write('<?xml version="1.0"?>\n<opencv_storage><camera_matrix>1 0 0</camera_matrix></opencv_storage>\n')
bad("missing input", run(AVSEP, "faces", os.path.join(OUT, "nothing.jpg")), "nothing.jpg")
bad("input that is no image", run(AVSEP, "faces", notimg), "notes.txt")
bad("missing cascade", run(AVSEP, "faces", MESSI, "--cascade", os.path.join(OUT, "none.xml")), "none.xml")
bad("cascade not XML", run(AVSEP, "faces", MESSI, "--cascade", notimg), "not")
bad("cascade XML cut short", run(AVSEP, "faces", MESSI, "--cascade", notxml), "XML")
bad("XML that is no cascade", run(AVSEP, "faces", MESSI, "--cascade", other), "not an OpenCV cascade")
bad("old-format cascade", run(AVSEP, "faces", MESSI, "--cascade",
                              os.path.join(HAAR, "haarcascade_licence_plate_rus_16stages.xml")), "old-format")
bad("scale factor 1", run(AVSEP, "faces", MESSI, "--scale-factor", "1"), "scale-factor", 2)
bad("scale factor not a number", run(AVSEP, "faces", MESSI, "--scale-factor", "big"), "scale-factor", 2)
bad("negative neighbours", run(AVSEP, "faces", MESSI, "--min-neighbors", "-1"), "min-neighbors", 2)
bad("negative minimum size", run(AVSEP, "faces", MESSI, "--min-size", "-4"), "min-size", 2)
bad("no input", run(AVSEP, "faces"), "", 2)
bad("unknown option", run(AVSEP, "faces", MESSI, "--max-faces", "2"), "max-faces", 2)

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
