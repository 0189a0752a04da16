# tests/scripts/CMakeLists.txt: scripts/train_common.sh's logged() under `set -eu`, as the training scripts use it.
set -eu
SCRIPTS=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "scripts_logged: $*" >&2; exit 1; }

# A script that logs a successful command, then a failing one, then would ship.
cat > "$DIR/train.sh" <<SCRIPT
set -eu
. "$SCRIPTS/train_common.sh"
logged "$DIR/log" sh -c 'echo epoch 1; exit 0'
echo reached > "$DIR/after_success"
logged "$DIR/log" sh -c 'echo epoch 2; exit 3'
echo shipped > "$DIR/shipped"
SCRIPT
rc=0
sh "$DIR/train.sh" > "$DIR/out" 2>&1 || rc=$?
[ $rc = 3 ] || fail "the script exited $rc, not the failed command's 3"
[ -f "$DIR/after_success" ] || fail "a successful command stopped the script"
[ ! -f "$DIR/shipped" ] || fail "the script went on after the command failed"
[ "$(cat "$DIR/log")" = "$(printf 'epoch 1\nepoch 2')" ] ||
  fail "the log is not the commands' output: $(cat "$DIR/log")"
grep -q "epoch 2" "$DIR/out" || fail "the output did not reach the terminal"

# A command killed by a signal stops it too (status 128 + 15).
cat > "$DIR/killed.sh" <<SCRIPT
set -eu
. "$SCRIPTS/train_common.sh"
logged "$DIR/log2" sh -c 'kill -TERM \$\$'
echo shipped > "$DIR/shipped2"
SCRIPT
rc=0
sh "$DIR/killed.sh" > /dev/null 2>&1 || rc=$?
[ $rc = 143 ] || fail "a killed command gave $rc, not 143"
[ ! -f "$DIR/shipped2" ] || fail "the script went on after the command was killed"
echo "scripts_logged: ok"
