#!/usr/bin/env bash
# The SwiftVTP demo on built-in data (no downloads):
#   1. checks our VTP model against outputs of the official PyTorch implementation (bundled fixture);
#   2. pre-trains a small VTP tokenizer on Fashion-MNIST (CLIP + DINO/iBOT/KoLeo + reconstruction) for a few
#      minutes and reports zero-shot accuracy and reconstruction PSNR on held-out test images;
#   3. fine-tunes its pixel decoder against a PatchGAN discriminator, encoder frozen (the second stage);
#   4. uses the trained checkpoint from the command line: reconstruction and zero-shot classification of held-out
#      Fashion-MNIST test images (examples/fashion-mnist/, one per class; the file name is the true class);
#   5. evaluates the tokenizer on DEMO_EVAL_IMAGES (default 2000) test images: zero-shot, k-NN, PSNR/SSIM and domain
#      rFID (a Fashion-MNIST classifier trained for one epoch on 20,000 images gives the domain features);
#   6. generates: latents of Fashion-MNIST training images through the tokenizer, a class-conditional LightningDiT
#      trained on them for a few minutes, a grid of samples per class, and their class consistency and domain FD.
# DEMO_STEPS (default 300) sets the pre-training length (configs/fmnist-tiny.yaml's full 600 steps take ~12
# minutes), DEMO_GAN_STEPS (default 60) the second stage's, DEMO_LATENTS (default 10000) the training images
# encoded for the generator and DEMO_DIT_STEPS (default 300) its training steps.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product vtp
vtp=.build/release/vtp
fixture=Tests/VTPModelsTests/Fixtures/vtp-tiny
out=${OUT:-out/demo}
steps=${DEMO_STEPS:-300}
gan_steps=${DEMO_GAN_STEPS:-60}
latents=${DEMO_LATENTS:-10000}
dit_steps=${DEMO_DIT_STEPS:-300}
eval_images=${DEMO_EVAL_IMAGES:-2000}
mkdir -p "$out"

echo "== 1. Parity with the official VTP code (checkpoint + inputs + reference outputs in $fixture)"
$vtp forward --model $fixture/model --input $fixture/inputs.safetensors --output "$out/forward.safetensors" --intermediate 2 >/dev/null
$vtp compare "$out/forward.safetensors" $fixture/expected.safetensors --tolerance 5e-3
$vtp forward --model $fixture/model --rope-precision fp32 --input $fixture/inputs.safetensors --output "$out/forward_fp32.safetensors" --intermediate 2 >/dev/null
$vtp compare "$out/forward_fp32.safetensors" $fixture/expected_rope_fp32.safetensors --tolerance 1e-4

echo; echo "== 2. Pre-training a small VTP on Fashion-MNIST ($steps steps)"
rm -rf "$out/fmnist"
$vtp train --config configs/fmnist-tiny.yaml schedule.steps=$steps schedule.eval_every=$steps \
  checkpoint.every=$steps optimizer.warmup_steps=$((steps / 10)) output_dir="$out/fmnist"

echo; echo "== 3. Second stage: GAN fine-tuning of the decoder, encoder frozen ($gan_steps steps)"
rm -rf "$out/fmnist-gan"
$vtp train --config configs/fmnist-tiny-gan.yaml model.init_from="$out/fmnist" schedule.steps=$gan_steps \
  schedule.eval_every=$gan_steps checkpoint.every=$gan_steps optimizer.warmup_steps=$((gan_steps / 10)) \
  objectives.gan.start_step=$((gan_steps / 3)) output_dir="$out/fmnist-gan"
model="$out/fmnist-gan/checkpoints/$(cat "$out/fmnist-gan/checkpoints/latest")"

echo; echo "== 4. The trained tokenizer from the command line ($model)"
$vtp info --model "$model"
$vtp reconstruct --model "$model" --size 28 --side-by-side examples/fashion-mnist/*.png --output "$out/reconstructions"
$vtp zero-shot --model "$model" --size 28 --templates "a photo of a {}." --top-k 3 \
  --classes "t-shirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle boot" examples/fashion-mnist/*.png
echo; echo "== 5. Evaluation of the tokenizer on $eval_images test images (reports in $out/eval)"
$vtp eval train-classifier --data fmnist --limit 20000 --epochs 1 --output "$out/classifier"
$vtp eval zero-shot --model "$model" --data fmnist-test --limit "$eval_images" --templates grayscale --output "$out/eval"
$vtp eval knn --model "$model" --train fmnist --val fmnist-test --limit "$eval_images" --output "$out/eval"
$vtp eval reconstruction --model "$model" --data fmnist-test --limit "$eval_images" --net "$out/classifier" --output "$out/eval"

echo; echo "== 6. Generation: a LightningDiT on the tokenizer's latents ($latents images, $dit_steps steps)"
rm -rf "$out/latents" "$out/dit"
$vtp dit extract --tokenizer "$out/fmnist-gan" --data fmnist --limit "$latents" --output "$out/latents"
$vtp dit train --config configs/dit/fmnist.yaml data.latents="$out/latents" output_dir="$out/dit" \
  schedule.steps=$dit_steps schedule.eval_every=$dit_steps checkpoint.every=$dit_steps
$vtp dit sample --model "$out/dit" --per-class 20 --steps 50 --shift 0 --cfg 3 --output "$out/samples" \
  --net "$out/classifier" --reference fmnist-test

echo; echo "report: $out/fmnist/eval.json, $out/fmnist/loss.png, $out/fmnist/reconstructions-step$steps.png"
echo "        $out/fmnist-gan/eval.json, $out/fmnist-gan/loss.png, $out/fmnist-gan/reconstructions-step$gan_steps.png"
echo "        $out/eval/{zero-shot,knn,reconstruction}.{json,md}, $out/eval/reconstruction.png"
echo "        $out/dit/loss.png, $out/dit/samples-step$dit_steps.png, $out/samples/grid.png (generated, one row per class)"
echo "        $out/samples/generation.md (class consistency and domain FD of the samples)"
echo "pre-training:"; cat "$out/fmnist/eval.json"; echo
echo "after the GAN stage:"; cat "$out/fmnist-gan/eval.json"; echo
