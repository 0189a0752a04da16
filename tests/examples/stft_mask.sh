#!/usr/bin/env bash
# examples/stft_mask: bad use, a low-pass mask, and the oracle separation of a
# shipped mixture's first source scored against that source with aveval.
set -euo pipefail
EX=$1 AVEVAL=$2 CLIP=$3 OUT=$4
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "FAIL $*"; exit 1; }

"$EX" 2>/dev/null && fail "no arguments: exit 0"
"$EX" "$OUT/none.wav" "$OUT/x.wav" 2>"$OUT/err" && fail "missing input: exit 0"
grep -q "none.wav" "$OUT/err" || fail "missing input: the error does not name the file: $(cat "$OUT/err")"

"$EX" "$CLIP/mix.flac" "$OUT/low.wav" || fail "low-pass"
[ -s "$OUT/low.wav" ] || fail "low-pass: no output"

"$EX" "$CLIP/mix.flac" "$OUT/s0.wav" "$CLIP/s0.flac" || fail "ideal binary mask"
"$AVEVAL" sep --ref "$CLIP/s0.flac" --est "$OUT/s0.wav" --json >"$OUT/score.json" || fail "aveval"
sdr=$(grep -o '"sdr":[^,}]*' "$OUT/score.json" | head -1 | cut -d: -f2)
echo "oracle binary mask of s0: SDR $sdr dB"
awk -v s="$sdr" 'BEGIN { exit !(s > 10) }' || fail "SDR $sdr dB <= 10 dB"
echo "ok"
