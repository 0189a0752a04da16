# tests/scripts/CMakeLists.txt: scripts/train_common.sh's train_run() decides whether a training
# script trains, resumes or only scores, from the run's checkpoint folder and the options it was
# trained with.
set -eu
SCRIPTS=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "scripts_train_run: $*" >&2; exit 1; }

# A stand-in avtrain that records its arguments.
mkdir -p "$DIR/build/bin"
cat > "$DIR/build/bin/avtrain" <<SCRIPT
#!/bin/sh
echo "\$*" > "$DIR/called"
SCRIPT
chmod +x "$DIR/build/bin/avtrain"
# history.json as the trainer writes it: one record per epoch done
history() {
  mkdir -p "$DIR/m.ckpt"
  : > "$DIR/m.ckpt/last.safetensors"
  { echo "["; i=1; while [ $i -le "$1" ]; do echo "{\"epoch\": $i, \"lr\": 0.001},"; i=$((i + 1)); done; echo "]"; } \
    > "$DIR/m.ckpt/history.json"
}
run() { # EPOCHS [MORE ARGS]: train_run as a training script calls it; prints what avtrain got, or
  # 'not called' (and the exit status where train_run stopped the script)
  rm -f "$DIR/called"
  rc=0
  (BUILD="$DIR/build"; . "$SCRIPTS/train_common.sh"; epochs=$1; shift
    train_run "$DIR/log" "$DIR/m.safetensors" "$epochs" loc --epochs "$epochs" "$@") 2> "$DIR/err" || rc=$?
  if [ -f "$DIR/called" ]; then cat "$DIR/called"; else echo "not called"; fi
  [ $rc = 0 ] || echo "exit $rc"
}

got=$(run 3)
[ "$got" = "loc --epochs 3 --out $DIR/m.safetensors" ] || fail "a new run: avtrain got '$got'"
[ "$(cat "$DIR/m.args")" = "loc --epochs 3" ] || fail "a new run's options are not recorded: '$(cat "$DIR/m.args")'"
history 2
: > "$DIR/m.safetensors"
got=$(run 3)
[ "$got" = "loc --epochs 3 --resume --out $DIR/m.safetensors" ] || fail "a run stopped at 2 of 3: '$got'"
history 3
got=$(run 3)
[ "$got" = "not called" ] || fail "a finished run was trained again: '$got'"
grep -q "has done its 3 epochs" "$DIR/err" || fail "a finished run is skipped without a word"
# A finished run of other options (a script's defaults changed since) is neither shipped nor trained over.
got=$(run 3 --hparams width=8)
[ "$got" = "not called
exit 2" ] || fail "a finished run of other options: '$got'"
grep -q "trained with other options" "$DIR/err" || fail "a finished run of other options: no reason given"
[ "$(cat "$DIR/m.args")" = "loc --epochs 3" ] || fail "a refused run overwrote the record: '$(cat "$DIR/m.args")'"
mv "$DIR/m.args" "$DIR/m.args.kept"
got=$(run 3)
[ "$got" = "not called
exit 2" ] || fail "a finished run whose options were not recorded: '$got'"
mv "$DIR/m.args.kept" "$DIR/m.args"
got=$(run 5)
[ "$got" = "loc --epochs 5 --resume --out $DIR/m.safetensors" ] || fail "more epochs than done: '$got'"
rm "$DIR/m.safetensors"
got=$(run 3)
[ "$got" = "loc --epochs 3 --resume --out $DIR/m.safetensors" ] || fail "all epochs done but no model: '$got'"
echo "scripts_train_run: ok"
