#!/usr/bin/env bash
# avdata end to end: bad input, determinism, unique content, the sample set.
#   cli.sh AVDATA OUTDIR SOURCEDIR
set -u
AVDATA=$1
OUT=$2
SRC=$3
rm -rf "$OUT"
mkdir -p "$OUT"
pass=0
fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
no_manifest() { [ ! -e "$1/train.jsonl" ] && [ ! -e "$1/val.jsonl" ] && [ ! -e "$1/test.jsonl" ] && [ ! -e "$1/meta.json" ]; }

# expect_fail NAME CODE DIR PATTERN -- ARGS...: exits with CODE, the first stderr line
# matches PATTERN, a runtime error (code 1) prints exactly one line, no manifest in DIR.
expect_fail() {
  local name=$1 code=$2 dir=$3 pattern=$4
  shift 5
  "$AVDATA" "$@" >"$OUT/stdout" 2>"$OUT/stderr"
  local rc=$? lines first
  lines=$(wc -l <"$OUT/stderr")
  first=$(head -n 1 "$OUT/stderr")
  if [ $rc -ne "$code" ]; then bad "$name: exit $rc, want $code ($first)"; return; fi
  if ! grep -q -- "$pattern" <<<"$first"; then bad "$name: message '$first' lacks '$pattern'"; return; fi
  if [ "$code" -eq 1 ] && [ "$lines" -ne 1 ]; then bad "$name: $lines lines on stderr, want 1"; return; fi
  if ! no_manifest "$dir"; then bad "$name: a manifest was left in $dir"; return; fi
  ok "$name: exit $rc, '$first'"
}

expect_fail "unknown kind" 2 "$OUT/k" "unknown kind" -- synth --kind drums --count 2 --out "$OUT/k"
[ -e "$OUT/k" ] && bad "unknown kind: created the output folder" || ok "unknown kind: no output folder"
expect_fail "count 0" 2 "$OUT/c0" "count" -- synth --kind actions --count 0 --out "$OUT/c0"
expect_fail "negative count" 2 "$OUT/cn" "count" -- synth --kind actions --count -3 --out "$OUT/cn"
expect_fail "count not a number" 2 "$OUT/cx" "count" -- synth --kind actions --count many --out "$OUT/cx"
# split fractions: not a number, infinite, out of range, adding up to more than 1
expect_fail "val nan" 2 "$OUT/fn" "val" -- synth --kind actions --count 4 --val nan --out "$OUT/fn"
expect_fail "test nan" 2 "$OUT/fn" "test" -- synth --kind actions --count 4 --test nan --out "$OUT/fn"
expect_fail "test -nan" 2 "$OUT/fn" "test" -- synth --kind actions --count 4 --test -nan --out "$OUT/fn"
expect_fail "val inf" 2 "$OUT/fn" "val" -- synth --kind actions --count 4 --val inf --out "$OUT/fn"
expect_fail "test 1e400" 2 "$OUT/fn" "test" -- synth --kind actions --count 4 --test 1e400 --out "$OUT/fn"
expect_fail "val negative" 2 "$OUT/fn" "val" -- synth --kind actions --count 4 --val -0.1 --out "$OUT/fn"
expect_fail "val + test > 1" 2 "$OUT/fn" "more than 1" -- synth --kind actions --count 4 --val 0.6 --test 0.5 --out "$OUT/fn"
[ -e "$OUT/fn" ] && bad "bad fractions: created the output folder" || ok "bad fractions: no output folder"
# every number option refuses NaN and infinities (apps/common/cli.c), not just the fractions
expect_fail "seconds nan" 2 "$OUT/fn" "seconds" -- synth --kind actions --count 4 --seconds nan --out "$OUT/fn"
expect_fail "distractors nan" 2 "$OUT/fn" "distractors" -- synth --kind music --count 4 --distractors nan --out "$OUT/fn"
expect_fail "seed 1e99" 2 "$OUT/fn" "seed" -- synth --kind actions --count 4 --seed 99999999999999 --out "$OUT/fn"
expect_fail "missing soundfont" 1 "$OUT/sf" "soundfont not found: $OUT/none.sf2" -- \
  synth --kind music --count 2 --out "$OUT/sf" --soundfont "$OUT/none.sf2"
