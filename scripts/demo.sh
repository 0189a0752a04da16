#!/usr/bin/env bash
# `make demo`: the main job on shipped defaults.
#   1. separate the sounds of the bundled sample clip (a trio) with the shipped
#      separation model: avsep separate finds the instruments in the picture
#      and writes one track per source, heatmaps and sources.json;
#   2. show where its sounds come from (avloc heatmap, shipped localization
#      model): an overlay video with the sound, and per-second peaks;
#   2b. describe the clip (avinfo) and save a still from it;
#   3. make a small synthetic music set with ground-truth stems (avdata synth)
#      and score the oracle masks (the ceiling) and the audio-only NMF
#      baseline (the floor) on its test split (avdata baseline);
#   4. recognize the action in a bundled clip with the shipped default model;
#   5. separate the voices of the two people in the bundled speech clip (shipped
#      speech model; their faces from the sample's manifest, as the detector
#      finds only one of the two cartoon faces);
#   6. co-separate the sample trio and another bundled clip (tuba and guitar):
#      their soundtracks mixed, each instrument of each video separated from the
#      mixture (shipped co-separation model).
set -euo pipefail
build=${1:-build}
bin="$build/bin"
out=${AVS_DEMO_OUT:-demo-out}
sample=data/samples/music/clips/music_test_000000

mkdir -p "$out"
echo "== 1. separating $sample/video.mp4 (shipped model data/models/sep.safetensors)"
rm -rf "$out/voices"
"$bin/avsep" separate "$sample/video.mp4" --out "$out/voices" --video
echo "   tracks, heatmaps, videos and sources.json in $out/voices:"
ls "$out/voices" | sed 's/^/     /'

echo "== 2. where the sound comes from in $sample/video.mp4 (shipped model data/models/loc.safetensors)"
"$bin/avloc" heatmap "$sample/video.mp4" -o "$out/heatmap.mp4" -q
"$bin/avloc" heatmap "$sample/video.mp4" -q > "$out/heatmap.txt"
head -n 6 "$out/heatmap.txt"
echo "   overlay video with the sound in $out/heatmap.mp4"

echo "== 2b. the bundled sample: $sample/video.mp4"
"$bin/avinfo" "$sample/video.mp4"
rm -f "$out/still.png"
"$bin/avinfo" -q --still 2.0 -o "$out/still.png" "$sample/video.mp4" >/dev/null
echo "   still frame written to $out/still.png"

echo "== 3. a synthetic music set with ground truth (24 clips, seed 7) in $out/music"
rm -rf "$out/music"
"$bin/avdata" synth --kind music --count 24 --seed 7 --out "$out/music" -q

echo "   separation scores on its test split (oracle ceiling, NMF floor)"
"$bin/avdata" baseline "$out/music" --split test -q

action=data/samples/actions/clips/actions_test_000000/video.mp4
echo "== 4. the action in $action (shipped model data/models/action.safetensors)"
"$bin/avact" classify -q --topk 3 "$action"

talk=data/samples/speech/clips/speech_test_000000/video.mp4
echo "== 5. the voices of the people in $talk (shipped model data/models/speech.safetensors)"
faces=$(python3 -c 'import json, sys
c = [json.loads(l) for l in open("data/samples/speech/test.jsonl")][0]
print(";".join(",".join(str(round(v)) for v in o["boxes"][0]) for o in c["objects"][:2]))')
rm -rf "$out/speakers"
"$bin/avsep" speech "$talk" --faces "$faces" --out "$out/speakers" --video -q
echo "   one voice per face, speakers.json and speakers.mp4 in $out/speakers:"
ls "$out/speakers" | sed 's/^/     /'

duo=data/samples/music/clips/music_train_000000/video.mp4
echo "== 6. co-separating $sample/video.mp4 and $duo (shipped model data/models/cosep.safetensors)"
rm -rf "$out/objects"
"$bin/avsep" coseparate "$sample/video.mp4" "$duo" --out "$out/objects" -q
echo "   the mixture and one track per instrument of each video in $out/objects:"
ls "$out/objects" | sed 's/^/     /'
