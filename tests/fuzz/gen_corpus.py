#!/usr/bin/env python3
"""Makes the broken-input corpus of the fuzz test (tests/fuzz/run_fuzz.py), deterministically
from --seed: the same seed, count and tools make the same files.

    gen_corpus.py --out DIR --source SRC [--seed N] [--count N] [--models N]

SRC is the source tree (its data/models and data/samples are the valid starting points).
Under DIR:
  media/   small valid seeds made with the ffmpeg CLI (MP4 h264+aac, MKV mpeg4+vorbis, WAV,
           MP3, PNG) and the sample sets' clips, then --count mutants of each kind:
           truncated, bit-flipped, header-zeroed (first 16..4096 bytes), a zeroed range
  wav/     hand-built WAVs with bad headers (7-bit, 0 channels, 0 Hz, data size past the end,
           no data chunk, float NaN/Inf samples, 1 sample, DC) and WAV mutants
  models/  the shipped action/sep/loc models with broken headers (length, JSON, duplicate
           keys, NUL/garbage padding), bad offsets (overlap, past the end, float, negative),
           bad shapes and dtypes, NaN/Inf weights, wrong or unknown architectures,
           absurd hyperparameters, bad labels, a missing tensor, truncated data
  sets/    copies of data/samples/{actions,music} (music: its val clip moved to train),
           broken one way each (meta.json garbage or a folder, empty or garbage manifests,
           paths leaving the set, text or truncated videos, missing or wrong-rate stems,
           classes out of range, no objects)
  index.json  every file made, by kind (what run_fuzz.py reads)

Python stdlib only; ffmpeg makes the media seeds (scripts/setup.sh --test installs it).
"""
import argparse
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys


# ---------------------------------------------------------------- byte mutations

def truncate(data, rng):
    return data[: rng.randrange(0, max(1, len(data)))]


def bitflip(data, rng):
    b = bytearray(data)
    for _ in range(rng.choice([1, 4, 16, 64])):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def zero_header(data, rng):
    n = min(len(data), rng.choice([16, 64, 512, 4096]))
    return bytes(n) + data[n:]


def zero_range(data, rng):
    i = rng.randrange(len(data))
    n = rng.choice([64, 1024, 16384])
    return data[:i] + bytes(min(n, len(data) - i)) + data[i + n:]


MUTATORS = [truncate, bitflip, zero_header, zero_range]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


# ---------------------------------------------------------------- media seeds

def ffmpeg(*args):
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True)


def media_seeds(dirpath, src):
    """Small valid files of each container; the sample clips as well."""
    os.makedirs(dirpath, exist_ok=True)
    v = ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=8:duration=1.5"]
    a = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=11025:duration=1.5"]
    exact = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]
    seeds = {}
    p = os.path.join(dirpath, "seed.mp4")
    ffmpeg(*v, *a, "-c:v", "libx264", "-threads", "1", "-pix_fmt", "yuv420p", "-g", "4",
           "-c:a", "aac", "-shortest", *exact, p)
    seeds["mp4"] = p
    p = os.path.join(dirpath, "seed.mkv")
    ffmpeg(*v, *a, "-c:v", "mpeg4", "-c:a", "libvorbis", "-shortest", *exact, p)
    seeds["mkv"] = p
    p = os.path.join(dirpath, "seed.wav")
    ffmpeg(*a, "-c:a", "pcm_s16le", *exact, p)
    seeds["wav"] = p
    p = os.path.join(dirpath, "seed.mp3")
    ffmpeg(*a, "-c:a", "libmp3lame", *exact, p)
    seeds["mp3"] = p
    p = os.path.join(dirpath, "seed.png")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=1:duration=1", "-frames:v", "1", *exact, p)
    seeds["png"] = p
    for name, rel in [("action.mp4", "actions/clips/actions_test_000000/video.mp4"),
                      ("music.mp4", "music/clips/music_test_000000/video.mp4")]:
        p = os.path.join(dirpath, "seed_" + name)
        shutil.copyfile(os.path.join(src, "data/samples", rel), p)
        seeds[name.replace(".", "_")] = p
    return seeds