[ -e "$OUT/sf" ] && bad "missing soundfont: created the output folder" || ok "missing soundfont: no output folder"
echo "not a soundfont" >"$OUT/junk.sf2"
expect_fail "not a soundfont" 1 "$OUT/sj" "SoundFont" -- synth --kind music --count 2 --out "$OUT/sj" --soundfont "$OUT/junk.sf2"
expect_fail "unknown voice" 1 "$OUT/vo" "xx-nope" -- synth --kind speech --count 2 --out "$OUT/vo" --voice xx-nope
# a misspelt variant: espeak-ng alone would speak the plain language voice instead
expect_fail "unknown voice variant" 1 "$OUT/vv" "en+nosuch" -- \
  synth --kind speech --count 2 --out "$OUT/vv" --voice en+m1,en+nosuch
"$AVDATA" synth --kind speech --count 2 --out "$OUT/vk" --voice en+3,en-us+Alex -q 2>"$OUT/vk.err" &&
  ok "voice variants by number and by name" || bad "voice variants by number and by name: $(cat "$OUT/vk.err")"
# --timbres: the pool's variants are the first N of the built-in list; 24 is the default pool itself
"$AVDATA" list speech --speakers 240 >"$OUT/t0" && "$AVDATA" list speech --speakers 240 --timbres 24 >"$OUT/t24" &&
  cmp -s "$OUT/t0" "$OUT/t24" && ok "--timbres 24 is the default pool" || bad "--timbres 24 differs from the default pool"
"$AVDATA" list speech --speakers 132 --timbres 66 >"$OUT/t66" || bad "list --timbres 66 failed"
n66=$(sed 's/.*+\([^ ]*\) pitch.*/\1/' "$OUT/t66" | sort -u | wc -l)
n24=$(sed 's/.*+\([^ ]*\) pitch.*/\1/' "$OUT/t0" | sort -u | wc -l)
[ "$n66" -eq 66 ] && [ "$n24" -eq 24 ] && head -24 "$OUT/t66" | cmp -s - <(head -24 "$OUT/t0") &&
  ok "--timbres 66: 66 variants, its first 24 speakers the default pool's" || bad "--timbres 66: $n66 variants (default $n24)"
# every variant of the list is one espeak-ng has (a speech run checks each pool voice)
"$AVDATA" synth --kind speech --count 2 --speakers 66 --timbres 66 --out "$OUT/tv" -q 2>"$OUT/tv.err" &&
  ok "--timbres 66: espeak-ng has every variant" || bad "--timbres 66 synth: $(cat "$OUT/tv.err")"
expect_fail "--timbres 67" 2 "$OUT/tb" "timbres" -- synth --kind speech --count 2 --timbres 67 --out "$OUT/tb"
expect_fail "--timbres with --voice" 2 "$OUT/tb" "--voice" -- synth --kind speech --count 2 --timbres 30 --voice en+m1,en+f1 --out "$OUT/tb"
touch "$OUT/afile"
expect_fail "output under a file" 1 "$OUT/afile/sub" "afile" -- \
  synth --kind actions --count 2 --out "$OUT/afile/sub"
if [ "$(id -u)" -ne 0 ]; then
  mkdir -p "$OUT/ro" && chmod 555 "$OUT/ro"
  expect_fail "read-only output" 1 "$OUT/ro/x" "cannot" -- synth --kind actions --count 2 --out "$OUT/ro/x"
  chmod 755 "$OUT/ro"
fi
# a failure in the middle of a run: a folder where a clip's video must go; the old
# manifests of the folder are gone and no new one is written
mkdir -p "$OUT/mid/clips/actions_train_000003/video.mp4"
echo '{}' >"$OUT/mid/train.jsonl"
echo '{}' >"$OUT/mid/meta.json"
expect_fail "failure mid-run" 1 "$OUT/mid" "actions_train_000003" -- synth --kind actions --count 8 --out "$OUT/mid" -t 1 -q --force

