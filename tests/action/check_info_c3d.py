"""`avact info -m c3d --json` against an independent count of C3D (Tran et al. 2015).

The paper's network: a 3x16x112x112 clip; eight 3x3x3 convolutions (padding 1,
so each keeps its input's T x H x W) with widths 64, 128, 256, 256, 512, 512,
512, 512; pool1 1x2x2 after conv1, 2x2x2 pools after conv2, conv3b, conv4b and
conv5b (pool5 padded (0,1,1): 512x1x4x4 = 8192); fc6 8192->4096, fc7 4096->4096,
fc8 4096->487. Multiply-adds of a convolution: out_channels * T*H*W * in_channels * 27.
Checks: the conv total exactly (about 38.5 G), every conv row, the fc rows, the
parameter total and the pool5 output size. --profile (issue 14): the same
rows, each with a time; the totals are the rows' sums; the JSON names the
precision (fp32 and bf16); --profile without a model is a usage error.
Usage: check_info_c3d.py AVACT."""
import json
import subprocess
import sys


def expected():
    convs, size, prev = [], [16, 112, 112], 3
    plan = [("conv1", 64, (1, 2, 2)), ("conv2", 128, (2, 2, 2)), ("conv3a", 256, None), ("conv3b", 256, (2, 2, 2)),
            ("conv4a", 512, None), ("conv4b", 512, (2, 2, 2)), ("conv5a", 512, None), ("conv5b", 512, "pool5")]
    params = 0
    for name, width, pool in plan:
        convs.append((name, width * size[0] * size[1] * size[2] * prev * 27))
        params += width * prev * 27 + width
        prev = width
        if pool == "pool5":
            size = [size[0] // 2, (size[1] + 2) // 2, (size[2] + 2) // 2]  # padding (0,1,1), kernel 2, stride 2
        elif pool:
            size = [s // k for s, k in zip(size, pool)]
    flat = prev * size[0] * size[1] * size[2]
    fcs = [("fc6", flat, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 487)]
    params += sum(i * o + o for _, i, o in fcs)
    return convs, fcs, params, [prev] + size


# oneDNN's avx512_core: F, BW, VL and DQ.
AVX512 = any(line.startswith("flags") and all(f" avx512{x}" in line for x in ("f", "bw", "vl", "dq"))
             for line in open("/proc/cpuinfo"))


def check_profile(plain):
    fails = []
    for precision in ("fp32", "bf16"):
        r = subprocess.run([sys.argv[1], "info", "-m", "c3d", "--json", "--profile", "--runs", "1", "--precision",
                            precision], capture_output=True, text=True)
        if precision == "bf16" and not AVX512:
            # The library's bf16 path needs AVX-512 (av/ops/dnnl_backend.c): one clear line.
            if r.returncode != 1 or r.stderr.strip().count("\n") or "bf16 needs a CPU with AVX-512" not in r.stderr:
                fails.append(f"--precision bf16 on a CPU without AVX-512: exit {r.returncode}, {r.stderr.strip()!r}")
            else:
                print(f"ok   --profile bf16 refused on this CPU without AVX-512: {r.stderr.strip()}")
            continue
        if r.returncode:
            return [f"--profile --precision {precision} exited {r.returncode}: {r.stderr.strip()}"]
        got = json.loads(r.stdout)
        rows = got["layers"]
        if [(x["name"], x["macs"]) for x in rows] != [(x["name"], x["macs"]) for x in plain["layers"]]:
            fails.append(f"--profile {precision}: the rows differ from the plain table")
        if not all(x["ms"] > 0 for x in rows):
            fails.append(f"--profile {precision}: a row without a positive time")
        conv_ms = sum(x["ms"] for x in rows if x["kind"].startswith("conv"))
        if abs(sum(x["ms"] for x in rows) - got["ms"]) > 1e-6 * got["ms"] or abs(conv_ms - got["conv_ms"]) > 1e-6 * got["ms"]:
            fails.append(f"--profile {precision}: totals {got['ms']}, {got['conv_ms']} are not the rows' sums")
        if got.get("precision") != precision:
            fails.append(f"--profile: precision {got.get('precision')}, asked {precision}")
        print(f"ok   --profile {precision}: {got['ms']:.1f} ms per clip, convolutions {got['conv_ms']:.1f} ms")
    r = subprocess.run([sys.argv[1], "info", "--profile"], capture_output=True, text=True)
    if r.returncode != 2 or "needs --model" not in r.stderr:
        fails.append(f"--profile without a model: exit {r.returncode}, {r.stderr.strip()!r}")
    return fails


def main():
    out = subprocess.run([sys.argv[1], "info", "-m", "c3d", "--json"], capture_output=True, text=True)
    if out.returncode:
        print(f"FAIL avact info exited {out.returncode}: {out.stderr.strip()}")
        return 1
    got = json.loads(out.stdout)
    rows = {r["name"]: r for r in got["layers"]}
    convs, fcs, params, pool5 = expected()
    conv_total = sum(m for _, m in convs)
    fails = []
    for name, macs in convs:
        if rows.get(name, {}).get("macs") != macs:
            fails.append(f"{name}: {rows.get(name, {}).get('macs')} multiply-adds, expected {macs}")
    for name, i, o in fcs:
        if rows.get(name, {}).get("macs") != i * o or rows.get(name, {}).get("params") != i * o + o:
            fails.append(f"{name}: {rows.get(name)}, expected {i * o} multiply-adds and {i * o + o} parameters")
    if got["conv_macs"] != conv_total:
        fails.append(f"conv total {got['conv_macs']}, expected {conv_total}")
    if not 38.4e9 < conv_total < 38.6e9:
        fails.append(f"independent conv total {conv_total} is not about 38.5 G")
    if got["params"] != params:
        fails.append(f"parameters {got['params']}, expected {params}")
    shape = rows.get("pool5", {}).get("shape")  # (N, T, H, W, C)
    if not shape or [shape[4]] + shape[1:4] != pool5:
        fails.append(f"pool5 output {shape}, expected C,T,H,W {pool5}")
    fails += check_profile(got)
    for f in fails:
        print("FAIL", f)
    print(f"{'ok  ' if not fails else 'FAIL'} C3D conv multiply-adds {got['conv_macs'] / 1e9:.3f} G "
          f"(independent count {conv_total / 1e9:.3f} G), parameters {got['params']} (expected {params})")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