def media_mutants(dirpath, seeds, rng, count):
    out = []
    names = sorted(seeds)
    for i in range(count):
        name = names[i % len(names)]
        mut = MUTATORS[(i // len(names)) % len(MUTATORS)]
        with open(seeds[name], "rb") as f:
            data = f.read()
        ext = os.path.splitext(seeds[name])[1]
        out.append(write(os.path.join(dirpath, f"{i:03d}_{name}_{mut.__name__}{ext}"), mut(data, rng)))
    return out


# ---------------------------------------------------------------- WAVs with bad headers

def wav(fmt=1, channels=1, rate=11025, bits=16, samples=None, data=None, data_size=None,
        block_align=None, fmt_size=16, with_data=True, riff_size=None):
    if data is None:
        n = 2000 if samples is None else samples
        data = b"".join(struct.pack("<h", int(8000 * math.sin(k / 5))) for k in range(n))
    if block_align is None:
        block_align = channels * max(bits, 8) // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block_align & 0xFFFFFFFF,
                            block_align & 0xFFFF, bits)
    fmt_chunk += bytes(max(0, fmt_size - 16))
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt_chunk
    if with_data:
        body += b"data" + struct.pack("<I", len(data) if data_size is None else data_size) + data
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def f32(values):
    return b"".join(struct.pack("<f", v) for v in values)


def bad_wavs():
    """(name, bytes): one broken header field each, and degenerate signals."""
    nan, inf = float("nan"), float("inf")
    return [
        ("bits7", wav(bits=7)), ("bits0", wav(bits=0)), ("bits64_pcm", wav(bits=64)),
        ("bits12", wav(bits=12)), ("channels0", wav(channels=0, block_align=2)),
        ("channels65535", wav(channels=65535, block_align=2)), ("rate0", wav(rate=0)),
        ("rate_huge", wav(rate=0x7FFFFFFF)), ("data_past_end", wav(data_size=0x7FFFFFF0)),
        ("data_size0", wav(data_size=0)), ("no_data_chunk", wav(with_data=False)),
        ("fmt_size_huge", wav(fmt_size=16)[:16] + struct.pack("<I", 0xFFFFFFF0) + wav()[20:]),
        ("block_align0", wav(block_align=0)), ("riff_size0", wav(riff_size=0)),
        ("fmt_tag_unknown", wav(fmt=0x1234)), ("float16bit", wav(fmt=3, bits=16)),
        ("float_nan", wav(fmt=3, bits=32, data=f32([nan] * 500))),
        ("float_inf", wav(fmt=3, bits=32, data=f32([inf, -inf] * 250))),
        ("float_mixed_nan", wav(fmt=3, bits=32, data=f32([0.1, nan, -0.2, inf] * 250))),
        ("one_sample", wav(samples=1)), ("empty", wav(samples=0)),
        ("dc", wav(data=struct.pack("<h", 1000) * 2000)),
        ("tiny", wav(fmt=3, bits=32, data=f32([1e-40] * 2000))),
        ("header_only", wav()[:44]), ("riff_only", b"RIFF"), ("zero_bytes", b""),
    ]


# ---------------------------------------------------------------- model files

def st_read(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def st_bytes(header_text, body):
    h = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(h)) + h + body


def st_dump(header, body):
    return st_bytes(json.dumps(header, separators=(",", ":")), body)


def first_tensor(header):
    return next(k for k in header if k != "__metadata__")


def with_meta(header, **kv):
    h = json.loads(json.dumps(header))
    h["__metadata__"].update({k: str(v) for k, v in kv.items()})
    return h


def fill(header, body, value):
    """The largest tensor's bytes all set to value (NaN, Inf)."""
    name = max((k for k in header if k != "__metadata__"),
               key=lambda k: header[k]["data_offsets"][1] - header[k]["data_offsets"][0])
    a, b = header[name]["data_offsets"]
    return body[:a] + struct.pack("<f", value) * ((b - a) // 4) + body[b:]


def model_cases(header, body, kind):
    """(name, bytes) for one model: structural breaks and bad metadata."""
    t = first_tensor(header)
    raw = json.dumps(header, separators=(",", ":"))
    big = 2147483647
    other_arch = {"action": "sop", "sep": "senocak", "loc": "two_stream"}[kind]
    hp = {"action": ["frames", "height", "width", "classes", "channels"],
          "sep": ["ngf", "num_downs", "frames", "freq", "time", "height", "width"],
          "loc": ["width", "size", "rate", "samples", "audio_width"]}[kind]

    def edit(fn):
        h = json.loads(raw)
        fn(h)
        return st_dump(h, body)

    def set_off(a, b):
        return lambda h: h[t].__setitem__("data_offsets", [a, b])

    cases = [
        ("header_len_huge", struct.pack("<Q", 1 << 62) + raw.encode() + body),
        ("header_len_zero", struct.pack("<Q", 0) + raw.encode() + body),
        ("header_len_past_end", struct.pack("<Q", len(raw) + len(body) + 100) + raw.encode() + body),
        ("header_truncated_json", st_bytes(raw[: len(raw) // 2], body)),
        ("header_trailing_garbage", st_bytes(raw + "xyz", body)),
        ("header_nul_padding", st_bytes(raw + "\0\0\0\0", body)),
        ("header_not_object", st_bytes("[1,2,3]", body)),
        ("header_duplicate_key", st_bytes(raw[:-1] + "," + json.dumps(t) + ":" + json.dumps(header[t]) + "}", body)),
        ("header_duplicate_metadata", st_bytes(raw[:-1] + ',"__metadata__":{"avs.arch":"x"}}', body)),
        ("offsets_overlap", edit(set_off(0, header[t]["data_offsets"][1] - header[t]["data_offsets"][0]))
         if header[t]["data_offsets"][0] else edit(set_off(4, 4 + header[t]["data_offsets"][1]))),
        ("offsets_past_end", edit(set_off(len(body) - 4, len(body) + 4096))),
        ("offsets_reversed", edit(set_off(header[t]["data_offsets"][1], header[t]["data_offsets"][0]))),
        ("offsets_float", st_bytes(raw.replace(json.dumps(header[t]["data_offsets"]).replace(" ", ""),
                                               "[%d.5,%d.0]" % tuple(header[t]["data_offsets"]), 1), body)),
        ("offsets_negative", edit(set_off(-4, 0))),
        ("offsets_huge", edit(set_off(0, 1 << 63))),
        ("shape_mismatch", edit(lambda h: h[t].__setitem__("shape", h[t]["shape"] + [2]))),
        ("shape_negative", edit(lambda h: h[t].__setitem__("shape", [-1] + h[t]["shape"][1:]))),
        ("shape_huge", edit(lambda h: h[t].__setitem__("shape", [big, big, big, big]))),
        ("shape_float", edit(lambda h: h[t].__setitem__("shape", [1.5] + h[t]["shape"][1:]))),
        ("dtype_f64", edit(lambda h: h[t].__setitem__("dtype", "F64"))),
        ("dtype_unknown", edit(lambda h: h[t].__setitem__("dtype", "Q7"))),
        ("tensor_missing", edit(lambda h: h.pop(t))),
        ("tensor_renamed", edit(lambda h: h.__setitem__(t + "_x", h.pop(t)))),
        ("data_truncated", st_bytes(raw, body[: len(body) // 2])),
        ("data_trailing", st_bytes(raw, body + bytes(64))),
        ("weights_nan", st_dump(header, fill(header, body, float("nan")))),
        ("weights_inf", st_dump(header, fill(header, body, float("inf")))),
        ("arch_unknown", st_dump(with_meta(header, **{"avs.arch": "no_such_arch"}), body)),
        ("arch_other_kind", st_dump(with_meta(header, **{"avs.arch": other_arch}), body)),
        ("no_metadata", edit(lambda h: h.pop("__metadata__"))),
        ("file_empty", b""),
        ("file_short", b"\x10\x00\x00"),
    ]
    for key in hp:
        for v in (big, 0, -1, "nan", "1e30", "x"):
            cases.append((f"hparam_{key}_{v}", st_dump(with_meta(header, **{key: v}), body)))
    if kind == "action":
        cases += [
            ("labels_empty_name", st_dump(with_meta(header, labels="a\n\nb" + "\nc" * 9), body)),
            ("labels_duplicate", st_dump(with_meta(header, labels="\n".join(["same"] * 12)), body)),
            ("labels_too_few", st_dump(with_meta(header, labels="one\ntwo"), body)),
            ("fps_nan", st_dump(with_meta(header, fps="nan"), body)),
            ("fps_zero", st_dump(with_meta(header, fps="0"), body)),
            ("fps_huge", st_dump(with_meta(header, fps="1e300"), body)),
        ]
    return cases


# ---------------------------------------------------------------- data sets

def set_cases():
    """(name, base sample set, edit(dir)): one breakage each."""
    def wr(rel, text):
        def f(d):
            p = os.path.join(d, rel)
            if os.path.isdir(p):
                shutil.rmtree(p)
            with open(p, "w") as fh:
                fh.write(text)
        return f

    def rm(rel):
        return lambda d: os.remove(os.path.join(d, rel))

    def mkdir_over(rel):
        def f(d):
            os.remove(os.path.join(d, rel))
            os.mkdir(os.path.join(d, rel))
        return f

    def first_clip(d, split="test"):
        with open(os.path.join(d, split + ".jsonl")) as fh:
            return json.loads(fh.readline())

    def edit_clip(fn, split="test"):
        def f(d):
            p = os.path.join(d, split + ".jsonl")
            with open(p) as fh:
                lines = fh.read().splitlines()
            c = json.loads(lines[0])
            fn(c)
            lines[0] = json.dumps(c)
            with open(p, "w") as fh:
                fh.write("\n".join(lines) + "\n")
        return f

    def file_of(key, fn, split="test"):
        def f(d):
            c = first_clip(d, split)
            rel = c[key] if key != "stem" else c["objects"][0]["stem"]
            p = os.path.join(d, rel)
            with open(p, "rb") as fh:
                data = fh.read()
            with open(p, "wb") as fh:
                fh.write(fn(data))
        return f

    def wrong_rate_stem(d):
        c = first_clip(d)
        p = os.path.join(d, c["objects"][0]["stem"])
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=8000:duration=1", "-c:a", "flac",
               "-fflags", "+bitexact", p)

    def meta_set(**kv):
        def f(d):
            p = os.path.join(d, "meta.json")
            with open(p) as fh:
                m = json.load(fh)
            m.update(kv)
            with open(p, "w") as fh:
                json.dump(m, fh)
        return f

    both = ["actions", "music"]
    cases = []
    for base in both:
        cases += [
            (f"{base}_ok", base, lambda d: None),
            (f"{base}_meta_garbage", base, wr("meta.json", "garbage\n")),
            (f"{base}_meta_dir", base, mkdir_over("meta.json")),
            (f"{base}_meta_missing", base, rm("meta.json")),
            (f"{base}_meta_empty", base, wr("meta.json", "")),
            (f"{base}_meta_no_classes", base, meta_set(classes=[])),
            (f"{base}_meta_huge_counts", base, meta_set(count=2147483647, frames=2147483647,
                                                      width=2147483647, height=2147483647)),
            (f"{base}_meta_negative", base, meta_set(fps=-8, seconds=-2, width=-1)),
            (f"{base}_test_empty", base, wr("test.jsonl", "")),
            (f"{base}_train_empty", base, wr("train.jsonl", "")),
            (f"{base}_test_garbage", base, wr("test.jsonl", "{not json\n")),
            (f"{base}_test_trailing", base, lambda d: open(os.path.join(d, "test.jsonl"), "a").write('{"id":1} x\n')),
            (f"{base}_test_dir", base, mkdir_over("test.jsonl")),
            (f"{base}_objects_empty", base, edit_clip(lambda c: c.__setitem__("objects", []))),
            (f"{base}_video_escape", base, edit_clip(lambda c: c.__setitem__("video", "../../../../etc/passwd"))),
            (f"{base}_video_absolute", base, edit_clip(lambda c: c.__setitem__("video", "/etc/passwd"))),
            (f"{base}_video_missing", base, edit_clip(lambda c: c.__setitem__("video", "clips/none.mp4"))),
            (f"{base}_video_text", base, file_of("video", lambda b: b"this is not a video\n")),
            (f"{base}_video_truncated", base, file_of("video", lambda b: b[: len(b) // 3])),
            (f"{base}_video_zeroed", base, file_of("video", lambda b: bytes(512) + b[512:])),
            (f"{base}_class_out_of_range", base, edit_clip(lambda c: c.__setitem__("class", 99999))),
            (f"{base}_class_negative", base, edit_clip(lambda c: c.__setitem__("class", -1))),
            (f"{base}_frames_huge", base, edit_clip(lambda c: c.__setitem__("frames", 2147483647))),
            (f"{base}_size_zero", base, edit_clip(lambda c: (c.__setitem__("width", 0), c.__setitem__("height", 0)))),
            (f"{base}_boxes_outside", base, edit_clip(lambda c: c["objects"] and c["objects"][0].__setitem__(
                "boxes", [[-50, -50, 9999, 9999]] * len(c["objects"][0].get("boxes", [1]))))),
            (f"{base}_boxes_empty", base, edit_clip(lambda c: c["objects"] and c["objects"][0].__setitem__("boxes", []))),
            (f"{base}_id_duplicate", base, lambda d: open(os.path.join(d, "test.jsonl"), "a").write(
                open(os.path.join(d, "test.jsonl")).readline())),
        ]
    cases += [
        ("music_stem_missing", "music", edit_clip(lambda c: c["objects"][0].__setitem__("stem", "clips/none.flac"))),
        ("music_stem_wrong_rate", "music", wrong_rate_stem),
        ("music_stem_truncated", "music", file_of("stem", lambda b: b[: len(b) // 4])),
        ("music_audio_text", "music", file_of("audio", lambda b: b"not audio\n")),
        ("music_audio_zeroed", "music", file_of("audio", lambda b: bytes(4096) + b[4096:])),
        ("music_rate_zero", "music", edit_clip(lambda c: c.__setitem__("sample_rate", 0))),
        ("music_samples_huge", "music", edit_clip(lambda c: c.__setitem__("samples", 2147483647))),
        ("music_sources_huge", "music", edit_clip(lambda c: c.__setitem__("sources", 2147483647))),
    ]
    return cases


def val_to_train(d):
    """The music sample's val clip moved to train: avtrain loc/sep need two clips for a batch."""
    with open(os.path.join(d, "train.jsonl")) as f:
        train = f.read().splitlines()
    with open(os.path.join(d, "val.jsonl")) as f:
        val = [json.loads(line) for line in f.read().splitlines()]
    for c in val:
        c["split"] = "train"
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        f.write("\n".join(train + [json.dumps(c) for c in val]) + "\n")
    open(os.path.join(d, "val.jsonl"), "w").close()
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    meta["splits"]["train"] += len(val)
    meta["splits"]["val"] = 0
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


# ---------------------------------------------------------------- main

def pick(rng, items, count):
    """count items spread over the list (all of them when count >= len), in a seeded order."""
    items = list(items)
    rng.shuffle(items)
    return items[:count] if count < len(items) else items


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=24, help="files of each kind: media mutants, WAVs, sets")
    ap.add_argument("--models", type=int, default=None,
                    help="broken models per shipped model (default count/2: each is a 6-10 MB copy)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.models is None:
        args.models = max(1, args.count // 2)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    index = {"seed": args.seed, "count": args.count}

    seeds = media_seeds(os.path.join(args.out, "media"), args.source)
    index["media"] = sorted(seeds.values()) + media_mutants(os.path.join(args.out, "media"), seeds, rng, args.count)

    wdir = os.path.join(args.out, "wav")
    with open(seeds["wav"], "rb") as f:
        good = f.read()
    wavs = [(n, b) for n, b in bad_wavs()] + [(f"mut{i}_{m.__name__}", m(good, rng))
                                             for i, m in enumerate(MUTATORS * 2)]
    index["wav"] = [write(os.path.join(wdir, n + ".wav"), b) for n, b in pick(rng, wavs, args.count)]

    index["models"] = {}
    for kind in ("action", "sep", "loc"):
        header, body = st_read(os.path.join(args.source, "data/models", kind + ".safetensors"))
        chosen = pick(rng, model_cases(header, body, kind), args.models)
        index["models"][kind] = [write(os.path.join(args.out, "models", f"{kind}_{n}.safetensors"), b)
                                 for n, b in chosen]

    index["sets"] = {"actions": [], "music": []}
    sets = set_cases()
    ok = [c for c in sets if c[0].endswith("_ok")]  # the valid sets always: apps must pass them
    for name, base, fn in ok + pick(rng, [c for c in sets if c not in ok], max(0, args.count - len(ok))):
        d = os.path.join(args.out, "sets", name)
        shutil.copytree(os.path.join(args.source, "data/samples", base), d)
        if base == "music":
            val_to_train(d)
        fn(d)
        index["sets"][base].append(d)
    for k in index["sets"]:
        index["sets"][k].sort()
    rel = lambda v: (os.path.relpath(v, args.out) if isinstance(v, str) else
                     [rel(x) for x in v] if isinstance(v, list) else {k: rel(x) for k, x in v.items()})
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump({k: rel(v) if k in ("media", "wav", "models", "sets") else v for k, v in index.items()}, f, indent=1)
    n = len(index["media"]) + len(index["wav"]) + sum(map(len, index["models"].values())) + \
        sum(map(len, index["sets"].values()))
    print(f"gen_corpus: {n} files and sets under {args.out} (seed {args.seed})")


if __name__ == "__main__":
    sys.exit(main())
