#!/usr/bin/python3
"""OpenCV side of bench/bench_faces.c: CascadeClassifier.detectMultiScale
(scale factor 1.1, 3 neighbours) on one 640x360 grey frame, python3-opencv's
own threads set to --threads. Writes the frame (opencv-doc's messi5.jpg
resized with INTER_AREA, raw 8-bit) to --frame so the C side times the same
pixels; prints "<cascade> <ms per frame>" (median of --reps after --warmup),
nothing else.

  cv_faces.py --frame OUT.gray --cascade NAME=PATH ... [--threads N] [--reps R] [--warmup W]"""
import argparse
import statistics
import time

import cv2

ap = argparse.ArgumentParser()
ap.add_argument("--frame", required=True)
ap.add_argument("--cascade", action="append", default=[])
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=7)
ap.add_argument("--warmup", type=int, default=2)
a = ap.parse_args()
cv2.setNumThreads(a.threads)
img = cv2.imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg", cv2.IMREAD_GRAYSCALE)
frame = cv2.resize(img, (640, 360), interpolation=cv2.INTER_AREA)
with open(a.frame, "wb") as f:
    f.write(frame.tobytes())
for spec in a.cascade:
    name, path = spec.split("=", 1)
    c = cv2.CascadeClassifier(path)
    for _ in range(a.warmup):
        c.detectMultiScale(frame, 1.1, 3)
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        c.detectMultiScale(frame, 1.1, 3)
        times.append((time.perf_counter() - t) * 1000)
    print(name, statistics.median(times))
