"""tools/st_meta.py: metadata set in place with the tensors byte-identical (the
file still loads), and bad input refused in one line without touching the file."""
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import check, digest, failures  # noqa: E402

TOOL, MODEL, AVACT, OUT = sys.argv[1:5]
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), f.read()


def tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


copy = os.path.join(OUT, "m.safetensors")
shutil.copy(MODEL, copy)
r = tool(copy, "fps=8", "note=checked")
(h0, d0), (h1, d1) = read(MODEL), read(copy)
check(r.returncode == 0 and d0 == d1 and h1["__metadata__"]["note"] == "checked" and
      {k: v for k, v in h0.items() if k != "__metadata__"} == {k: v for k, v in h1.items() if k != "__metadata__"},
      f"metadata set, tensors byte-identical: {r.stderr.strip()!r}")
r = subprocess.run([AVACT, "info", "-m", copy], capture_output=True, text=True)
check(r.returncode == 0, f"the rewritten file loads: {r.stderr.strip()!r}")

junk = os.path.join(OUT, "junk.safetensors")
with open(junk, "w") as f:
    f.write("not a model\n")
before = digest(junk)
for what, args, code in [("missing file", [os.path.join(OUT, "none.safetensors"), "a=1"], 1),
                         ("not a safetensors file", [junk, "a=1"], 1), ("no KEY=VALUE", [junk], 2),
                         ("empty key", [junk, "=1"], 2)]:
    r = tool(*args)
    check(r.returncode == code and len(r.stderr.strip().splitlines()) == 1,
          f"{what}: exit {r.returncode}, stderr {r.stderr.strip()!r}")
check(digest(junk) == before and sorted(os.listdir(OUT)) == ["junk.safetensors", "m.safetensors"],
      "a refused file is untouched and no temporary is left")
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
