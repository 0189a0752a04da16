"""Damaged AAC and MP3 through an app (aveval sep): the damaged packets are skipped
with one summary warning, not a line each (nor libmpg123's own notes), what follows
a skipped AAC packet stays at its time (silence fills the gap: the lengths agree),
and a track with nothing decodable fails in one line naming the real cause (not
"Operation not permitted").
    check_damaged.py AVEVAL OUTDIR"""
import os
import random
import subprocess
import sys

from clitest import bad, check, failures, run

aveval, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
good = f"{out}/sine.m4a"
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=10", "-c:a", "aac", good],
               check=True)
data = open(good, "rb").read()
mdat, moov = data.find(b"mdat"), data.find(b"moov")
assert 0 < mdat < moov, "ffmpeg wrote moov before mdat"


def damaged(name, lo, hi, step, seed):
    """The file with bytes lo..hi of the sample data (every step-th) overwritten."""
    b, r = bytearray(data), random.Random(seed)
    for i in range(lo, hi, step):
        b[i] = r.randrange(256)
    path = f"{out}/{name}.m4a"
    open(path, "wb").write(b)
    return path


n = moov - mdat
for seed in (1, 2, 5):  # these made 1 to 27 warning lines, then "Operation not permitted"
    path = damaged(f"middle{seed}", mdat + n // 3, mdat + 2 * n // 3, 53, seed)
    r = run(aveval, "sep", "--ref", path, "--est", good)
    warns = [line for line in r.stderr.splitlines() if "damaged" in line]
    check(r.returncode == 0 and len(warns) == 1 and "skipped" in warns[0],
          f"damaged middle (seed {seed}): exit {r.returncode}, one summary warning: {r.stderr.strip()!r}")
    check("lengths differ" not in r.stderr, f"damaged middle (seed {seed}): the gaps are filled: {r.stderr.strip()!r}")

mp3 = f"{out}/noise.mp3"
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=4:c=pink:seed=3", mp3],
               check=True)
b, r = bytearray(open(mp3, "rb").read()), random.Random(1)
for i in range(len(b) // 3, 2 * len(b) // 3, 301):  # libmpg123 printed "Note: Illegal Audio-MPEG-Header ..."
    b[i] ^= 1 << r.randrange(8)
open(f"{out}/noise_damaged.mp3", "wb").write(b)
r = run(aveval, "sep", "--ref", mp3, "--est", f"{out}/noise_damaged.mp3")
lines = r.stderr.strip().splitlines()
check(r.returncode == 0 and len(lines) <= 2 and all(line.startswith("aveval: warning:") for line in lines)
      and any("damaged" in line for line in lines), f"damaged MP3: only our own summary warnings: {r.stderr.strip()!r}")
path = damaged("all", mdat + 8, moov - 8, 1, 7)
bad("nothing decodable", run(aveval, "sep", "--ref", path, "--est", good), "the audio track is damaged")
sys.exit(1 if failures else 0)