# an existing set is never mixed into: a non-empty --out is refused, untouched
"$AVDATA" synth --kind actions --count 12 --seed 4 --out "$OUT/big" -q || bad "actions run big failed"
sum_before=$(cd "$OUT/big" && find . -type f | sort | xargs md5sum | md5sum)
expect_fail "non-empty --out" 1 "$OUT/none" "--force" -- synth --kind actions --count 4 --out "$OUT/big"
[ "$sum_before" = "$(cd "$OUT/big" && find . -type f | sort | xargs md5sum | md5sum)" ] &&
  ok "non-empty --out: the set there is untouched" || bad "non-empty --out: the set there changed"
# --force replaces the set (no clip of the larger one left) and keeps the user's own files
echo "my notes" >"$OUT/big/notes.txt"
mkdir -p "$OUT/big/mine" && echo "x" >"$OUT/big/mine/keep.txt"
if "$AVDATA" synth --kind actions --count 4 --seed 4 --out "$OUT/big" -q --force &&
  [ "$(ls "$OUT/big/clips" | wc -l)" -eq 4 ] && [ -f "$OUT/big/notes.txt" ] && [ -f "$OUT/big/mine/keep.txt" ] &&
  "$AVDATA" check "$OUT/big" >"$OUT/check"; then
  ok "--force: 4 clips of 12 left, user files kept, $(tail -n 1 "$OUT/check")"
else
  bad "--force: $(ls "$OUT/big" "$OUT/big/clips" | tr '\n' ' ') $(cat "$OUT/check" 2>/dev/null)"
fi
# check names files under clips/ that no manifest references (an old set's clips, temporaries)
cp -r "$OUT/big/clips/actions_train_000000" "$OUT/big/clips/actions_train_000007"
touch "$OUT/big/clips/actions_train_000000/.video.tmp1234.mp4"
"$AVDATA" check "$OUT/big" >"$OUT/check"
rc=$?
if [ $rc -eq 1 ] && grep -q "clips/actions_train_000007/video.mp4: not in any manifest" "$OUT/check" &&
  grep -q "clips/actions_train_000000/.video.tmp1234.mp4: not in any manifest" "$OUT/check" &&
  [ "$(tail -n 1 "$OUT/check")" = "4 clips checked, 2 problems" ]; then
  ok "check names files outside the manifests: $(tail -n 1 "$OUT/check")"
else
  bad "check on files outside the manifests: exit $rc, $(cat "$OUT/check")"
fi
# meta.json marks a complete set: without it, check refuses the folder in one line
rm "$OUT/big/meta.json"
"$AVDATA" check "$OUT/big" >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$OUT/stderr")" -eq 1 ] && grep -q "meta.json" "$OUT/stderr" &&
  ok "check without meta.json: exit 1, $(cat "$OUT/stderr")" || bad "check without meta.json: exit $rc, $(cat "$OUT/stderr")"

