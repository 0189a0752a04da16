#!/usr/bin/python3
"""Set metadata keys of a safetensors file in place, tensors byte-identical.

  tools/st_meta.py MODEL.safetensors KEY=VALUE [KEY=VALUE ...]

Rewrites only the JSON header: "__metadata__" gets (or replaces) each KEY with
its string VALUE; tensor entries keep their order and offsets (they count from
the end of the header), the header is padded with spaces to a multiple of 8
bytes, and the data section is copied unchanged. The file is replaced
atomically. Used to record facts about a shipped model that were known but not
written when it was trained (e.g. fps, the frame rate of its training clips),
without retraining it. Needs only the Python standard library."""
import json
import os
import struct
import sys


def set_meta(path, pairs):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    meta.update(pairs)
    header = {"__metadata__": meta, **header}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 2 or any("=" not in a or a.startswith("=") for a in argv[1:]):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    set_meta(argv[0], dict(a.split("=", 1) for a in argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
