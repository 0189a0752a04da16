#!/usr/bin/env bash
# What `cmake --install` gives a C user, checked in a temporary prefix.
#
#   install.sh package SRC BUILD LIBDIR   installs the project's build
#   install.sh minimal SRC BUILD LIBDIR   configures SRC afresh without
#       PortAudio, FluidSynth and espeak-ng (prefix OUT/prefix), builds, installs
# Environment: CC, PKG_CONFIG, CONFIGURED_DATA (the data folder BUILD was
# configured for, <CMAKE_INSTALL_PREFIX>/share/avs).
#
# Then: the tree (libavs.so/.a, avs.pc, the CMake package, public headers only,
# shipped data only); every installed header compiles on its own; the example
# examples/classify.c builds through pkg-config and through find_package(AVS),
# shared and static, and runs from another folder with AVS_DATA unset, finding
# the shipped model in the prefix. Installed programs never read the source
# tree (av/datadir.h), so these runs see what they would see without it.
set -euo pipefail
MODE=$1 SRC=$2 BUILD=$3 LIBDIR=$4
: "${CC:=cc}" "${PKG_CONFIG:=pkg-config}" "${CONFIGURED_DATA:=/usr/local/share/avs}"
export CC
# Outside the build tree, whose programs (alone) may read the source tree's data/.
OUT=$(mktemp -d "${TMPDIR:-/tmp}/avs_install_$MODE.XXXXXX")
mkdir -p "$OUT/run"
echo "working in $OUT (removed when every check passes)"
P=$OUT/prefix
fails=0 passes=0
ok() { echo "ok   $*"; passes=$((passes + 1)); }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check "what" command...: passes when the command succeeds
  local what=$1; shift
  if "$@" >"$OUT/last.log" 2>&1; then ok "$what"; else bad "$what: $(tail -5 "$OUT/last.log")"; fi
}
finish() {
  echo "$passes passed, $fails failed"
  if [ "$fails" -eq 0 ]; then rm -rf "$OUT"; else echo "kept $OUT"; return 1; fi
}
# run DIR CMD...: CMD from an empty folder, without AVS_DATA; output in $OUT/out
run() { (cd "$OUT/run" && env -u AVS_DATA "$@") >"$OUT/out" 2>&1; }

if [ "$MODE" = minimal ]; then
  B=$OUT/build
  if ! cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$P" -DAVS_TESTS=OFF \
       -DAVS_WITH_PORTAUDIO=OFF -DAVS_WITH_FLUIDSYNTH=OFF -DAVS_WITH_ESPEAK=OFF >"$OUT/configure.log" 2>&1; then
    bad "configure: $(tail -20 "$OUT/configure.log")"; finish; exit 1
  fi
  for dep in PORTAUDIO FLUIDSYNTH ESPEAK; do
    check "configure says what is left out without $dep" grep -q "AVS_WITH_$dep=OFF: .* left out" "$OUT/configure.log"
  done
  if ! cmake --build "$B" -j2 >"$OUT/build.log" 2>&1; then bad "build: $(grep -m5 error "$OUT/build.log")"; finish; exit 1; fi
  BUILD=$B
fi
cmake --install "$BUILD" --prefix "$P" >"$OUT/install.log" 2>&1 || { bad "install: $(tail -5 "$OUT/install.log")"; finish; exit 1; }
L=$P/$LIBDIR

# ---- the tree ----
for f in "$L/libavs.so" "$L/libavs.a" "$L/pkgconfig/avs.pc" "$L/cmake/AVS/AVSConfig.cmake" \
         "$P/include/avs/avs.h" "$P/include/avs/av/status.h" "$P/include/avs/av/datadir.h" \
         "$P/share/avs/models/action.safetensors" "$P/share/avs/labels/kinetics400.txt" \
         "$P/share/avs/samples/actions/clips/actions_test_000000/video.mp4" "$P/bin/avact"; do
  check "installed: ${f#$P/}" test -e "$f"
done
unwanted=$(cd "$P" && find . \( -name '*_priv.h' -o -name ff_util.h -o -name dnnl_backend.h -o -name internal.h \
  -o -path ./include/avs/av/ops -o -name 'libavs_*' -o -name '*.py' -o -name '*.sh' -o -name CMakeLists.txt \
  -o -path ./share/avs/generator \) -print)
check "no private headers, part libraries, scripts or generator sources: ${unwanted:-none}" test -z "$unwanted"
check "only models, labels and samples under share/avs" \
  test "$(cd "$P/share/avs" && ls | tr '\n' ' ')" = "labels models samples "
foreign=$(grep -rlE '^#include <(oneapi/|libav|libsw|portaudio|fluidsynth|espeak|alsa/|omp\.h|fftw3|sndfile|cblas|cjson)' \
  "$P/include" || true)
check "no installed header includes a dependency's headers: ${foreign:-none}" test -z "$foreign"

export PKG_CONFIG_PATH=$L/pkgconfig
CFLAGS_AVS=$($PKG_CONFIG --cflags avs | xargs)
check "pkg-config --cflags avs is -I<prefix>/include/avs" test "$CFLAGS_AVS" = "-I$P/include/avs"
nh=0 hbad=""
while IFS= read -r h; do
  nh=$((nh + 1))
  echo "#include <${h#$P/include/avs/}>" | $CC -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only $CFLAGS_AVS -x c - \
    >>"$OUT/headers.log" 2>&1 || hbad="$hbad ${h#$P/include/avs/}"
