"""-v/--verbose in every app: a line naming each file opened (video streams,
manifests), the model (path, architecture, parameters) and the compute back
ends (oneDNN, OpenBLAS, threads); none of it without -v. The models are the
shipped ones (data/models), inputs are made here with avdata and the ffmpeg CLI.
Usage: check_verbose.py BIN_DIR OUT_DIR."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "parity"))
from clitest import check, failures, run  # noqa: E402

BIN, OUT = sys.argv[1:3]
app = lambda name: os.path.join(BIN, name)  # noqa: E731


def says(what, r, *needles):
    lines = r.stderr.splitlines()
    found = [any(n in line for line in lines) for n in needles]
    check(r.returncode == 0 and all(found), f"{what}: exit {r.returncode}, {dict(zip(needles, found))} "
          f"in {r.stderr.strip()[-400:]!r}")


shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
video = os.path.join(OUT, "av.mp4")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=128x96:rate=10", "-f", "lavfi",
                "-i", "sine=frequency=440:sample_rate=22050", "-t", "2", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-shortest", video], check=True)
opened = f"opened {video}: "
model = "model "
compute = "compute: oneDNN"
data = os.path.join(OUT, "actions")

says("avdata synth -v", run(app("avdata"), "synth", "--kind", "actions", "--count", "6", "--width", "48", "--height",
                            "48", "--out", data, "-q", "-v"), f"making 6 actions clips into {data}")
says("avdata check -v", run(app("avdata"), "check", data, "-v"), f"opened {data}/train.jsonl: ")
test_m = os.path.join(data, "test.jsonl")
says("avinfo -v", run(app("avinfo"), video, "-v"), opened + "mov", "#0 video h264 128x96", "#1 audio aac")
says("avact classify -v", run(app("avact"), "classify", video, "-v"), opened, model + "/", "two_stream (", compute)
r = run(app("avact"), "classify", video)
check(r.returncode == 0 and model not in r.stderr and compute not in r.stderr and opened not in r.stderr,
      f"without -v none of it: {r.stderr.strip()!r}")
says("avsep separate -v", run(app("avsep"), "separate", video, "-o", os.path.join(OUT, "sep"), "-v"), opened,
     "sep.safetensors: ", compute)
says("avloc heatmap -v", run(app("avloc"), "heatmap", video, "-v", "-q"), opened, "senocak (", compute)
says("aveval action -v", run(app("aveval"), "action", test_m, "-v", "-q"), f"opened {test_m}: 1 actions clip",
     "two_stream (", compute)
tiny = os.path.join(OUT, "tiny.safetensors")
says("avtrain action -v", run(app("avtrain"), "action", "--manifest", os.path.join(data, "train.jsonl"), "--arch",
                              "c3d", "--hparams", "channels=4,fc_dim=16,height=32,width=32", "--epochs", "1",
                              "--out", tiny, "-v", "-q"),
     f"opened {data}/train.jsonl: 4 actions clips", f"model {tiny}: c3d (", compute)
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
