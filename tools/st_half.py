#!/usr/bin/python3
"""Store a model's float32 tensors in half precision (F16): half the bytes.

  tools/st_half.py IN.safetensors OUT.safetensors

The loader widens F16 tensors back to float32 on opening (docs/FORMAT.md), so
the arithmetic is unchanged; only the weights are rounded (to nearest even, 11
significant bits). Refused, with nothing written: a value beyond F16's range
(65504), and a tensor whose rounding error exceeds 1e-3 of its largest
magnitude (the flush of tiny values to zero in a tensor of large ones does
not count). Metadata are kept. Prints the largest relative error. Needs only
the Python standard library. Used for the shipped models whose float32 files
would be above a few MB (scripts/train_speech.sh)."""
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pth2st import read_file, write_file  # noqa: E402  (the one safetensors reader and writer of tools/)


def halve(src, dst):
    header, data = read_file(src)
    meta = header.pop("__metadata__", {})
    out, blobs, offset, worst = {"__metadata__": meta}, [], 0, 0.0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = e["data_offsets"]
        if e["dtype"] == "F32":
            vals = struct.unpack(f"<{(b - a) // 4}f", data[a:b])
            try:
                blob = struct.pack(f"<{len(vals)}e", *vals)
            except (OverflowError, struct.error):
                raise ValueError(f"tensor '{name}' holds a value beyond half precision's range") from None
            back = struct.unpack(f"<{len(vals)}e", blob)
            scale = max((abs(v) for v in vals if math.isfinite(v)), default=0.0)
            err = max((abs(x - y) for x, y in zip(vals, back) if math.isfinite(x)), default=0.0)
            rel = err / scale if scale > 0 else 0.0
            if rel > 1e-3:
                raise ValueError(f"tensor '{name}' loses {rel:.2g} of its scale in half precision")
            worst = max(worst, rel)
            dtype = "F16"
        else:
            blob, dtype = data[a:b], e["dtype"]
        out[name] = {"dtype": dtype, "shape": e["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    write_file(dst, out, blobs)
    return worst


def main(argv):
    if len(argv) != 2:
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        worst = halve(argv[0], argv[1])
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"st_half.py: error: {getattr(e, 'strerror', None) or e} ({argv[0]})", file=sys.stderr)
        return 1
    print(f"{argv[1]}: {os.path.getsize(argv[1])} bytes (was {os.path.getsize(argv[0])}); "
          f"largest rounding error {worst:.2g} of a tensor's scale")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
