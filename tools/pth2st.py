#!/usr/bin/python3
"""Convert a PyTorch checkpoint (.pth / .pt state_dict) into an AVS model file.

The output is safetensors (see docs/FORMAT.md): float32 tensors under their
PyTorch state_dict names and shapes, in PyTorch's weight order, and string
metadata avs.arch, avs.version, avs.source plus any --meta key=value
hyperparameters. Loading it in C (avs_params_load) checks every name and shape
against the architecture's table.

Several inputs merge into one model file (their names must not collide): Sound
of Pixels keeps its three nets in three checkpoints, and `--arch sop
sound_best.pth frame_best.pth synthesizer_best.pth sop.safetensors` writes them
as one model, with the hyperparameters its tensors fix (ngf, num_downs,
channels, frame_width) read from their shapes. Co-Separation's three
checkpoints, `--arch cosep visual_best.pth unet_best.pth classifier_best.pth
cosep.safetensors` in that order, are put under the prefixes net_visual.,
net_unet. and net_classifier. (AudioVisualModel's attributes); each ResNet's
conv1.weight, registered twice by the reference, is kept once as
feature_extraction.0.weight.

Needs Debian's torch: run it with /usr/bin/python3."""
import argparse
import fnmatch
import json
import os
import re
import struct
import sys

MAX_DIMS = 5  # AVS_MAX_DIMS in av/tensor.h
PROG = "pth2st"


class ConvertError(Exception):
    pass


