#!/usr/bin/env python3
"""LPIPS-VGG v0.1 distances of image pairs at 256x256 with the `lpips` package (random weights: pnet_rand, no
downloads), no grad, pairs/s; the reference for `vtp-bench lpips`. Needs torch, torchvision (model definitions),
lpips.
    python bench/pytorch/lpips_bench.py --threads 2 --batch 8 --steps 5 --warmup 2
"""
import os
import sys
import warnings

import torch

from benchutil import emit_throughput, parse_args, timed

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import torchvision_models_only  # noqa: F401,E402
import lpips  # noqa: E402


def main():
    a = parse_args(__doc__)
    torch.manual_seed(1)
    warnings.filterwarnings("ignore", category=UserWarning)  # torchvision's note on the deprecated `pretrained`
    model = lpips.LPIPS(net="vgg", pretrained=False, pnet_rand=True, verbose=False).eval()
    x = torch.rand(a.batch, 3, 256, 256) * 2 - 1
    y = torch.rand(a.batch, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        emit_throughput("lpips_vgg", a.batch, timed(lambda: model(x, y), a.steps, a.warmup))


if __name__ == "__main__":
    main()
