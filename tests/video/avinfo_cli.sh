#!/bin/sh
# avinfo end to end: help, usage errors (exit 2), runtime errors (exit 1, one
# line on stderr), text and JSON output, --count, and --still writing a PNG
# atomically (nothing left behind on failure). Usage: avinfo_cli.sh AVINFO WORKDIR
set -u
AVINFO=$1
W=$2
rm -rf "$W" && mkdir -p "$W" || exit 1
fails=0
check() { # check "what" condition...
  what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
lines() { wc -l < "$1" | tr -d ' '; }

"$AVINFO" > "$W/out" 2> "$W/err"; rc=$?
check "no input: exit 2 with a hint ($(head -1 "$W/err"))" [ $rc -eq 2 ] && grep -q -- "--help" "$W/err"
"$AVINFO" --help > "$W/out" 2> "$W/err"; rc=$?
check "--help: exit 0, usage with defaults" [ $rc -eq 0 ] && grep -q "Usage: avinfo" "$W/out" && grep -q -- "--json" "$W/out"
"$AVINFO" --bogus x.mp4 > "$W/out" 2> "$W/err"; rc=$?
check "unknown option: exit 2" [ $rc -eq 2 ] && grep -q "unknown option" "$W/err"
"$AVINFO" "$W/missing.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "missing file: exit 1, one line ($(cat "$W/err"))" [ $rc -eq 1 ] && [ "$(lines "$W/err")" = 1 ] && grep -q "avinfo: error: no such file" "$W/err"
echo "not a video" > "$W/words.mp4"
"$AVINFO" "$W/words.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "text file: exit 1, one line ($(cat "$W/err"))" [ $rc -eq 1 ] && [ "$(lines "$W/err")" = 1 ]
"$AVINFO" "$W" > "$W/out" 2> "$W/err"; rc=$?
check "directory: exit 1, one line ($(cat "$W/err"))" [ $rc -eq 1 ] && [ "$(lines "$W/err")" = 1 ]

if ! ffmpeg -hide_banner -version > /dev/null 2>&1; then
  echo "FAIL no ffmpeg CLI to make the test clip (scripts/setup.sh --test installs it)"
  exit 1
fi
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -f lavfi -i sine=d=2 \
  -c:v libx264 -preset ultrafast -c:a aac -shortest "$W/clip.mp4" || exit 1
"$AVINFO" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "text info: 320x240, 25 fps, streams" [ $rc -eq 0 ] && grep -q "320x240, 25.000 fps" "$W/out" && grep -q "stream 1: audio aac" "$W/out"
"$AVINFO" --json -q --count "$W/clip.mp4" > "$W/out.json" 2> "$W/err"; rc=$?
check "--json --count parses, 50 frames counted" [ $rc -eq 0 ] && [ ! -s "$W/err" ] && \
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['frames']==50 and d['frames_counted'] and d['width']==320 and abs(d['duration']-2)<0.1 and d['streams'][1]['type']=='audio'" "$W/out.json"
"$AVINFO" --json "$W/clip.mp4" "$W/clip.mp4" > "$W/out.json" 2> "$W/err"; rc=$?
check "--json with two files is an array" [ $rc -eq 0 ] && /usr/bin/python3 -c "import json,sys; assert len(json.load(open(sys.argv[1])))==2" "$W/out.json"
"$AVINFO" "$W/clip.mp4" "$W/missing.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "one good, one missing: info for the good one, exit 1" [ $rc -eq 1 ] && grep -q "320x240" "$W/out" && [ "$(lines "$W/err")" = 1 ]
"$AVINFO" -q --still 1.0 -o "$W/still.png" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still writes a 320x240 PNG" [ $rc -eq 0 ] && "$AVINFO" "$W/still.png" | grep -q "320x240"
"$AVINFO" --still 9 -o "$W/late.png" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still past the end: exit 1, no file left ($(cat "$W/err"))" [ $rc -eq 1 ] && [ ! -e "$W/late.png" ] && \
  [ -z "$(ls -A "$W" | grep tmp)" ]
"$AVINFO" --still 1 "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still without --out: exit 2" [ $rc -eq 2 ]
head -c 30000 "$W/clip.mp4" > "$W/cut.mp4"
"$AVINFO" --count "$W/cut.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "truncated file: exit $rc, at most one warning line" [ "$(grep -c warning "$W/err")" -le 2 ]
[ $fails -eq 0 ]
