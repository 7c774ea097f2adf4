#!/usr/bin/env bash
# The SwiftVTP demo on built-in data (no downloads): checks our model against outputs of the official
# PyTorch implementation, then runs the image/text pipeline end to end on the bundled example photos.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product vtp
vtp=.build/release/vtp
fixture=Tests/VTPModelsTests/Fixtures/vtp-tiny
out=${OUT:-out/demo}
mkdir -p "$out"

echo "== 1. Parity with the official VTP code (checkpoint + inputs + reference outputs in $fixture)"
$vtp info --model $fixture/model
$vtp forward --model $fixture/model --input $fixture/inputs.safetensors --output "$out/forward.safetensors" --intermediate 2 >/dev/null
$vtp compare "$out/forward.safetensors" $fixture/expected.safetensors --tolerance 5e-3
$vtp forward --model $fixture/model --rope-precision fp32 --input $fixture/inputs.safetensors --output "$out/forward_fp32.safetensors" --intermediate 2 >/dev/null
$vtp compare "$out/forward_fp32.safetensors" $fixture/expected_rope_fp32.safetensors --tolerance 1e-4

echo; echo "== 2. CLIP tokenizer (official ids)"
$vtp tokenize --context-length 12 "a photo of an astronaut" "two dogs playing in the snow!"

echo; echo "== 3. Images through the model (this fixture has random weights: the pipeline runs, the pictures are noise)"
$vtp reconstruct --model $fixture/model --size 64 --side-by-side examples/*.jpg --output "$out/reconstructions"
$vtp encode --model $fixture/model --size 64 examples/*.jpg --output "$out/latents.safetensors"
$vtp decode --model $fixture/model --input "$out/latents.safetensors" --output "$out/decoded"
$vtp zero-shot --model $fixture/model --size 64 --classes "cat,astronaut,coffee cup" --top-k 2 examples/*.jpg
echo; echo "demo outputs are in $out/"