# stopped by SIGTERM after its first clip, while temporaries are being written: none is left, no meta.json
"$AVDATA" synth --kind music --count 100 --out "$OUT/killed" -q -t 2 &
pid=$!
for _ in $(seq 2400); do
  ls "$OUT"/killed/clips/*/video.mp4 >/dev/null 2>&1 && [ -n "$(find "$OUT/killed/clips" -name '.*.tmp*')" ] && break
  sleep 0.05
done
kill -TERM $pid
wait $pid
rc=$?
left=$(find "$OUT/killed" -name '.*' | head -n 3)
[ $rc -eq 143 ] && [ -z "$left" ] && [ ! -e "$OUT/killed/meta.json" ] &&
  ok "synth stopped by SIGTERM: no temporaries, no meta.json" || bad "synth stopped by SIGTERM: exit $rc, left: $left"

# help
"$AVDATA" synth --help >"$OUT/help" 2>&1 && grep -q -- "--soundfont" "$OUT/help" && ok "synth --help" || bad "synth --help"

# same seed, same files (stems, mixtures, manifests); the data set checks out
for d in m1 m2; do
  "$AVDATA" synth --kind music --count 4 --seed 5 --out "$OUT/$d" -q || bad "music run $d failed"
done
same=1
for f in $(cd "$OUT/m1" && find . -name '*.wav' -o -name '*.jsonl' -o -name meta.json | sort); do
  cmp -s "$OUT/m1/$f" "$OUT/m2/$f" || { same=0; echo "  differs: $f"; }
done
[ $same -eq 1 ] && ok "music: same seed, same WAV files and manifests" || bad "music: same seed gave other files"
"$AVDATA" check "$OUT/m1" >"$OUT/check" && ok "music: $(tail -n 1 "$OUT/check")" || bad "music check: $(cat "$OUT/check")"
"$AVDATA" synth --kind music --count 4 --seed 6 --out "$OUT/m3" -q
cmp -s "$OUT/m1/train.jsonl" "$OUT/m3/train.jsonl" && bad "music: another seed gave the same clips" || ok "music: another seed, other clips"

# melodies and sentences never repeat within a data set (across splits included)
"$AVDATA" synth --kind music --count 30 --seed 9 --out "$OUT/u" -q --max-sources 3 --min-sources 3 || bad "music run u failed"
dups=$(cat "$OUT/u"/*.jsonl | grep -o '"content":"[0-9a-f]*"' | sort | uniq -d | wc -l)
total=$(cat "$OUT/u"/*.jsonl | grep -o '"content":"[0-9a-f]*"' | wc -l)
[ "$dups" -eq 0 ] && [ "$total" -eq 90 ] && ok "music: $total melodies, all distinct" || bad "music: $dups repeated melodies of $total"
"$AVDATA" synth --kind speech --count 12 --seed 9 --out "$OUT/sp" -q || bad "speech run failed"
dups=$(cat "$OUT/sp"/*.jsonl | grep -o '"text":"[^"]*"' | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] && ok "speech: sentences distinct" || bad "speech: $dups repeated sentences"
"$AVDATA" check "$OUT/sp" >"$OUT/check" && ok "speech: $(tail -n 1 "$OUT/check")" || bad "speech check: $(cat "$OUT/check")"
"$AVDATA" synth --kind actions --count 24 --seed 9 --out "$OUT/ac" -q || bad "actions run failed"
"$AVDATA" check "$OUT/ac" >"$OUT/check" && ok "actions: $(tail -n 1 "$OUT/check")" || bad "actions check: $(cat "$OUT/check")"
classes=$(cat "$OUT/ac"/*.jsonl | grep -o '"label":"[a-z_]*","class"' | sort -u | wc -l)
[ "$classes" -ge 8 ] && ok "actions: $classes classes in 24 clips" || bad "actions: only $classes classes in 24 clips"

# the committed sample set
for k in music speech actions; do
  if [ -d "$SRC/data/samples/$k" ]; then
    "$AVDATA" check "$SRC/data/samples/$k" >"$OUT/check" && ok "samples/$k: $(tail -n 1 "$OUT/check")" ||
      bad "samples/$k: $(cat "$OUT/check")"
  else
    bad "samples/$k missing"
  fi
done

# a broken copy of the music samples: every problem is named, exit 1
B="$OUT/broken"
cp -r "$SRC/data/samples/music" "$B"
rm "$B/clips/music_val_000000/video.mp4"
cp "$B/clips/music_test_000000/s1.flac" "$B/clips/music_test_000000/s0.flac"
sed -i 's/\[\[100,22,117,94\]/[[100,22,140,94]/' "$B/test.jsonl"
echo '{"id": ' >"$B/train.jsonl"
"$AVDATA" check "$B" >"$OUT/check"
rc=$?
if [ $rc -eq 1 ] && grep -q "^train: .*train.jsonl:1: not a JSON object" "$OUT/check" &&
  grep -q "^$B/val.jsonl:1: music_val_000000: missing .*video.mp4" "$OUT/check" &&
  grep -q "^$B/test.jsonl:1: music_test_000000: frame 0 box \[100 22 140 94\] outside the frame" "$OUT/check" &&
  grep -q "^$B/test.jsonl:1: music_test_000000: stems do not add up to the mixture" "$OUT/check" &&
  [ "$(tail -n 1 "$OUT/check")" = "2 clips checked, 4 problems" ]; then
  ok "check on a broken set: exit 1, $(tail -n 1 "$OUT/check")"
else
  bad "check on a broken set: exit $rc, $(cat "$OUT/check")"
fi

# corrupted copies of the music samples, one problem each: check names it (the manifest
# line for a clip's problem) and exits 1
C="$OUT/corrupt"
corrupt() { rm -rf "$C" && cp -r "$SRC/data/samples/music" "$C"; }
expect_problem() { # NAME PATTERN: the check of $C exits 1 and some line of its output matches
  "$AVDATA" check "$C" >"$OUT/check" 2>&1
  local rc=$?
  if [ $rc -eq 1 ] && grep -q -- "$2" "$OUT/check"; then
    ok "check, $1: $(grep -m 1 -- "$2" "$OUT/check")"
  else
    bad "check, $1: exit $rc, $(head -c 600 "$OUT/check")"
  fi
}
V="$C/clips/music_train_000000/video.mp4"
corrupt && echo 'garbage{' >"$C/meta.json"
expect_problem "garbage meta.json" "^avdata: error: $C/meta.json is not a JSON object"
corrupt && rm "$C/meta.json" && mkdir "$C/meta.json"
expect_problem "meta.json a folder" "^avdata: error: cannot read $C/meta.json: Is a directory"
corrupt && : >"$C/train.jsonl"
expect_problem "empty manifest" "^$C/train.jsonl: 0 clips, meta.json counts 1 for train"
corrupt && sed -i '1s/$/ xyz/' "$C/train.jsonl"
expect_problem "trailing garbage" "$C/train.jsonl:1: not a JSON object"
corrupt && sed -i '1s/"objects":\[.*\]}$/"objects":[]}/' "$C/train.jsonl"
expect_problem "no objects" "^$C/train.jsonl:1: music_train_000000: no objects"
corrupt && sed -i '1s/"sources":[0-9]*/"sources":3/' "$C/train.jsonl"
expect_problem "sources miscounted" "^$C/train.jsonl:1: music_train_000000: 2 sounding objects, \"sources\" says 3"
corrupt && sed -i '1s#"video":"[^"]*"#"video":"../../../../etc/passwd"#' "$C/train.jsonl"
expect_problem "video path leaving the set" "$C/train.jsonl:1: path '../../../../etc/passwd' leaves the data set"
corrupt && sed -i '1s#"stem":"[^"]*"#"stem":"/etc/passwd"#' "$C/train.jsonl"
expect_problem "absolute stem path" "$C/train.jsonl:1: path '/etc/passwd' leaves the data set"
corrupt && echo "not a video" >"$V"
expect_problem "text as video" "^$C/train.jsonl:1: music_train_000000: not a video file"
corrupt && head -c $(($(stat -c %s "$V") / 2)) "$V" >"$OUT/half.mp4" && cp "$OUT/half.mp4" "$V"
expect_problem "truncated video" "^$C/train.jsonl:1: music_train_000000: .*video.mp4: cannot decode its first and last frame"
[ "$(grep -c warning "$OUT/check")" -eq 0 ] && ok "truncated video: no decoder warnings" || bad "truncated video: $(cat "$OUT/check")"
if command -v ffmpeg >/dev/null; then
  corrupt && ffmpeg -loglevel error -y -i "$C/clips/music_train_000000/s0.flac" -af asetrate=22050 "$OUT/s0.flac" &&
    cp "$OUT/s0.flac" "$C/clips/music_train_000000/s0.flac"
  expect_problem "stem at another rate" "^$C/train.jsonl:1: music_train_000000: .*s0.flac has 22050 Hz, the manifest says 11025 Hz"
fi

# oracle scores on the sample trio (the IRM ceiling must lie far above the mixture)
if "$AVDATA" baseline "$SRC/data/samples/music" --split test --json -q >"$OUT/base.json"; then
  irm=$(tr -d ' \n\t' <"$OUT/base.json" | grep -o '"IRM":{"clips":1,"sdr":[-0-9.]*' | grep -o '[-0-9.]*$' | head -n 1)
  mix=$(tr -d ' \n\t' <"$OUT/base.json" | grep -o '"MIX":{"clips":1,"sdr":[-0-9.]*' | grep -o '[-0-9.]*$' | head -n 1)
  if [ -n "$irm" ] && [ -n "$mix" ] && awk -v a="$irm" -v b="$mix" 'BEGIN { exit !(a > b + 10) }'; then
    ok "baseline: IRM SDR $irm dB, mixture $mix dB on the sample trio"
  else
    bad "baseline: IRM '$irm' mixture '$mix' ($(head -c 300 "$OUT/base.json"))"
  fi
else
  bad "baseline failed"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
