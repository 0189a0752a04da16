"""Media files for tests/audio/test_track.c, made during the run with the
ffmpeg CLI (Debian's ffmpeg) from a known signal; nothing is committed.

src.wav: 3 s at 44100 Hz, stereo 16-bit: left 0.4 sin(2 pi 440 t),
right 0.3 sin(2 pi 1000 t). Videos (64x48, 10 fps) carry it as:
  clip.mp4  H.264 + AAC        clip.mkv  MPEG-4 + FLAC
  clip.webm VP8 + Opus         clip.avi  MPEG-4 + PCM s16le
  clip.mov  MPEG-4 + ALAC
plus six.mkv (5.1 FLAC, channel c = 0.1 (c+1) sin(2 pi 300 t)), noaudio.mp4
(video only), truncated.mp4 (first half of clip.mp4), garbage.mp4 (text),
empty.wav (header only), nan.wav (float, a NaN), rate0.wav / rate_huge.wav
(headers claiming 0 Hz / 40 MHz); long.mov / long.mkv / long.mp4: 30 s of the
same signal (PCM / FLAC / AAC) for starts that seek."""
import os
import struct
import subprocess
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
FF = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def run(args):
    subprocess.run(FF + args, check=True)


def wav(path, rate, data, fmt=1, bits=16):
    """data: (frames, channels) already in the target sample type."""
    data = np.ascontiguousarray(data)
    ch = data.shape[1] if data.ndim == 2 else 1
    raw = data.tobytes()
    blk = ch * bits // 8
    hdr = b"RIFF" + struct.pack("<I", 36 + len(raw)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, fmt, ch, rate, (rate * blk) & 0xFFFFFFFF, blk, bits) + b"data" + struct.pack("<I", len(raw))
    with open(path, "wb") as f:
        f.write(hdr + raw)


rate, secs = 44100, 3.0
t = np.arange(int(rate * secs)) / rate
stereo = np.stack([0.4 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 1000 * t)], axis=1)
wav(f"{out}/src.wav", rate, np.round(stereo * 32767).astype("<i2"))
six = np.stack([0.1 * (c + 1) * np.sin(2 * np.pi * 300 * t) for c in range(6)], axis=1)
wav(f"{out}/six.wav", rate, np.round(six * 32767).astype("<i2"))

video = ["-f", "lavfi", "-i", f"testsrc=size=64x48:rate=10:duration={secs}"]
audio = ["-i", f"{out}/src.wav"]
for name, vcodec, acodec in [
    ("clip.mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac", "-b:a", "192k"]),
    ("clip.mkv", ["-c:v", "mpeg4"], ["-c:a", "flac"]),
    ("clip.webm", ["-c:v", "libvpx", "-deadline", "realtime"], ["-c:a", "libopus", "-b:a", "128k"]),
    ("clip.avi", ["-c:v", "mpeg4"], ["-c:a", "pcm_s16le"]),
    ("clip.mov", ["-c:v", "mpeg4"], ["-c:a", "alac"]),
]:
    run(video + audio + ["-map", "0:v", "-map", "1:a"] + vcodec + acodec + ["-shortest", f"{out}/{name}"])
run(video + ["-i", f"{out}/six.wav", "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-c:a", "flac",
             "-channel_layout", "5.1", f"{out}/six.mkv"])
run(video + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", f"{out}/noaudio.mp4"])

# 30 s clips for starts past AVS_TRACK_SEEK_MIN (the seeking path)
lt = np.arange(rate * 30) / rate
long = np.stack([0.4 * np.sin(2 * np.pi * 440 * lt), 0.3 * np.sin(2 * np.pi * 1000 * lt)], axis=1)
wav(f"{out}/long.wav", rate, np.round(long * 32767).astype("<i2"))
lvideo = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=30"]
for name, acodec in [("long.mov", ["-c:a", "pcm_s16le"]), ("long.mkv", ["-c:a", "flac"]),
                     ("long.mp4", ["-c:a", "aac", "-b:a", "192k"])]:
    run(lvideo + ["-i", f"{out}/long.wav", "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4"] + acodec +
        ["-shortest", f"{out}/{name}"])
os.remove(f"{out}/long.wav")

data = open(f"{out}/clip.mp4", "rb").read()
open(f"{out}/truncated.mp4", "wb").write(data[: len(data) // 2])
open(f"{out}/garbage.mp4", "w").write("not a video\n" * 100)
wav(f"{out}/empty.wav", 16000, np.zeros((0, 1), "<i2"))
x = (0.1 * np.sin(np.arange(1600) * 0.1)).astype("<f4")
x[800] = np.nan
wav(f"{out}/nan.wav", 16000, x[:, None], fmt=3, bits=32)
y = np.zeros((1600, 1), "<i2")
y[:, 0] = 1000
wav(f"{out}/rate0.wav", 0, y)
wav(f"{out}/rate_huge.wav", 40_000_000, y)
print("media in", out)
