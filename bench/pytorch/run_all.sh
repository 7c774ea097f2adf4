#!/usr/bin/env bash
# Runs every PyTorch reference benchmark once, one after another, printing JSON lines
# (one per measurement) on stdout and a short environment header on stderr.
#   THREADS (default 2)  TRAIN_STEPS/TRAIN_WARMUP (5/3)  BF16_TRAIN_STEPS/BF16_TRAIN_WARMUP (3/2)
#   INFER_STEPS/INFER_WARMUP (5/2)  BF16_INFER_STEPS/BF16_INFER_WARMUP (3/1)  SIZES ("S B")
#   (bf16 defaults are smaller because CPU bf16 without AVX512-BF16/AMX is very slow in PyTorch)
#   QUIET_WAIT_S (default 0): before each benchmark wait up to this many seconds for two
#   consecutive 2-second windows in which the whole machine is >= 90% idle (shared hosts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-$here/../.venv/bin/python}"
T="${THREADS:-2}"
idle_pct() {  # whole-machine idle percentage over $1 seconds, from /proc/stat
  local a b c d e f g h t1 i1
  read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
  sleep "$1"
  read -r _ a b c d e f g h _ < /proc/stat
  echo $(( 100 * (d + e - i1) / (a+b+c+d+e+f+g+h - t1 + 1) ))
}
wait_quiet() {
  local limit="${QUIET_WAIT_S:-0}" start=$SECONDS
  (( limit > 0 )) || return 0
  while (( SECONDS - start < limit )); do
    if (( $(idle_pct 2) >= 90 )) && (( $(idle_pct 2) >= 90 )); then return 0; fi
  done
  echo "warning: machine not quiet after ${limit}s; measuring anyway" >&2
}
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cpus visible"
  echo "torch: $("$py" -c 'import torch; print(torch.__version__)')"
  echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >&2
wait_quiet; "$py" "$here/gemm.py" --threads "$T" --json
wait_quiet; "$py" "$here/vit_step.py" --threads "$T" --mode fp32 --warmup "${TRAIN_WARMUP:-3}" --steps "${TRAIN_STEPS:-5}" --json
wait_quiet; "$py" "$here/vit_step.py" --threads "$T" --mode bf16 --warmup "${BF16_TRAIN_WARMUP:-2}" --steps "${BF16_TRAIN_STEPS:-3}" --json
for s in ${SIZES:-S B}; do
  wait_quiet; "$py" "$here/vtp_infer.py" --threads "$T" --size "$s" --mode fp32 --warmup "${INFER_WARMUP:-2}" --steps "${INFER_STEPS:-5}" --json
  wait_quiet; "$py" "$here/vtp_infer.py" --threads "$T" --size "$s" --mode bf16 --warmup "${BF16_INFER_WARMUP:-1}" --steps "${BF16_INFER_STEPS:-3}" --json
done
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
