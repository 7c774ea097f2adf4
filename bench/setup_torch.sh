#!/usr/bin/env bash
# Sets up bench/.venv with a CPU-usable PyTorch, numpy and safetensors.
#
# Idempotent: re-running reuses the venv and skips what is already importable.
# Tries hard to avoid the multi-GB nvidia-*/cuda-*/triton dependencies of the
# PyPI (CUDA) torch wheel: torch is installed with --no-deps and only the pure
# python dependencies torch needs at import time are added. If that torch
# cannot import or multiply two matrices on the CPU, it falls back to a normal
# `pip install torch` (which pulls everything).
#
# Environment:
#   BENCH_VENV    where to create the virtualenv         (default: bench/.venv)
#   PYTHON        interpreter to build the venv from   (default: python3)
#   TORCH_WHEEL   local torch wheel to install from     (default: the first
#                 /tmp/pipchk/torch-*.whl if present, else torch from PyPI)
#   TORCH_SPEC    requirement used when no local wheel   (default: torch)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${BENCH_VENV:-$here/.venv}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch}"
if [[ -z "${TORCH_WHEEL:-}" ]]; then
  TORCH_WHEEL="$(ls /tmp/pipchk/torch-*.whl 2>/dev/null | head -n1 || true)"
fi

say() { printf '[setup_torch] %s\n' "$*"; }

if [[ -x "$venv/bin/python" ]]; then
  say "reusing virtualenv $venv"
else
  say "creating virtualenv $venv with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip --disable-pip-version-check)

check_torch() {
  "$py" - <<'PY'
import torch
a, b = torch.randn(2, 2), torch.randn(2, 2)
c = a @ b
assert c.shape == (2, 2) and torch.isfinite(c).all()
print(f"torch {torch.__version__} ok on CPU; cuda build={torch.version.cuda}, "
      f"threads={torch.get_num_threads()}")
PY
}

# Pure-python packages torch imports (its Requires-Dist minus CUDA/triton).
torch_pure_deps=(filelock "typing-extensions>=4.13.0" "setuptools>=77.0.3"
                 "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5")

if "$py" -c "import numpy, safetensors" 2>/dev/null; then
  say "numpy and safetensors already installed"
else
  say "installing numpy and safetensors"
  "${pip[@]}" install -q numpy safetensors
fi

if check_torch 2>/dev/null; then
  say "torch already importable; not reinstalling"
else
  say "installing torch's pure-python dependencies: ${torch_pure_deps[*]}"
  "${pip[@]}" install -q "${torch_pure_deps[@]}"
  if [[ -n "$TORCH_WHEEL" && -f "$TORCH_WHEEL" ]]; then
    say "installing torch --no-deps from local wheel $TORCH_WHEEL"
    "${pip[@]}" install -q --no-deps "$TORCH_WHEEL"
  else
    say "installing torch --no-deps from PyPI ($TORCH_SPEC)"
    "${pip[@]}" install -q --no-deps "$TORCH_SPEC"
  fi
  if err="$(check_torch 2>&1)"; then
    printf '%s\n' "$err"
    say "torch --no-deps works on CPU (no nvidia-*/cuda-*/triton packages installed)"
  else
    say "torch --no-deps failed to import/run: $(printf '%s\n' "$err" | grep -E 'Error|error' | tail -n1)"
    say "(the PyPI Linux x86_64 wheel is a CUDA build: libtorch_cuda.so links libcudart,"
    say " libcublas, libcudnn, libnccl, ... at load time, even for CPU-only use)"
    say "falling back to a full install (pulls the nvidia-*/cuda-*/triton wheels, ~4 GB)"
    if [[ -n "$TORCH_WHEEL" && -f "$TORCH_WHEEL" ]]; then
      "${pip[@]}" install -q "$TORCH_WHEEL"
    else
      "${pip[@]}" install -q "$TORCH_SPEC"
    fi
    check_torch
    say "torch works after full install (CUDA dependencies were pulled)"
  fi
fi

# pytorch-fid and lpips (the Inception and LPIPS benchmarks' references) with torchvision's model definitions and what they import;
# --no-deps: torchvision's own torch pin would pull a second torch (scripts/torchvision_models_only.py lets its
# pure-Python models import against this torch).
if ! "$py" -c "import pytorch_fid, lpips, tqdm, torchvision, PIL, scipy" 2>/dev/null; then
  say "installing pytorch-fid, lpips, torchvision (models only), pillow, scipy"
  "${pip[@]}" install -q --no-deps pytorch-fid lpips tqdm torchvision pillow scipy
fi

"$py" - <<'PY'
import numpy, safetensors, torch
print(f"[setup_torch] done: torch {torch.__version__}, numpy {numpy.__version__}, "
      f"safetensors {safetensors.__version__}")
PY
say "activate with: source $venv/bin/activate   (or run $py directly)"
