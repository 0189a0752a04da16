"""Model files written from Python, read by test_safetensors_py.c.

argv[1] (numpy + json via st.py): tensors of several ranks whose values follow
a formula exact in float32 (the C test recomputes it), special values, and
metadata with non-ASCII text; plus, as "torch.<name>", the float32 values of a
small PyTorch model's state_dict.

Beside it, the same state_dict saved with torch.save and converted by
tools/pth2st.py:
  <base>.torch.safetensors  from a plain state_dict (with a float64 and a
                            float16 buffer, and num_batches_tracked)
  <base>.dp.safetensors     from a {"epoch", "state_dict"} checkpoint whose
                            names carry DataParallel's "module." prefix
The converter's refusals (an int64 tensor, missing --arch, a missing input)
and --help are checked here, through its main(argv) in this process; a
failure makes this reference step fail."""
import contextlib
import importlib.util
import io
import os
import sys

import numpy as np
import torch

import st

torch.manual_seed(0)
out = sys.argv[1]
base = out[: -len(".safetensors")] if out.endswith(".safetensors") else out
converter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "pth2st.py")


def formula(t, shape):
    """Value of element i of tensor t: a dyadic rational, exact in float32.
    test_safetensors_py.c computes the same."""
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64)
    v = ((i * 37 + 11 * t) % 101 - 50).astype(np.float64) * np.exp2((i % 9) - 4) / 8
    return v.astype(np.float32).reshape(shape)


# No 0-d tensor here: st.save writes 0-d arrays as shape [1] (np.ascontiguousarray);
# 0-d tensors are covered by tests/unit/test_safetensors.c.
SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 2, 2), (1,), (4, 1, 1, 1)]
tensors = {f"f{t}": formula(t, s) for t, s in enumerate(SHAPES)}
specials = np.array([0.0, -0.0, 1.0, -1.0, np.float32(1e-45), np.finfo(np.float32).max,
                     np.finfo(np.float32).tiny, np.inf, -np.inf, np.nan], dtype=np.float32)
tensors["specials"] = specials


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.video = torch.nn.Conv3d(8, 2, (3, 1, 1), bias=False)
        self.fc = torch.nn.Linear(8, 4)
        self.register_buffer("scale64", torch.randn(4, dtype=torch.float64))
        self.register_buffer("scale16", torch.randn(2, 3).half())


m = Tiny()
with torch.no_grad():  # non-trivial batch-norm statistics and affine parameters
    m.bn.running_mean.uniform_(-1, 1)
    m.bn.running_var.uniform_(0.5, 2)
    m.bn.weight.uniform_(0.5, 1.5)
    m.bn.bias.uniform_(-0.5, 0.5)
    m.bn.num_batches_tracked += 7
sd = m.state_dict()
for k, v in sd.items():
    if v.is_floating_point():
        tensors[f"torch.{k}"] = v.float().numpy()

st.save(out, tensors, {"avs.arch": "py_raw", "hop": 160, "note": "ünïcode, \"quotes\" and \\ backslash",
                       "empty": ""})


# The converter runs in this process (one torch import instead of one per call).
spec = importlib.util.spec_from_file_location("pth2st", converter)
pth2st = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pth2st)


def convert(*args, expect_rc=0):
    """Runs pth2st's command line; returns (stdout, stderr) after checking its exit status."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = pth2st.main(list(args))
        except SystemExit as e:  # argparse: --help (0) and usage errors (2)
            rc = e.code
    if rc != expect_rc:
        sys.exit(f"pth2st {' '.join(args)}: exit {rc}, expected {expect_rc}\n{out.getvalue()}{err.getvalue()}")
    return out.getvalue(), err.getvalue()


torch.save(sd, base + ".torch.pth")
convert("--arch", "py_tiny", "--meta", "classes=4", "--meta", "sample_rate=11025",
        base + ".torch.pth", base + ".torch.safetensors")
torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in sd.items()}}, base + ".dp.pth")
convert("-q", "--arch", "py_tiny", base + ".dp.pth", base + ".dp.safetensors")

# Refusals: one line on stderr naming the problem, exit 1 (2 for usage), no output file.
bad = dict(sd)
bad["index"] = torch.arange(5)
torch.save(bad, base + ".int.pth")
_, err = convert("--arch", "py_tiny", base + ".int.pth", base + ".int.safetensors", expect_rc=1)
assert err.strip().count("\n") == 0 and "'index'" in err and "int64" in err, err
assert not os.path.exists(base + ".int.safetensors"), "a refused conversion left a file"
_, err = convert(base + ".torch.pth", base + ".noarch.safetensors", expect_rc=2)
assert "--arch" in err, err
out_text, _ = convert("--help")
assert "--arch" in out_text and "--meta" in out_text, out_text
_, err = convert("--arch", "x", base + ".absent.pth", base + ".absent.safetensors", expect_rc=1)
assert "absent.pth" in err and err.strip().count("\n") == 0, err
print("pth2st: converted 2 files, refused int64 / no --arch / missing input as expected")
