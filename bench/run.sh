#!/usr/bin/env bash
# SwiftVTP vs PyTorch on this machine, in one invocation, same thread count, each benchmark run back to back
# (Swift then PyTorch) so that both see the same machine state. Prints JSON lines to bench/results/<time>.jsonl
# and a table with ratios at the end.
#   THREADS (2)  STEPS (5)  WARMUP (2)  BF16_STEPS (3)  SIZES ("S B")  SKIP_BF16_TORCH (unset: PyTorch bf16
#   autocast on a CPU without native BF16 takes minutes per step; set to 1 to skip it)
#   VTP_BENCH (unset: build and use .build/release/vtp-bench; set: use that binary as is, e.g. a saved baseline)
#   LightningDiT-B/1: DIT_DEPTH (12; fewer blocks for a quick run), DIT_SAMPLE_STEPS (50 Euler grid points),
#   DIT_BF16 (unset: fp32 only; 1: also the bf16 mode), DIT_ONLY (1: skip everything before the DiT benchmarks
#   except `peak`), EVAL_ONLY (1: only `peak` and the evaluation/GAN-stage convolution networks: pytorch-fid's
#   InceptionV3, LPIPS-VGG and the discriminator/VGG convolutions)
set -euo pipefail
cd "$(dirname "$0")/.."
T="${THREADS:-2}"; STEPS="${STEPS:-5}"; WARMUP="${WARMUP:-2}"; BF16_STEPS="${BF16_STEPS:-3}"
export VTP_NUM_THREADS="$T" OMP_NUM_THREADS="$T"
bash bench/setup_torch.sh >&2
[ -n "${VTP_BENCH:-}" ] || swift build -c release --product vtp-bench >&2
py=bench/.venv/bin/python
sw="${VTP_BENCH:-.build/release/vtp-bench}"
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')), $(nproc) cores; flags: $(grep -m1 -o -w 'avx512f\|avx512_bf16\|amx_bf16\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "torch: $($py -c 'import torch; print(torch.__version__)'); threads: $T; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$out" >&2
# Each command is logged with the load average and the number of compiler/test processes running beside it.
run() {
  echo "+ $* (load $(cut -d' ' -f1 /proc/loadavg), compiler/test processes: $(pgrep -c -f 'swift-frontend|swift-build|xctest' || true))" | tee -a "$out" >&2
  "$@" | tee -a "$out"
}
# Convolution networks: pytorch-fid's InceptionV3 features and LPIPS-VGG distances (batch 8), and the GAN stage's
# training convolutions.
eval_nets() {
  run $sw inception --batch 8 --steps "$STEPS" --warmup "$WARMUP"
  run $py bench/pytorch/fid_inception.py --threads "$T" --batch 8 --steps "$STEPS" --warmup "$WARMUP"
  run $sw lpips --batch 8 --steps "$STEPS" --warmup "$WARMUP"
  run $py bench/pytorch/lpips_bench.py --threads "$T" --batch 8 --steps "$STEPS" --warmup "$WARMUP"
  run $sw conv --steps "$STEPS" --warmup "$WARMUP"
  run $py bench/pytorch/conv_bench.py --threads "$T" --steps "$STEPS" --warmup "$WARMUP"
}
if [ -n "${EVAL_ONLY:-}" ]; then
  run $sw peak
  eval_nets
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out" >&2
  python3 bench/report.py "$out"
  exit 0
fi
if [ -n "${DIT_ONLY:-}" ]; then run $sw peak; else
run $sw gemm
run $py bench/pytorch/gemm.py --threads "$T" --json
eval_nets
run $sw vit-step --mode fp32 --steps "$STEPS" --warmup "$WARMUP"
run $py bench/pytorch/vit_step.py --threads "$T" --mode fp32 --steps "$STEPS" --warmup "$WARMUP" --json
run $sw vit-step --mode bf16 --steps "$BF16_STEPS" --warmup 1
[ -n "${SKIP_BF16_TORCH:-}" ] || run $py bench/pytorch/vit_step.py --threads "$T" --mode bf16 --steps "$BF16_STEPS" --warmup 1 --json
for s in ${SIZES:-S B}; do
  for m in fp32 bf16; do
    run $sw reconstruct --size "$s" --mode "$m" --steps "$STEPS" --warmup "$WARMUP"
    if [ "$m" = fp32 ] || [ -z "${SKIP_BF16_TORCH:-}" ]; then
      run $py bench/pytorch/vtp_infer.py --threads "$T" --size "$s" --mode "$m" --steps "$STEPS" --warmup "$WARMUP" --json
    fi
  done
done
fi
# LightningDiT-B/1 on 16x16x64 latents (256 tokens): flow-matching training step (batch 4) and Euler sampling without
# guidance (batch 16, one timed sampling of DIT_SAMPLE_STEPS grid points after one warm-up model evaluation).
D="${DIT_DEPTH:-12}"; DS="${DIT_SAMPLE_STEPS:-50}"
for m in fp32 ${DIT_BF16:+bf16}; do
  run $sw dit-step --mode "$m" --depth "$D" --steps "$STEPS" --warmup "$WARMUP"
  if [ "$m" = fp32 ] || [ -z "${SKIP_BF16_TORCH:-}" ]; then
    run $py bench/pytorch/dit_bench.py --bench step --threads "$T" --mode "$m" --depth "$D" --steps "$STEPS" --warmup "$WARMUP" --json
  fi
  run $sw dit-sample --mode "$m" --depth "$D" --steps "$DS"
  if [ "$m" = fp32 ] || [ -z "${SKIP_BF16_TORCH:-}" ]; then
    run $py bench/pytorch/dit_bench.py --bench sample --threads "$T" --mode "$m" --depth "$D" --steps "$DS" --json
  fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out" >&2
python3 bench/report.py "$out"
