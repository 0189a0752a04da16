#!/bin/sh
# avinfo end to end: help, usage errors (exit 2), runtime errors (exit 1, one
# line on stderr), text and JSON output, --count, --still writing a PNG or JPEG
# atomically (nothing left behind on failure, nothing replaced without --force),
# rotated clips, audio-only files and many inputs. Usage: avinfo_cli.sh AVINFO WORKDIR
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

# --still writes what the extension says, never over an existing file without --force.
"$AVINFO" -q --still 1.0 -o "$W/still.jpg" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still -o x.jpg writes JPEG data" [ $rc -eq 0 ] && [ "$(head -c 3 "$W/still.jpg" | od -An -tx1 | tr -d ' ')" = ffd8ff ] && \
  "$AVINFO" "$W/still.jpg" | grep -q "mjpeg 320x240"
cksum "$W/still.png" > "$W/sum"
"$AVINFO" -q --still 0.5 -o "$W/still.png" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still over an existing file: exit 1, one line, file untouched ($(cat "$W/err"))" [ $rc -eq 1 ] && \
  [ "$(lines "$W/err")" = 1 ] && grep -q -- "--force" "$W/err" && cksum "$W/still.png" | cmp -s - "$W/sum"
"$AVINFO" -q --still 0.5 -o "$W/still.png" --force "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still --force replaces it" [ $rc -eq 0 ] && ! cksum "$W/still.png" | cmp -s - "$W/sum"
"$AVINFO" -q --still 0.5 -o "$W/still.gif" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still -o x.gif: exit 2, nothing written ($(head -1 "$W/err"))" [ $rc -eq 2 ] && [ ! -e "$W/still.gif" ]
"$AVINFO" -q --still 0.5 -o "$W/nodir/still.png" "$W/clip.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "--still into a missing folder names -o, not a temporary file ($(cat "$W/err"))" [ $rc -eq 1 ] && \
  [ "$(lines "$W/err")" = 1 ] && grep -q "($W/nodir/still.png)" "$W/err" && ! grep -q tmp "$W/err"

# Rotation metadata (portrait video from phones): displayed sizes, and stills upright.
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=160x90:rate=10:duration=1 -c:v libx264 "$W/land.mp4" || exit 1
for r in 90 270; do
  ffmpeg -nostdin -v error -y -i "$W/land.mp4" -c copy -metadata:s:v rotate=$r "$W/rot$r.mp4" || exit 1
  "$AVINFO" "$W/rot$r.mp4" > "$W/out" 2> "$W/err"; rc=$?
  check "rotate=$r: displayed size 90x160 and the rotation ($(sed -n 2p "$W/out"))" [ $rc -eq 0 ] && \
    grep -q "video: 90x160 (rotated $(( (360 - r) % 360 )) degrees clockwise)" "$W/out"
  "$AVINFO" --json "$W/rot$r.mp4" > "$W/out.json" 2> "$W/err"; rc=$?
  check "rotate=$r: --json width, height, rotation" [ $rc -eq 0 ] && /usr/bin/python3 -c \
    "import json,sys; d=json.load(open(sys.argv[1])); assert (d['width'],d['height'],d['rotation'])==(90,160,(360-$r)%360) and d['streams'][0]['width']==90" "$W/out.json"
  "$AVINFO" -q --still 0.5 -o "$W/rot$r.png" "$W/rot$r.mp4" > "$W/out" 2> "$W/err"; rc=$?
  check "rotate=$r: the still is upright, 90x160" [ $rc -eq 0 ] && "$AVINFO" "$W/rot$r.png" | grep -q "png 90x160"
done

# Files without video: their audio streams, exit 0.
ffmpeg -nostdin -v error -y -f lavfi -i sine=d=1:sample_rate=44100 -ac 2 "$W/tone.wav" || exit 1
ffmpeg -nostdin -v error -y -f lavfi -i sine=d=1:sample_rate=48000 -c:a aac "$W/tone.m4a" || exit 1
"$AVINFO" "$W/tone.wav" "$W/tone.m4a" > "$W/out" 2> "$W/err"; rc=$?
check "wav and m4a: exit 0, audio described" [ $rc -eq 0 ] && [ ! -s "$W/err" ] && [ "$(grep -c "audio only" "$W/out")" = 2 ] && \
  grep -q "stream 0: audio pcm_s16le 44100 Hz 2 ch 1.000 s" "$W/out" && grep -q "stream 0: audio aac 48000 Hz 1 ch" "$W/out"
"$AVINFO" --json --count "$W/tone.m4a" > "$W/out.json" 2> "$W/err"; rc=$?
check "m4a --json: no video fields, the audio stream" [ $rc -eq 0 ] && /usr/bin/python3 -c \
  "import json,sys; d=json.load(open(sys.argv[1])); assert d['video_stream'] is None and d['width'] is None and d['streams'][0]['sample_rate']==48000" "$W/out.json"
"$AVINFO" --still 0.5 -o "$W/tone.png" "$W/tone.wav" > "$W/out" 2> "$W/err"; rc=$?
check "--still on a wav: exit 1, one line ($(cat "$W/err"))" [ $rc -eq 1 ] && [ "$(lines "$W/err")" = 1 ] && [ ! -e "$W/tone.png" ]

# Any number of inputs.
set --; for i in $(seq 300); do set -- "$@" "$W/tone.wav"; done
"$AVINFO" "$@" > "$W/out" 2> "$W/err"; rc=$?
check "300 inputs: all described" [ $rc -eq 0 ] && [ "$(grep -c "audio only" "$W/out")" = 300 ]

# Damaged starts: nothing decoded is an error; warnings come before the error line, which is last.
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -c:v libx264 "$W/raw.h264" || exit 1
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -c:v mpeg4 "$W/raw.m4v" || exit 1
for f in raw.h264 raw.m4v; do dd if=/dev/zero of="$W/$f" bs=512 count=1 conv=notrunc 2> /dev/null; done
"$AVINFO" -q --count "$W/raw.h264" > "$W/out" 2> "$W/err"; rc=$?
check "--count, first 512 bytes zeroed, no frame decoded: exit 1, one line ($(cat "$W/err"))" [ $rc -eq 1 ] && \
  [ "$(lines "$W/err")" = 1 ] && grep -q "no video frame could be decoded" "$W/err"
"$AVINFO" --still 2.5 -o "$W/raw.png" "$W/raw.m4v" > "$W/out" 2> "$W/err"; rc=$?
check "--still past the end of a damaged file: the error line is last ($(tail -1 "$W/err"))" [ $rc -eq 1 ] && \
  [ "$(grep -c error "$W/err")" = 1 ] && tail -1 "$W/err" | grep -q "avinfo: error: no frame at 2.500 s"

head -c 30000 "$W/clip.mp4" > "$W/cut.mp4"
"$AVINFO" --count "$W/cut.mp4" > "$W/out" 2> "$W/err"; rc=$?
check "truncated file: exit $rc, at most one warning line" [ "$(grep -c warning "$W/err")" -le 2 ]
[ $fails -eq 0 ]
