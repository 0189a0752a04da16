"""Face detection against OpenCV: `avsep faces` and python3-opencv's
CascadeClassifier.detectMultiScale with the same parameters (scale factor
1.1, 3 neighbours, no minimum size) on the same grey pixels.
Usage: check_faces_parity.py AVSEP OUT_DIR

Images: the photographs of Debian's opencv-doc (examples/data: messi5.jpg and
others with faces or face-like texture) and synthetic frames made here (the
messi5 frame at 640x360, mirrored, a mosaic of scaled crops on noise, a dark
low-contrast copy). Each is written as an RGB PNG of its grey pixels (cv2's
JPEG decoder and FFmpeg's differ by a grey level here and there), so both sides
see the same pixels. Cascades: Haar frontalface_default (stumps), Haar
upperbody (tilted features), Haar eye_tree_eyeglasses (trees), LBP
frontalface and frontalface_improved. Checked per image and cascade: the same
count of boxes and IoU >= 0.9 for each box with its best match; and, without
grouping (--min-neighbors 0), the same raw hits. Prints the counts and the
least IoU per image."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import check, failures  # noqa: E402

AVSEP, OUT = sys.argv[1:3]
DATA = "/usr/share/doc/opencv-doc/examples/data"
CASCADES = "/usr/share/opencv4"
os.makedirs(OUT, exist_ok=True)
cv2.setNumThreads(2)


def synthetic(messi):
    """Frames made from messi5: resized, mirrored, a mosaic, a dark copy."""
    rng = np.random.default_rng(13)
    frame = cv2.resize(messi, (640, 360), interpolation=cv2.INTER_AREA)
    mosaic = rng.integers(0, 256, (360, 640), dtype=np.uint8)
    mosaic = cv2.GaussianBlur(mosaic, (0, 0), 3)
    face = messi[50:160, 230:340]  # the larger face with some margin
    for (x, y, s) in [(20, 30, 90), (200, 100, 140), (420, 40, 200)]:
        mosaic[y:y + s, x:x + s] = cv2.resize(face, (s, s), interpolation=cv2.INTER_LINEAR)
    dark = (frame.astype(np.float32) * 0.35 + 20).astype(np.uint8)
    return {"synth_640x360": frame, "synth_mirror": frame[:, ::-1].copy(), "synth_mosaic": mosaic, "synth_dark": dark}


def boxes_ref(cascade, gray, neighbours, scale=1.1, min_size=0):
    found = cascade.detectMultiScale(gray, scaleFactor=scale, minNeighbors=neighbours, minSize=(min_size, min_size))
    return [(int(x), int(y), int(x + w), int(y + h)) for (x, y, w, h) in found]


def boxes_ours(png, cascade_path, neighbours, scale=1.1, min_size=0):
    r = subprocess.run([AVSEP, "faces", png, "--json", "--cascade", cascade_path, "--min-neighbors", str(neighbours),
                        "--scale-factor", str(scale), "--min-size", str(min_size)], capture_output=True, text=True)
    if r.returncode:
        return None, r.stderr.strip()
    return [tuple(f["box"]) for f in json.loads(r.stdout)["faces"]], ""


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0) * max(ih, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


images = {}
for name in ["messi5.jpg", "baboon.jpg", "basketball1.png", "left01.jpg", "starry_night.jpg", "sudoku.png",
             "pca_test1.jpg"]:
    g = cv2.imread(os.path.join(DATA, name), cv2.IMREAD_GRAYSCALE)
    check(g is not None, f"opencv-doc image {name} readable")
    if g is not None:
        images[os.path.splitext(name)[0]] = g
if "messi5" in images:
    images.update(synthetic(images["messi5"]))

cascades = ["haarcascades/haarcascade_frontalface_default.xml", "haarcascades/haarcascade_upperbody.xml",
            "haarcascades/haarcascade_eye_tree_eyeglasses.xml", "lbpcascades/lbpcascade_frontalface.xml",
            "lbpcascades/lbpcascade_frontalface_improved.xml"]
for rel in cascades:
    path = os.path.join(CASCADES, rel)
    cascade = cv2.CascadeClassifier(path)
    check(not cascade.empty(), f"cv2 loads {rel}")
    short = os.path.basename(rel)[:-4]
    for name, gray in images.items():
        png = os.path.join(OUT, name + ".png")
        if not os.path.exists(png):
            cv2.imwrite(png, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        ref = boxes_ref(cascade, gray, 3)
        ours, err = boxes_ours(png, path, 3)
        if ours is None:
            check(False, f"{short} {name}: avsep faces failed: {err}")
            continue
        ious = [max((iou(a, b) for b in ours), default=0.0) for a in ref]
        least = min(ious) if ious else 1.0
        check(len(ref) == len(ours) and least >= 0.9,
              f"{short} {name}: {len(ref)} boxes (cv2) vs {len(ours)} (avsep), least IoU {least:.3f}")
        raw_ref = sorted(boxes_ref(cascade, gray, 0))
        raw_ours, _ = boxes_ours(png, path, 0)
        check(raw_ours is not None and sorted(raw_ours) == raw_ref,
              f"{short} {name}: raw hits the same ({len(raw_ref)} cv2, {len(raw_ours or [])} avsep)")

# Other parameters: coarser and finer pyramids, more neighbours, a minimum size (and one
# larger than the picture: OpenCV then scans the scale nearest to it).
default = os.path.join(CASCADES, cascades[0])
cascade = cv2.CascadeClassifier(default)
for name in ["messi5", "synth_mosaic"]:
    if name not in images:
        continue
    png = os.path.join(OUT, name + ".png")
    for scale, neighbours, min_size in [(1.2, 3, 30), (1.05, 5, 0), (1.3, 0, 2000)]:
        ref = sorted(boxes_ref(cascade, images[name], neighbours, scale, min_size))
        ours, err = boxes_ours(png, default, neighbours, scale, min_size)
        check(ours is not None and sorted(ours) == ref,
              f"frontalface_default {name} scale {scale}, {neighbours} neighbours, min size {min_size}: "
              f"{len(ref)} boxes (cv2) vs {len(ours or [])} (avsep) {err}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