done < <(find "$P/include/avs" -name '*.h' | sort)
check "each of the $nh installed headers compiles alone (-std=c11 -pedantic):${hbad:- all}" test -z "$hbad"

# ---- examples/classify.c against the prefix ----
EX=$SRC/examples/classify.c
SAMPLE=$P/share/avs/samples/actions/clips/actions_test_000000/video.mp4
# ran "what": the last run printed the prefix's model and a class name
ran() { check "$1" grep -qE "^model: $P/share/avs/models/action.safetensors$" "$OUT/out"
        check "$1: a class name" grep -qE "video.mp4: [a-z_]+ \(" "$OUT/out"; }
# unfound "what": the last run failed naming AVS_DATA (the configured prefix has no data)
unfound() { check "$1: fails naming AVS_DATA" grep -q "set AVS_DATA to the folder" "$OUT/out"; }

check "pkg-config: cc classify.c \$(pkg-config --cflags --libs avs)" \
  $CC -std=c11 -Wall -Werror "$EX" -o "$OUT/classify_pc" $($PKG_CONFIG --cflags --libs avs) -Wl,-rpath,"$L"
run "$OUT/classify_pc" || true
ran "pkg-config, libavs.so: the model found beside libavs.so"
STATIC_LIBS=$($PKG_CONFIG --static --libs avs | sed 's/-lavs\b/-l:libavs.a/')
check "pkg-config --static: classify.c with libavs.a" \
  $CC -std=c11 -Wall -Werror "$EX" -o "$OUT/classify_pc_static" $CFLAGS_AVS $STATIC_LIBS
check "pkg-config --static: no libavs.so needed" bash -c "! ldd '$OUT/classify_pc_static' | grep -q libavs"

check "find_package(AVS): configure" cmake -S "$SRC/tests/install/consumer" -B "$OUT/consumer" \
  -DCMAKE_PREFIX_PATH="$P" -DEXAMPLE="$EX" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release
check "find_package(AVS): build AVS::avs and AVS::avs_static" cmake --build "$OUT/consumer" -j2
run "$OUT/consumer/classify_shared" || true
ran "find_package, AVS::avs: the model found beside libavs.so"

statics=("$OUT/classify_pc_static" "$OUT/consumer/classify_static")
if [ "$MODE" = minimal ]; then
  # a static link finds the data at the prefix it was configured for
  for exe in "${statics[@]}"; do run "$exe" || true; ran "${exe#$OUT/}: the model found at the configured prefix"; done

  check "avs.pc lists none of the left-out libraries" bash -c "! grep -qE 'portaudio|fluidsynth|espeak' '$L/pkgconfig/avs.pc'"
  check "libavs.so needs none of them" bash -c "! ldd '$L/libavs.so' | grep -qE 'portaudio|fluidsynth|espeak'"
  run "$P/bin/avdata" synth --kind music --count 1 -o "$OUT/run/music" && bad "avdata music without FluidSynth: exit 0" \
    || check "avdata music without FluidSynth says so" grep -q "built without FluidSynth" "$OUT/out"
  run "$P/bin/avdata" synth --kind speech --count 1 -o "$OUT/run/speech" && bad "avdata speech without espeak-ng: exit 0" \
    || check "avdata speech without espeak-ng says so" grep -q "built without espeak-ng" "$OUT/out"
  check "avdata actions needs neither" run "$P/bin/avdata" synth --kind actions --count 2 --width 32 --height 32 \
    -o "$OUT/run/actions"
else
  # a static link outside the build tree knows only the prefix configured at
  # build time (not this one): AVS_DATA shows the way
  if [ ! -e "$CONFIGURED_DATA/models/action.safetensors" ]; then
    for exe in "${statics[@]}"; do run "$exe" && bad "${exe#$OUT/} without AVS_DATA: exit 0" || unfound "${exe#$OUT/}"; done
  fi
  for exe in "${statics[@]}"; do
    run env AVS_DATA="$P/share/avs" "$exe" || true
    ran "${exe#$OUT/} with AVS_DATA=<prefix>/share/avs"
  done

  # the prefix moved elsewhere: the apps find their data beside themselves
  mv "$P" "$OUT/moved"
  P=$OUT/moved L=$OUT/moved/$LIBDIR SAMPLE=$OUT/moved/share/avs/samples/actions/clips/actions_test_000000/video.mp4
  run "$P/bin/avact" classify -v "$SAMPLE" || true
  check "moved prefix: avact finds its model in <prefix>/bin/../share/avs" \
    grep -q "data: $P/share/avs/models/action.safetensors" "$OUT/out"
  check "moved prefix: avact classifies" grep -qE "^  [0-9.]+  [a-z_]+$" "$OUT/out"
  run env LD_LIBRARY_PATH="$L" "$OUT/classify_pc" || true
  ran "moved prefix: classify with libavs.so"
  rm "$P/share/avs/models/action.safetensors"
  if [ ! -e "$CONFIGURED_DATA/models/action.safetensors" ]; then
    run "$P/bin/avact" classify "$SAMPLE" && bad "no shipped model: exit 0"
    check "no shipped model: avact's error lists where it looked and names AVS_DATA" \
      grep -qE "error: no model given \(-m FILE\) and shipped data file models/action.safetensors not found in .*$P/share/avs.*set AVS_DATA" "$OUT/out"
  fi
fi
finish
