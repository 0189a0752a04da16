# Sourced by the training scripts (scripts/train_*.sh).
#
# PRECISION=bf16 in the environment trains in mixed precision (avtrain --precision: about 1.35x as
# fast for the separation and speech recipes where the CPU has AVX-512 bf16, docs/BENCH.md); auto
# picks bf16 where the CPU runs it natively. fp32 is the default unless a script set its own first
# (train_speech.sh: auto, the precision its shipped model was trained in).
PRECISION=${PRECISION:-fp32}
# Checked here, not left to avtrain: a bad value then stops the script before minutes of data making.
case $PRECISION in
  fp32|bf16|auto) ;;
  *) echo "$(basename "$0"): PRECISION must be fp32, bf16 or auto, not '$PRECISION'" >&2; exit 2 ;;
esac

# `logged LOG COMMAND...` runs COMMAND, appends its
# standard output to LOG as tee does, and returns COMMAND's exit status. A plain
# `COMMAND | tee` returns tee's status, so a training that failed (or was killed)
# would go on to score and ship whatever model file was left; dash has no pipefail.
logged() {
  logged_log=$1
  shift
  logged_status=$(mktemp)
  { logged_rc=0; "$@" || logged_rc=$?; echo $logged_rc > "$logged_status"; } | tee -a "$logged_log"
  logged_rc=$(cat "$logged_status")
  rm -f "$logged_status"
  [ -n "$logged_rc" ] || logged_rc=1
  return "$logged_rc"
}

# `train_run LOG OUT EPOCHS VERB ARGS...` runs `avtrain VERB ARGS... --out OUT` (logged to LOG),
# going on (--resume) from OUT's checkpoint folder (OUT without .safetensors, plus .ckpt) where a
# run stopped part-way, and skipping the training where that run has done all its EPOCHS: a rerun
# of a script then only scores and ships (avtrain refuses to resume a finished run). The skip
# needs the finished run's options (OUT without .safetensors, plus .args, written before each
# training) to be this call's: a script whose defaults or knobs changed since (another data set,
# another size) would otherwise ship the old model under the new recipe. A run stopped part-way
# needs no such check: avtrain --resume refuses options that contradict its checkpoint.
train_run() {
  train_log=$1 train_out=$2 train_epochs=$3
  shift 3
  train_ckpt=${train_out%.safetensors}.ckpt train_args=${train_out%.safetensors}.args train_line=$*
  if [ -f "$train_ckpt/last.safetensors" ]; then
    train_done=$(grep -c '"epoch":' "$train_ckpt/history.json" 2>/dev/null || true)
    if [ -f "$train_out" ] && [ "${train_done:-0}" -ge "$train_epochs" ]; then
      if [ "$(cat "$train_args" 2>/dev/null)" != "$train_line" ]; then
        echo "$(basename "$0"): $train_out was trained with other options than this run's (or they were not" \
          "recorded in $train_args): move it and $train_ckpt away, or set WORK to another folder" >&2
        exit 2
      fi
      echo "$(basename "$0"): $train_out has done its $train_epochs epochs: not trained again" >&2
      return 0
    fi
    set -- "$@" --resume
  fi
  printf '%s\n' "$train_line" > "$train_args"
  logged "$train_log" "$BUILD/bin/avtrain" "$@" --out "$train_out"
}

# `synth_once DIR ARGS...` makes a data set with `avdata synth ARGS... --out DIR` unless DIR
# already holds a finished one (avdata writes meta.json last): a rerun of a script reuses its data.
synth_once() {
  synth_dir=$1
  shift
  [ -f "$synth_dir/meta.json" ] || "$BUILD/bin/avdata" synth "$@" --out "$synth_dir" --force
}

# `ship FILE NAME < CARD` installs FILE as data/models/NAME.safetensors and standard input (the
# model's JSON card: its recipe and scores) as data/models/NAME.json. The card is checked to be
# JSON before anything is replaced (a score that came out empty would leave a card no program
# reads), and each file is written beside its place and renamed into it, so a script stopped
# part-way never leaves half a file.
ship() {
  ship_file=$1 ship_name=data/models/$2
  cat > "$ship_name.json.tmp"
  if ! python3 -m json.tool "$ship_name.json.tmp" > /dev/null 2>&1; then
    echo "$(basename "$0"): the card for $ship_name.safetensors is not JSON (kept as $ship_name.json.tmp):" \
      "nothing shipped" >&2
    exit 1
  fi
  cp "$ship_file" "$ship_name.safetensors.tmp"
  mv "$ship_name.safetensors.tmp" "$ship_name.safetensors"
  mv "$ship_name.json.tmp" "$ship_name.json"
  echo "shipped $ship_name.safetensors (and $2.json)"
}

# The music benchmark's soundfonts (scripts/setup.sh --train installs them). THREE_FONTS: each
# instrument of a clip rendered with FluidR3 (named twice: half of them), csound's GM bank or
# MuseScore General Lite (a quarter each), the default separation models' training set.
SF2=/usr/share/sounds/sf2 SF3=/usr/share/sounds/sf3
THREE_FONTS=$SF2/FluidR3_GM.sf2,$SF2/FluidR3_GM.sf2,$SF2/sf_GMbank.sf2,$SF3/MuseScore_General_Lite.sf3
FLUIDR3_FONTS=$SF2/FluidR3_GM.sf2
