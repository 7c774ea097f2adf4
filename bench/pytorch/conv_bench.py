#!/usr/bin/env python3
"""The GAN stage's training convolutions in PyTorch, the reference for `vtp-bench conv` (same layers, batches and
timing; see bench/swift/Conv.swift): the PatchGAN discriminator (forward; backward = data + weight gradients) and
LPIPS' VGG16 (frozen: backward = data gradients only). Backward times the convolution's backward alone,
y.backward(g, retain_graph=True) over a recorded forward; forward runs under no_grad.
    python bench/pytorch/conv_bench.py --threads 2 --steps 5 --warmup 2
"""
import json

import torch
import torch.nn.functional as F

from benchutil import parse_args, timed

DISC = [("disc", "conv0", 3, 64, 28, 4, 2, 1), ("disc", "conv1", 64, 128, 14, 4, 2, 1),
        ("disc", "conv2", 128, 256, 7, 4, 1, 1), ("disc", "conv3", 256, 1, 6, 4, 1, 1)]
VGG = [("vgg", "conv1_1", 3, 64, 256, 3, 1, 1), ("vgg", "conv1_2", 64, 64, 256, 3, 1, 1),
       ("vgg", "conv2_1", 64, 128, 128, 3, 1, 1), ("vgg", "conv2_2", 128, 128, 128, 3, 1, 1),
       ("vgg", "conv3_1", 128, 256, 64, 3, 1, 1), ("vgg", "conv3_2", 256, 256, 64, 3, 1, 2),
       ("vgg", "conv4_1", 256, 512, 32, 3, 1, 1), ("vgg", "conv4_2", 512, 512, 32, 3, 1, 2),
       ("vgg", "conv5_1", 512, 512, 16, 3, 1, 3)]


def main():
    a = parse_args(__doc__)
    torch.manual_seed(1)
    for net, name, cin, cout, size, k, stride, count in DISC + VGG:
        batch, frozen = (128, False) if net == "disc" else (2, True)
        x = torch.randn(batch, cin, size, size, requires_grad=True)
        w = (torch.randn(cout, cin, k, k) * 0.05).requires_grad_(not frozen)
        b = torch.zeros(cout).requires_grad_(not frozen)
        with torch.no_grad():
            fwd = timed(lambda: F.conv2d(x, w, b, stride=stride, padding=1), a.steps, a.warmup)
        y = F.conv2d(x, w, b, stride=stride, padding=1)
        g = torch.randn_like(y)
        bwd = timed(lambda: y.backward(g, retain_graph=True), a.steps, a.warmup)
        print(json.dumps({"framework": "pytorch", "bench": "conv", "net": net, "layer": name, "count": count,
                          "batch": batch, "fwd_s": fwd, "bwd_s": bwd, "threads": torch.get_num_threads(),
                          "torch": torch.__version__}))


if __name__ == "__main__":
    main()
