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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pth2st import read_file, write_file  # noqa: E402  (the one safetensors reader and writer of tools/)


def set_meta(path, pairs):
    """Raises OSError (unreadable or unwritable) or ValueError (not a safetensors file)."""
    header, data = read_file(path)
    meta = header.pop("__metadata__", {})
    meta.update(pairs)
    write_file(path, {"__metadata__": meta, **header}, [data])


def main(argv):
    if len(argv) < 2 or any("=" not in a or a.startswith("=") for a in argv[1:]):
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        set_meta(argv[0], dict(a.split("=", 1) for a in argv[1:]))
    except (OSError, ValueError) as e:
        print(f"st_meta.py: error: {getattr(e, 'strerror', None) or e} ({argv[0]})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
