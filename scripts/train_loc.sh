#!/bin/sh
# Trains the shipped default localization model, data/models/loc.safetensors, on
# the synthetic music benchmark (docs/DATA.md), scores it on music1000's test
# split (docs/BENCHMARK.md) and writes data/models/loc.json (numbers and commands).
#
#   scripts/train_loc.sh [BUILD_DIR]     (default: build; ~16 min on the 2 cores)
#
# The model is Senocak et al.'s audio-guided attention (fusion/loc_models.h) at a CPU
# size: ResNet-18 branches of width 16, frames resized to 192 x 192 (a 12 x 12 map: finer
# than 128's 8 x 8, so less of a sounding player's heat spills onto its neighbour) and 3 s of
# audio at 11025 Hz, trained from scratch with its unsupervised term, its supervised
# attention term on the boxes of the sounding instruments and our silent-object term
# (silent_weight=5: the attention's mass on silent instruments' boxes); the training set
# has a silent instrument in view in most clips (--distractors 0.8) so that the attention
# learns to avoid them. Mixed precision (PRECISION=auto: bf16 where the CPU has it, about 20 s
# an epoch). Why this model and size (5.9 MB): docs/BENCHMARK.md (Localization). Needs
# nothing but the build (no network).
set -eu
PRECISION=${PRECISION:-auto} # the shipped model was trained in bf16
. "$(dirname "$0")/train_common.sh"
BUILD=${1:-build}
WORK=${WORK:-$BUILD/train-loc}
SEED=13 COUNT=3000 DISTRACTORS=0.8 EPOCHS=${EPOCHS:-40}
ARCH=senocak HP=width=16,audio_width=16,size=192,silent_weight=5
"$(dirname "$0")/setup.sh" --train
mkdir -p "$WORK"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"

synth_once "$WORK/music$COUNT" --kind music --count $COUNT --seed $SEED --distractors $DISTRACTORS
synth_once "$WORK/music1000" --kind music --count 1000 --seed 7

train="--manifest $WORK/music$COUNT/train.jsonl --val $WORK/music$COUNT/val.jsonl --arch $ARCH --hparams $HP"
train="$train --epochs $EPOCHS --batch 32 --lr 1e-3 --schedule cosine --seed 1 --precision $PRECISION"
# shellcheck disable=SC2086
train_run "$WORK/loc.log" "$WORK/loc.safetensors" "$EPOCHS" loc $train
export AVS_PRECISION=fp32 # scored in fp32 whatever --precision auto would pick
"$BUILD/bin/aveval" loc -m "$WORK/loc.safetensors" "$WORK/music1000/test.jsonl" --json > "$WORK/loc.test.json"
"$BUILD/bin/aveval" loc -m "$WORK/loc.safetensors" "$WORK/music1000/test.jsonl" --threshold 0.5 --json \
  > "$WORK/loc.test50.json"
"$BUILD/bin/aveval" loc -m "$WORK/loc.safetensors" "$WORK/music1000/test.jsonl" -q | tail -n 6

ship "$WORK/loc.safetensors" loc <<JSON
{
  "model": "loc.safetensors",
  "made_by": "scripts/train_loc.sh",
  "data": "avdata synth --kind music --count $COUNT --seed $SEED --distractors $DISTRACTORS",
  "train": "avtrain loc $train",
  "test_set": "avdata synth --kind music --count 1000 --seed 7 (test split)",
  "test_median": $(cat "$WORK/loc.test.json"),
  "test_threshold_0.5": $(cat "$WORK/loc.test50.json")
}
JSON
