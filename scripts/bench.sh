#!/usr/bin/env bash
# Runs every benchmark built in BUILD_DIR/bench (bench_conv, bench_train,
# bench_gemm, bench_audio, bench_video, ... whichever exist) and prints their
# reports. Each bench times the PyTorch reference itself (bench/torch_ref.py,
# Debian's /usr/bin/python3) in the same run, on the same threads.
#   scripts/bench.sh [BUILD_DIR] [extra options for every bench, e.g. --reps 11]
# bench_gemm runs twice on AVX-512 machines: with OPENBLAS_CORETYPE as set now,
# then with SkylakeX (its cblas columns use the kernel the process starts with;
# torch gets SkylakeX in both unless OPENBLAS_CORETYPE is set). Set
# BENCH_VERBOSE=0 to drop the per-layer tables.
set -uo pipefail

BUILD=${1:-build}
shift || true
dir="$BUILD/bench"
if [ ! -d "$dir" ]; then
  echo "bench.sh: no $dir: build first (make build, or cmake --build $BUILD)" >&2
  exit 1
fi
verbose=()
[ "${BENCH_VERBOSE:-1}" = 1 ] && verbose=(-v)

status=0
ran=0
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "bench.sh: load average $load on $(nproc) cores: other work is running, timings will be noisy" >&2
fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
for exe in "$dir"/bench_*; do
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  name=$(basename "$exe")
  ran=$((ran + 1))
  if [ "$name" = bench_gemm ]; then
    echo
    echo "## $name, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} (as set by the user)"
    "$exe" "$@" || status=1
    if grep -qw avx512f /proc/cpuinfo; then
      echo
      echo "## $name, OPENBLAS_CORETYPE=SkylakeX"
      OPENBLAS_CORETYPE=SkylakeX "$exe" "$@" || status=1
    fi
  else
    echo
    echo "## $name"
    "$exe" "${verbose[@]}" "$@" || status=1
  fi
done
if [ "$ran" = 0 ]; then
  echo "bench.sh: no bench executables in $dir" >&2
  exit 1
fi
exit $status
