#!/usr/bin/python3
"""Inflate a 2-D checkpoint into a 3-D network (Carreira & Zisserman, "Quo Vadis,
Action Recognition?", CVPR 2017).

Every 2-D convolution kernel (O, I, kh, kw) becomes (O, I, kt, kh, kw): the
kernel repeated over kt frames and divided by kt, so that a clip of identical
frames gives the 2-D network's responses. Batch norm, linear layers and every
other tensor are copied. By default kt = kh (I3D's rule: k x k -> k x k x k);
--time-kernel overrides it per tensor.

  --from resnet     names unchanged: torchvision's resnet18 -> AVS i3d_resnet18
  --from googlenet  torchvision's GoogLeNet (Inception-v1) renamed into the I3D port's
                    names (piergiaj/pytorch-i3d, AVS arch i3d): conv1 -> Conv3d_1a_7x7,
                    inception3a -> Mixed_3b, branch2.1 -> b1b, ..., fc -> logits (1x1x1
                    conv); aux classifiers are left out

Input: safetensors (e.g. written by tools/pth2st.py) or a PyTorch .pth/.pt
state_dict. Output: safetensors with metadata avs.arch, avs.version,
avs.source, avs.inflated_from and --meta hyperparameters. The C side does the
same onto a declared model with avs_inflate_2d_to_3d (video/models/inflate.h).

Needs numpy; torch only for .pth input. Run with /usr/bin/python3."""
import argparse
import fnmatch
import json
import os
import re
import struct
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pth2st  # noqa: E402  (its .pth reader and safetensors writer)

PROG = "inflate"


class InflateError(Exception):
    pass


# ---- reading ----

def read_safetensors(path):
    """{name: float32 array} in file order, and the metadata."""
    dtypes = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
    except (OSError, struct.error, ValueError) as e:
        raise InflateError(f"{path} is not a readable safetensors file ({e})")
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        if info["dtype"] not in dtypes:
            raise InflateError(f"{path}: tensor '{name}' has dtype {info['dtype']}; float tensors only")
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[s:e], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).astype(np.float32)
    return out, meta


def read_checkpoint(path):
    if path.endswith((".pth", ".pt")):
        args = types.SimpleNamespace(unsafe=False, key=None, strip_prefix=[], drop=[])
        try:
            import torch  # noqa: F401  (pth2st needs it; fail here with a clear message)
        except ImportError:
            raise InflateError(f"PyTorch is not importable by {sys.executable}; run this with /usr/bin/python3")
        try:
            tensors, _ = pth2st.convert(pth2st.load_state_dict(args, path), args, path)
        except pth2st.ConvertError as e:
            raise InflateError(str(e))
        return dict(tensors), {}
    return read_safetensors(path)


# ---- renaming ----

GOOGLENET_BLOCKS = {"inception3a": "Mixed_3b", "inception3b": "Mixed_3c", "inception4a": "Mixed_4b",
                    "inception4b": "Mixed_4c", "inception4c": "Mixed_4d", "inception4d": "Mixed_4e",
                    "inception4e": "Mixed_4f", "inception5a": "Mixed_5b", "inception5b": "Mixed_5c"}
GOOGLENET_STEM = {"conv1": "Conv3d_1a_7x7", "conv2": "Conv3d_2b_1x1", "conv3": "Conv3d_2c_3x3"}
GOOGLENET_BRANCHES = {"branch1": "b0", "branch2.0": "b1a", "branch2.1": "b1b", "branch3.0": "b2a",
                      "branch3.1": "b2b", "branch4.1": "b3b"}


def googlenet_name(name):
    """torchvision GoogLeNet name -> I3D port name, or None to leave the tensor out."""
    if name.startswith(("aux1.", "aux2.")) or name.endswith("num_batches_tracked"):
        return None
    if name in ("fc.weight", "fc.bias"):
        return "logits.conv3d." + name.split(".")[1]
    m = re.fullmatch(r"(conv[123])\.(conv|bn)\.(\w+)", name)
    if m:
        return f"{GOOGLENET_STEM[m[1]]}.{'conv3d' if m[2] == 'conv' else 'bn'}.{m[3]}"
    m = re.fullmatch(r"(inception\d[a-e])\.(branch\d(?:\.\d)?)\.(conv|bn)\.(\w+)", name)
    if m and m[1] in GOOGLENET_BLOCKS and m[2] in GOOGLENET_BRANCHES:
        return f"{GOOGLENET_BLOCKS[m[1]]}.{GOOGLENET_BRANCHES[m[2]]}.{'conv3d' if m[3] == 'conv' else 'bn'}.{m[4]}"
    raise InflateError(f"'{name}' is not a torchvision GoogLeNet tensor")


