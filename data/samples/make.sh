#!/usr/bin/env bash
# Remakes the committed sample set (a few clips of each kind, FLAC audio to stay
# small) with fixed seeds:  data/samples/make.sh [path/to/avdata]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
avdata=${1:-$here/../../build/bin/avdata}
rm -rf "$here/music" "$here/speech" "$here/actions"
"$avdata" synth --kind music --count 3 --seed 2024 --val 0.34 --test 0.34 --flac --min-sources 1 --out "$here/music" -q
"$avdata" synth --kind speech --count 2 --seed 2024 --val 0 --test 0.5 --flac --out "$here/speech" -q
"$avdata" synth --kind actions --count 4 --seed 2024 --val 0.25 --test 0.25 --out "$here/actions" -q
du -sh "$here"