def avs_version():
    """The project version from CMakeLists.txt beside tools/, else '0'."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "CMakeLists.txt")
    try:
        with open(top) as f:
            m = re.search(r"project\(\s*avs\s+VERSION\s+([0-9.]+)", f.read())
        return m.group(1) if m else "0"
    except OSError:
        return "0"


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a PyTorch state_dict (.pth) into an AVS safetensors model file: "
        "float32 tensors under their state_dict names, PyTorch weight order, metadata "
        "avs.arch/avs.version/avs.source and --meta hyperparameters. "
        "BatchNorm's num_batches_tracked counters are dropped; float64/float16/bfloat16 "
        "tensors become float32; other non-float tensors are refused unless --drop names them.",
        epilog="examples: /usr/bin/python3 tools/pth2st.py --arch r2plus1d_18 --meta classes=400 "
        "r2plus1d_18.pth data/r2plus1d_18.safetensors;  /usr/bin/python3 tools/pth2st.py --arch sop "
        "sound_best.pth frame_best.pth synthesizer_best.pth sop.safetensors;  /usr/bin/python3 tools/pth2st.py "
        "--arch cosep --meta crop=224 visual_best.pth unet_best.pth classifier_best.pth cosep.safetensors",
    )
    p.add_argument("input", nargs="+", help="PyTorch file written by torch.save (a state_dict, a checkpoint "
                   "dict holding one, or a whole nn.Module with --unsafe); several are merged into one "
                   "model (--arch sop: its sound, frame and synthesizer checkpoints; --arch cosep: its visual, "
                   "U-Net and classifier checkpoints)")
    p.add_argument("output", help="safetensors file to write (written to a temporary name, then renamed)")
    p.add_argument("--arch", required=True, help="architecture name stored as avs.arch (required; "
                   "avs_params_load refuses a file whose avs.arch differs from the model's)")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                   help="hyperparameter stored as metadata, repeatable (default: none)")
    p.add_argument("--key", default=None,
                   help="entry of a checkpoint dict holding the state_dict (default: the dict itself "
                   "if it holds tensors, else the first of 'state_dict', 'model_state_dict', 'model', "
                   "'net' that is present)")
    p.add_argument("--strip-prefix", action="append", default=[], metavar="PREFIX",
                   help="remove PREFIX from the start of tensor names, repeatable (default: 'module.' "
                   "when every name starts with it, as DataParallel saves)")
    p.add_argument("--drop", action="append", default=[], metavar="PATTERN",
                   help="leave out tensors whose name matches this shell pattern, repeatable "
                   "(default: only '*num_batches_tracked')")
    p.add_argument("--unsafe", action="store_true",
                   help="unpickle arbitrary objects (only for files you trust; default: tensors and "
                   "plain containers only, torch.load(weights_only=True))")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success (default: a summary on stderr)")
    args = p.parse_args(argv)
    meta = {}
    for kv in args.meta:
        if "=" not in kv or kv.startswith("="):
            p.error(f"--meta expects KEY=VALUE, got '{kv}'")
        k, v = kv.split("=", 1)
        if k.startswith("avs."):
            p.error(f"--meta key '{k}': the avs. prefix is reserved (use --arch for avs.arch)")
        meta[k] = v
    args.meta = meta
    if not args.arch.strip():
        p.error("--arch must not be empty")
    return args


def load_state_dict(args, path):
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=not args.unsafe)
    except Exception as e:  # torch raises many kinds on foreign or damaged files
        text = str(e).strip()
        if not args.unsafe and "weights_only" in text:
            m = re.search(r"Unsupported (?:class|operand) (\S+)", text)
            what = f" ({m.group(1)})" if m else ""
            raise ConvertError(f"{path} holds objects other than tensors{what}; if you trust the file, "
                               "rerun with --unsafe")
        msg = f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__
        raise ConvertError(f"{path} is not a readable PyTorch file ({msg})")

    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError(f"{path} holds a {type(obj).__name__}, not a state_dict")
    if args.key is not None:
        if args.key not in obj:
            raise ConvertError(f"{path} has no entry '{args.key}' (entries: {', '.join(map(str, obj))})")
        obj = obj[args.key]
    elif not any(isinstance(v, torch.Tensor) for v in obj.values()):
        for k in ("state_dict", "model_state_dict", "model", "net"):
            if isinstance(obj.get(k), (dict, torch.nn.Module)):
                obj = obj[k]
                break
        else:
            raise ConvertError(f"{path} holds no tensors at its top level; name the entry holding "
                               f"the state_dict with --key (entries: {', '.join(map(str, obj))})")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError(f"{path}: the state_dict is a {type(obj).__name__}, not a dict")
    return obj


def convert(sd, args, path):
    """(name, float32 little-endian numpy array) list in state_dict order, and the dropped names."""
    import numpy as np
    import torch

    names = [str(k) for k in sd]
    prefixes = list(args.strip_prefix)
    if not prefixes and names and all(n.startswith("module.") for n in names):
        prefixes = ["module."]
    drop = ["*num_batches_tracked"] + list(args.drop)
    out, dropped, seen = [], [], set()
    for key, t in sd.items():
        name = str(key)
        for pre in prefixes:
            if name.startswith(pre):
                name = name[len(pre):]
                break
        if any(fnmatch.fnmatchcase(name, pat) for pat in drop):
            dropped.append(name)
            continue
        if not isinstance(t, torch.Tensor):
            raise ConvertError(f"entry '{name}' is a {type(t).__name__}, not a tensor (leave it out with --drop '{name}')")
        if t.is_sparse or t.is_quantized:
            raise ConvertError(f"tensor '{name}' is {'sparse' if t.is_sparse else 'quantized'}; "
                               "only dense tensors can be converted")
        if not t.is_floating_point():
            raise ConvertError(f"tensor '{name}' has dtype {str(t.dtype).replace('torch.', '')}, which cannot be "
                               f"converted to float32 (leave it out with --drop '{name}')")
        if t.dim() > MAX_DIMS:
            raise ConvertError(f"tensor '{name}' has {t.dim()} dimensions, AVS supports at most {MAX_DIMS}")
        if name in seen:
            raise ConvertError(f"two tensors are named '{name}' after stripping prefixes {prefixes}")
        seen.add(name)
        a = t.detach().cpu().to(torch.float32).contiguous().numpy().astype("<f4", copy=False)
        if t.dtype == torch.float64 and not np.all(np.isfinite(a) == np.isfinite(t.detach().cpu().numpy())):
            raise ConvertError(f"tensor '{name}' has float64 values outside float32's range")
        out.append((name, a))
    if not out:
        raise ConvertError(f"{path}: no tensors left to convert")
    return out, dropped


def merge(parts):
    """The (tensors, dropped) of several inputs, in input order, as one; names must not collide."""
    tensors, dropped, origin = [], [], {}
    for path, (t, d) in parts:
        for name, a in t:
            if name in origin:
                raise ConvertError(f"tensor '{name}' is in both {origin[name]} and {path}")
            origin[name] = path
            tensors.append((name, a))
        dropped += d
    return tensors, dropped


def sop_hparams(tensors):
    """Sound of Pixels (fusion/sop.h): the hyperparameters the tensors fix."""
    shapes = {n: a.shape for n, a in tensors}
    parts = {"sound net (sound_best.pth)": "unet_block.model.0.weight", "frame net (frame_best.pth)":
             "features.0.weight", "synthesizer (synthesizer_best.pth)": "scale"}
    missing = [what for what, name in parts.items() if name not in shapes]
    if missing or "unet_block.model.4.weight" not in shapes or "fc.weight" not in shapes:
        raise ConvertError("--arch sop merges the sound net, frame net and synthesizer; missing: "
                           + ", ".join(missing or ["unet_block.model.4.weight / fc.weight"]))
    k = shapes["unet_block.model.4.weight"][0]
    if shapes["fc.weight"][0] != k or shapes["scale"][0] != k:
        raise ConvertError(f"the nets disagree on fc_dim: sound {k}, frame {shapes['fc.weight'][0]}, "
                           f"synthesizer {shapes['scale'][0]} (files of different models?)")
    # level l of the U-Net is nested l deep: unet_block.model.1.model.3.model...
    levels = max(n.count(".model") for n in shapes if n.startswith("unet_block."))
    return {"ngf": shapes["unet_block.model.0.weight"][0], "num_downs": levels, "channels": k,
            "frame_width": shapes["features.0.weight"][0]}


COSEP_PARTS = (("net_visual.", "visual net (visual_best.pth)"), ("net_unet.", "U-Net (unet_best.pth)"),
               ("net_classifier.", "classifier (classifier_best.pth)"))


def cosep_parts(parts):
    """Co-Separation (fusion/cosep.h): the three inputs under their nets' prefixes, each
    ResNet's conv1.weight (the same tensor as its feature_extraction.0.weight) dropped."""
    import numpy as np

    if len(parts) != len(COSEP_PARTS):
        raise ConvertError(f"--arch cosep merges three checkpoints, in this order: "
                           f"{', '.join(what for _, what in COSEP_PARTS)}; got {len(parts)}")
    out = []
    for (prefix, _), (path, (tensors, dropped)) in zip(COSEP_PARTS, parts):
        names = dict(tensors)
        kept = []
        for name, a in tensors:
            twin = names.get("feature_extraction.0.weight")
            if name == "conv1.weight" and twin is not None:
                if not np.array_equal(a, twin):
                    raise ConvertError(f"{path}: conv1.weight differs from feature_extraction.0.weight, "
                                       "the reference's one conv1")
                dropped.append(prefix + name)
                continue
            kept.append((prefix + name, a))
        out.append((path, (kept, dropped)))
    return out


