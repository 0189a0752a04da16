# tests/scripts/CMakeLists.txt: a bad PRECISION (every training script) or SPEAKERS or TIMBRES (train_speech.sh) stops the
# script with one line and exit 2 before it makes anything (no WORK folder, no data, nothing shipped).
set -eu
SCRIPTS=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "scripts_bad_knobs: $*" >&2; exit 1; }

# expect_refusal NAME MESSAGE VAR=VALUE...: the script exits 2, says MESSAGE in one line, writes nothing.
expect_refusal() {
  script=$1 message=$2
  shift 2
  rc=0
  env "$@" WORK="$DIR/work" sh "$SCRIPTS/$script" "$DIR/build" > "$DIR/out" 2> "$DIR/err" || rc=$?
  [ $rc = 2 ] || fail "$script with $*: exit $rc, not 2"
  [ "$(wc -l < "$DIR/err")" = 1 ] || fail "$script with $*: not one line: $(cat "$DIR/err")"
  grep -q "$message" "$DIR/err" || fail "$script with $*: '$(cat "$DIR/err")' lacks '$message'"
  [ ! -e "$DIR/work" ] || fail "$script with $*: made $DIR/work before refusing"
}
for script in train_action.sh train_sep.sh train_cosep.sh train_speech.sh train_loc.sh; do
  expect_refusal $script "PRECISION must be fp32, bf16 or auto, not 'bogus'" PRECISION=bogus
done
for pool in many 1001 -3 123456; do
  expect_refusal train_speech.sh "SPEAKERS must be 0 to 1000, not '$pool'" SPEAKERS=$pool
done
for timbres in 0 67 few -1 1234; do
  expect_refusal train_speech.sh "TIMBRES must be 1 to 66, not '$timbres'" TIMBRES=$timbres
done
echo "scripts_bad_knobs: ok"
