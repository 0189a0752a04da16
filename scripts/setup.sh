#!/usr/bin/env bash
# Installs, with apt and by name, everything AVS needs to build, run and test.
# Idempotent: when every package is present it only checks and returns (< 1 s).
set -euo pipefail

BUILD_PKGS=(cmake make gcc pkg-config
  libfftw3-dev libsndfile1-dev libopenblas-dev portaudio19-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavdevice-dev
  libdnnl-dev libcjson-dev
  libfluidsynth-dev fluid-soundfont-gm libespeak-ng-dev espeak-ng-data
  opencv-data)
TEST_PKGS=(python3 python3-torch python3-torchvision python3-numpy python3-scipy python3-mir-eval
  ffmpeg pulseaudio pulseaudio-utils python3-opencv opencv-doc)
# --train: python3 (the training scripts store models in half precision with tools/st_half.py and
# check each model's JSON card), the other soundfonts scripts/train_sep.sh renders its training
# stems with, and the one the separation model is tested on without having heard it
# (docs/BENCHMARK.md)
TRAIN_PKGS=(python3 csound-soundfont musescore-general-soundfont-small timgm6mb-soundfont)

want=("${BUILD_PKGS[@]}")
for arg in "$@"; do
  case $arg in
    --test) want+=("${TEST_PKGS[@]}") ;;
    --train) want+=("${TRAIN_PKGS[@]}") ;;
    *) echo "setup: unknown option '$arg' (--test, --train)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