RENAMERS = {"resnet": lambda name: None if name.endswith("num_batches_tracked") else name,
            "googlenet": googlenet_name}


# ---- inflation ----

def parse_time_kernels(rules):
    """['GLOB=K', ...] -> [(glob, K)]."""
    out = []
    for r in rules:
        glob, eq, k = r.rpartition("=")
        if not eq or not glob or not k.isdigit() or int(k) < 1:
            raise InflateError(f"--time-kernel '{r}' is not GLOB=K with K a positive integer")
        out.append((glob, int(k)))
    return out


def inflate_state(tensors, source="resnet", time_kernels=()):
    """{2-D name: array} -> {3-D name: array}. time_kernels: [(glob, kt)] matched
    against the 3-D names, first match wins; otherwise kt = kh."""
    rename = RENAMERS[source]
    out = {}
    for name, a in tensors.items():
        new = rename(name)
        if new is None:
            continue
        if a.ndim == 4:  # a 2-D conv kernel
            kt = next((k for g, k in time_kernels if fnmatch.fnmatchcase(new, g)), a.shape[2])
            a = np.repeat(a[:, :, None], kt, axis=2) / np.float32(kt)
        elif source == "googlenet" and new == "logits.conv3d.weight":  # fc -> 1x1x1 conv
            a = a.reshape(*a.shape, 1, 1, 1)
        if new in out:
            raise InflateError(f"two tensors become '{new}'")
        out[new] = np.ascontiguousarray(a, dtype=np.float32)
    if not out:
        raise InflateError("no tensors to inflate")
    return out


# ---- command line ----

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Inflate a 2-D checkpoint (safetensors or .pth) into a 3-D AVS model file: "
        "each k x k conv kernel repeated over kt frames and divided by kt, everything else copied.",
        epilog="examples:\n  /usr/bin/python3 tools/inflate.py --arch i3d_resnet18 --meta classes=1000 "
        "resnet18.safetensors i3d_resnet18.safetensors\n  /usr/bin/python3 tools/inflate.py --from googlenet "
        "--arch i3d --meta classes=1000 googlenet.pth i3d_imagenet.safetensors",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="2-D checkpoint: .safetensors, or a PyTorch .pth/.pt state_dict")
    p.add_argument("output", help="3-D safetensors to write (temporary name, then renamed)")
    p.add_argument("--arch", required=True, help="avs.arch of the output (e.g. i3d_resnet18, i3d)")
    p.add_argument("--from", dest="source", choices=sorted(RENAMERS), default="resnet",
                   help="naming of the input: resnet keeps names, googlenet renames torchvision's GoogLeNet "
                   "into I3D's (default: resnet)")
    p.add_argument("--time-kernel", action="append", default=[], metavar="GLOB=K",
                   help="temporal kernel K for the 3-D conv weights whose (output) name matches GLOB, "
                   "repeatable, first match wins (default: K = the kernel's height)")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                   help="hyperparameter stored as metadata, repeatable (default: none)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    args = p.parse_args(argv)
    meta = {}
    for kv in args.meta:
        k, eq, v = kv.partition("=")
        if not eq or not k:
            p.error(f"--meta '{kv}' is not KEY=VALUE")
        meta[k] = v
    args.meta = meta
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if not os.path.isfile(args.input):
            raise InflateError(f"cannot open {args.input}: no such file")
        tensors, _ = read_checkpoint(args.input)
        out = inflate_state(tensors, args.source, parse_time_kernels(args.time_kernel))
        meta = {"avs.arch": args.arch, "avs.version": pth2st.avs_version(),
                "avs.source": os.path.basename(args.input), "avs.inflated_from": args.source, **args.meta}
        try:
            pth2st.write_safetensors(args.output, list(out.items()), meta)
        except pth2st.ConvertError as e:
            raise InflateError(str(e))
    except InflateError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        n5 = sum(a.ndim == 5 for a in out.values())
        print(f"{PROG}: wrote {len(out)} tensors ({n5} inflated kernels) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
