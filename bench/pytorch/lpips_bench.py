#!/usr/bin/env python3
"""LPIPS-VGG v0.1 distances of image pairs at 256x256 with the `lpips` package (random weights: pnet_rand, no
downloads), no grad, pairs/s; the reference for `vtp-bench lpips`. Needs torch, torchvision (model definitions),
lpips.
    python bench/pytorch/lpips_bench.py --threads 2 --batch 8 --steps 5 --warmup 2
"""
import argparse
import json
import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import torchvision_models_only  # noqa: F401,E402
import lpips  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    warnings.filterwarnings("ignore", category=UserWarning)  # torchvision's note on the deprecated `pretrained`
    model = lpips.LPIPS(net="vgg", pretrained=False, pnet_rand=True, verbose=False).eval()
    x = torch.rand(a.batch, 3, 256, 256) * 2 - 1
    y = torch.rand(a.batch, 3, 256, 256) * 2 - 1
    times = []
    with torch.no_grad():
        for i in range(a.warmup + a.steps):
            t = time.perf_counter()
            model(x, y)
            if i >= a.warmup:
                times.append(time.perf_counter() - t)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"framework": "pytorch", "bench": "lpips_vgg", "batch": a.batch, "median_s": med,
                      "images_per_s": a.batch / med, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
