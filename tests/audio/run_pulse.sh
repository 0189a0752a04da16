#!/bin/sh
# Runs a live audio test against a private PulseAudio server (own runtime dir,
# own socket, a null sink as the only sink) and tears the server down after.
#   run_pulse.sh TEST_BINARY WORKDIR
# Exit 77 (CTest: skipped) only when PulseAudio is not installed at all;
# scripts/setup.sh --test installs pulseaudio and pulseaudio-utils.
set -u
bin=$1
work=$2
for tool in pulseaudio pactl paplay; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "SKIP: $tool not installed (scripts/setup.sh --test installs pulseaudio pulseaudio-utils)"
    exit 77
  fi
done
rm -rf "$work"
mkdir -p "$work/runtime" "$work/home" "$work/state"
chmod 700 "$work/runtime"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/runtime" XDG_CONFIG_HOME="$work/home/.config"
export PULSE_RUNTIME_PATH="$work/runtime/pulse" PULSE_STATE_PATH="$work/state"
printf 'autospawn = no\n' >"$work/client.conf"
export PULSE_CLIENTCONFIG="$work/client.conf"
sock="$work/runtime/native"
pulseaudio --daemonize=no -n --exit-idle-time=-1 --use-pid-file=no --disable-shm=yes --system=no \
  --log-target=file:"$work/pulse.log" --log-level=notice \
  --load="module-native-protocol-unix socket=$sock auth-anonymous=1" \
  --load="module-null-sink sink_name=avs_null rate=16000 channels=1 format=float32le" &
pa=$!
cleanup() {
  kill "$pa" 2>/dev/null
  wait "$pa" 2>/dev/null
}
trap cleanup EXIT INT TERM
export PULSE_SERVER="unix:$sock"
i=0
until pactl info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$pa" 2>/dev/null; then
    echo "FAIL: the PulseAudio server did not start"
    cat "$work/pulse.log" 2>/dev/null
    exit 1
  fi
  sleep 0.1
done
pactl list short sinks
pactl list short sources
"$bin" "$work"
rc=$?
[ $rc -ne 0 ] && { echo "--- pulse.log"; cat "$work/pulse.log"; }
exit $rc
