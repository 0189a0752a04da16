"""tools/st_half.py: a model stored in half precision is half the size, loads
(the reader widens F16 to float32) and classifies as the float32 one does;
values beyond half's range and bad input are refused in one line with nothing
written. Usage: check_st_half.py TOOL MODEL AVACT CLIP OUT_DIR."""
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import check, digest, failures  # noqa: E402

TOOL, MODEL, AVACT, CLIP, OUT = sys.argv[1:6]
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), f.read()


def tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


def top(model):
    r = subprocess.run([AVACT, "classify", CLIP, "-m", model, "--json", "-q"], capture_output=True, text=True)
    return json.loads(r.stdout)["top"] if r.returncode == 0 else None


half = os.path.join(OUT, "half.safetensors")
r = tool(MODEL, half)
(h0, d0), (h1, d1) = read(MODEL), read(half) if r.returncode == 0 else ({}, b"")
f16 = [k for k, v in h1.items() if k != "__metadata__" and v["dtype"] == "F16"]
check(r.returncode == 0 and h1.get("__metadata__") == h0.get("__metadata__") and
      len(f16) == len(h0) - ("__metadata__" in h0) and abs(len(d1) - len(d0) / 2) < 16,
      f"every tensor F16, metadata kept, half the bytes ({len(d1)} of {len(d0)}): {r.stdout.strip()!r} {r.stderr.strip()!r}")
name = f16[0] if f16 else None
if name:  # the stored values are float32's rounded to half (to nearest even)
    a, b = h0[name]["data_offsets"]
    want = struct.pack(f"<{(b - a) // 4}e", *struct.unpack(f"<{(b - a) // 4}f", d0[a:b]))
    a, b = h1[name]["data_offsets"]
    check(d1[a:b] == want, f"'{name}' rounded to nearest half")
t0, t1 = top(MODEL), top(half)
check(t0 and t1 and t0[0]["index"] == t1[0]["index"] and abs(t0[0]["score"] - t1[0]["score"]) < 1e-3,
      f"the half model classifies as the float32 one ({t0 and t0[0]} vs {t1 and t1[0]})")

huge = os.path.join(OUT, "huge.safetensors")
hdr = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
hdr += b" " * (-len(hdr) % 8)
with open(huge, "wb") as f:
    f.write(struct.pack("<Q", len(hdr)) + hdr + struct.pack("<2f", 1.0, 1e6))
before = digest(huge)
for what, args, code in [("a value beyond half's range", [huge, os.path.join(OUT, "x.safetensors")], 1),
                         ("missing file", [os.path.join(OUT, "none.safetensors"), os.path.join(OUT, "x.safetensors")], 1),
                         ("one argument", [huge], 2)]:
    r = tool(*args)
    check(r.returncode == code and len(r.stderr.strip().splitlines()) == 1,
          f"{what}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
check(digest(huge) == before and sorted(os.listdir(OUT)) == ["half.safetensors", "huge.safetensors"],
      "a refused input is untouched and nothing is written")
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
