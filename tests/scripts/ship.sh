# tests/scripts/CMakeLists.txt: scripts/train_common.sh's ship() installs a trained model and its
# JSON card only when the card is JSON, through files renamed into place; synth_once() makes a
# data set once.
set -eu
SCRIPTS=$(cd "$1" && pwd) # absolute: the test works in a folder of its own
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
fail() { echo "scripts_ship: $*" >&2; exit 1; }
cd "$DIR"
mkdir -p data/models build/bin
echo old > data/models/m.safetensors
echo '{"old": 1}' > data/models/m.json
echo new > new.safetensors

# A card that is not JSON (a score that came out empty): exit 1, the shipped pair untouched.
rc=0
(BUILD=build; . "$SCRIPTS/train_common.sh"; printf '{"sdr": }\n' | ship new.safetensors m) 2> err || rc=$?
[ $rc = 1 ] || fail "a card that is not JSON: exit $rc, not 1"
grep -q "not JSON" err || fail "a card that is not JSON: no reason given: '$(cat err)'"
[ "$(cat data/models/m.safetensors)" = old ] || fail "a card that is not JSON replaced the model"
[ "$(cat data/models/m.json)" = '{"old": 1}' ] || fail "a card that is not JSON replaced the card"
rm -f data/models/m.json.tmp

# A good card: both files replaced, nothing left beside them.
out=$(BUILD=build; . "$SCRIPTS/train_common.sh"; printf '{"sdr": 8.5}\n' | ship new.safetensors m)
[ "$(cat data/models/m.safetensors)" = new ] || fail "the model was not shipped"
[ "$(cat data/models/m.json)" = '{"sdr": 8.5}' ] || fail "the card was not shipped: '$(cat data/models/m.json)'"
[ "$(ls data/models)" = "m.json
m.safetensors" ] || fail "ship left files behind: $(ls data/models | tr '\n' ' ')"
case $out in "shipped data/models/m.safetensors"*) ;; *) fail "ship says '$out'" ;; esac

# synth_once: avdata is called with the set's folder, and not again once the set is finished.
cat > build/bin/avdata <<SCRIPT
#!/bin/sh
echo "\$*" > "$DIR/called"
SCRIPT
chmod +x build/bin/avdata
(BUILD=build; . "$SCRIPTS/train_common.sh"; synth_once set --kind music --count 3 --seed 7)
[ "$(cat called)" = "synth --kind music --count 3 --seed 7 --out set --force" ] ||
  fail "synth_once called avdata with '$(cat called)'"
rm called
mkdir set && : > set/meta.json
(BUILD=build; . "$SCRIPTS/train_common.sh"; synth_once set --kind music --count 3 --seed 7)
[ ! -f called ] || fail "synth_once made a finished set again"
echo "scripts_ship: ok"