def cosep_hparams(tensors):
    """Co-Separation: the hyperparameters the tensors fix."""
    shapes = {n: a.shape for n, a in tensors}
    parts = {COSEP_PARTS[0][1]: "net_visual.feature_extraction.0.weight",
             COSEP_PARTS[1][1]: "net_unet.audionet_convlayer1.0.weight",
             COSEP_PARTS[2][1]: "net_classifier.fc.weight"}
    missing = [what for what, name in parts.items() if name not in shapes]
    if not missing and shapes["net_visual.feature_extraction.0.weight"][1] != 3:
        missing = [COSEP_PARTS[0][1] + " (its conv1 must take 3 channels)"]
    if missing or "net_classifier.feature_extraction.0.weight" not in shapes:
        raise ConvertError("--arch cosep merges the visual net, U-Net and classifier in that order; missing: "
                           + ", ".join(missing or [COSEP_PARTS[2][1]]))
    conv1x1 = "net_visual.conv1x1.0.weight" in shapes
    hp = {"ngf": shapes["net_unet.audionet_convlayer1.0.weight"][0],
          "downs": sum(1 for n in shapes if n.startswith("net_unet.audionet_convlayer") and n.endswith(".0.weight")),
          "visual_width": shapes["net_visual.feature_extraction.0.weight"][0],
          "conv1x1": "true" if conv1x1 else "false",
          "classes": shapes["net_classifier.fc.weight"][0],
          "classifier_width": shapes["net_classifier.feature_extraction.0.weight"][0]}
    if conv1x1:
        hp["visual_dim"] = shapes["net_visual.fc.weight"][0]
    return hp


