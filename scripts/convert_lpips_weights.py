#!/usr/bin/env python3
"""Builds the LPIPS (VGG16, v0.1) weights file that `LPIPS.load(url:)` reads, from
  1. torchvision's VGG16 ImageNet weights (`vgg16-397923af.pth`, keys `features.N.weight|bias`), and
  2. the `lpips` package's linear layers (`lpips/weights/v0.1/vgg.pth`, keys `linK.model.1.weight`).

The output holds the keys of `lpips.LPIPS(net="vgg").state_dict()` without its `scaling_layer.*` constants and
`lins.*` aliases: `net.slice1.0.weight`, … `net.slice5.28.bias` (torchvision's `features` indices, grouped into the
five stages relu1_2 … relu5_3) and `lin0.model.1.weight` … `lin4.model.1.weight`, all float32.

We do not ship these weights (VGG16: CC BY 4.0 / torchvision terms; lpips: BSD-2). Get them with e.g.
    pip install lpips            # ships weights/v0.1/vgg.pth
    python -c "import torchvision; torchvision.models.vgg16(weights='IMAGENET1K_V1')"   # caches vgg16-397923af.pth
then run
    python scripts/convert_lpips_weights.py --out lpips_vgg.safetensors
(defaults: the torch hub cache and the installed lpips package; or give --vgg PATH --lin PATH). Needs torch and
safetensors only.
"""
import argparse
import os
import sys

import torch
from safetensors.torch import save_file

# torchvision `features` index ranges of the five LPIPS stages (lpips/pretrained_networks.py `vgg16`).
STAGES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]
# Conv indices inside `features` and their (out, in) channels.
CONVS = {0: (64, 3), 2: (64, 64), 5: (128, 64), 7: (128, 128), 10: (256, 128), 12: (256, 256), 14: (256, 256),
         17: (512, 256), 19: (512, 512), 21: (512, 512), 24: (512, 512), 26: (512, 512), 28: (512, 512)}
LIN_CHANNELS = [64, 128, 256, 512, 512]


def default_vgg():
    hub = os.path.join(os.environ.get("TORCH_HOME", os.path.expanduser("~/.cache/torch")), "hub", "checkpoints")
    return os.path.join(hub, "vgg16-397923af.pth")


def default_lin():
    try:
        import lpips  # noqa: F401
    except ImportError:
        return None
    import lpips
    return os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "vgg.pth")


def stage_of(index):
    for s, (lo, hi) in enumerate(STAGES):
        if lo <= index < hi:
            return s + 1
    raise ValueError(index)


def convert(vgg_path, lin_path):
    vgg = torch.load(vgg_path, map_location="cpu", weights_only=True)
    lin = torch.load(lin_path, map_location="cpu", weights_only=True)
    out = {}
    for i, (o, c) in CONVS.items():
        w, b = vgg[f"features.{i}.weight"], vgg[f"features.{i}.bias"]
        if tuple(w.shape) != (o, c, 3, 3) or tuple(b.shape) != (o,):
            sys.exit(f"{vgg_path}: features.{i} has shape {tuple(w.shape)}, expected {(o, c, 3, 3)}")
        out[f"net.slice{stage_of(i)}.{i}.weight"] = w.float().contiguous()
        out[f"net.slice{stage_of(i)}.{i}.bias"] = b.float().contiguous()
    for k, c in enumerate(LIN_CHANNELS):
        w = lin[f"lin{k}.model.1.weight"]
        if tuple(w.shape) != (1, c, 1, 1):
            sys.exit(f"{lin_path}: lin{k}.model.1.weight has shape {tuple(w.shape)}, expected {(1, c, 1, 1)}")
        out[f"lin{k}.model.1.weight"] = w.float().contiguous()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vgg", default=default_vgg(), help="torchvision VGG16 ImageNet weights (.pth)")
    ap.add_argument("--lin", default=default_lin(), help="lpips weights/v0.1/vgg.pth")
    ap.add_argument("--out", required=True, help="output .safetensors")
    args = ap.parse_args()
    for what, path in (("--vgg", args.vgg), ("--lin", args.lin)):
        if not path or not os.path.exists(path):
            sys.exit(f"{what}: file not found: {path} (see --help for where to get it)")
    tensors = convert(args.vgg, args.lin)
    save_file(tensors, args.out, metadata={"format": "pt", "source": "torchvision vgg16 IMAGENET1K_V1 + lpips v0.1 vgg"})
    print(f"wrote {args.out}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