ARCH_HPARAMS = {"sop": sop_hparams, "cosep": cosep_hparams}  # hyperparameters read from the tensors, by --arch
ARCH_PARTS = {"cosep": cosep_parts}  # how several inputs are named before they merge, by --arch


def hparams(args, tensors):
    """--meta with what the architecture's tensors fix; a --meta value contradicting them is an error."""
    meta = dict(args.meta)
    for k, v in ARCH_HPARAMS.get(args.arch, lambda t: {})(tensors).items():
        if k in meta and meta[k] != str(v):
            raise ConvertError(f"--meta {k}={meta[k]}, but the tensors have {k} {v}")
        meta[k] = str(v)
    return meta


def read_file(path):
    """A safetensors file's header (dict) and data section (bytes); OSError when it
    cannot be read, ValueError when it is not a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read(8)
        n = struct.unpack("<Q", raw)[0] if len(raw) == 8 else -1
        if not 2 <= n <= 100_000_000:
            raise ValueError("not a safetensors file (bad header length)")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("not a safetensors file (its header is not JSON)") from None
        if not isinstance(header, dict):
            raise ValueError("not a safetensors file (its header is not a JSON object)")
        return header, f.read()


def write_file(path, header, blobs):
    """A safetensors file from its header (dict) and its data (bytes-likes in
    header order), atomically; OSError when it cannot be written."""
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)  # data starts 8-byte aligned
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_safetensors(path, tensors, metadata):
    header, offset = {"__metadata__": {k: str(v) for k, v in metadata.items()}}, 0
    for name, a in tensors:
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    try:
        write_file(path, header, (a.tobytes() for _, a in tensors))
    except OSError as e:
        raise ConvertError(f"cannot write {path}: {e.strerror or e}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        for path in args.input:  # before the slow torch import
            if not os.path.isfile(path):
                raise ConvertError(f"cannot open {path}: "
                                   f"{'is a directory' if os.path.isdir(path) else 'no such file'}")
        try:
            import torch  # noqa: F401
        except ImportError:
            raise ConvertError(f"PyTorch is not importable by {sys.executable}; run this with /usr/bin/python3")
        parts = [(path, convert(load_state_dict(args, path), args, path)) for path in args.input]
        tensors, dropped = merge(ARCH_PARTS.get(args.arch, lambda p: p)(parts))
        meta = {"avs.arch": args.arch, "avs.version": avs_version(),
                "avs.source": "+".join(os.path.basename(path) for path in args.input), **hparams(args, tensors)}
        write_safetensors(args.output, tensors, meta)
    except ConvertError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        numel = sum(a.size for _, a in tensors)
        print(f"{PROG}: wrote {len(tensors)} tensors ({numel} values) to {args.output}"
              + (f", left out {len(dropped)}: {', '.join(dropped)}" if dropped else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
