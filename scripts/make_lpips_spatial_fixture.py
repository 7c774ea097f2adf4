#!/usr/bin/env python3
"""Writes Tests/VTPModelsTests/Fixtures/lpips/lpips_vgg_spatial.json: the `lpips` package's LPIPS(net='vgg', v0.1)
per-layer distances and spatial maps (spatial=True: each layer's map upsampled bilinearly to the input size) on
the formula weights of scripts/make_lpips_fixture.py and inputs of a non-square size [2, 3, 24, 20], element i:
    x = 0.8 * sin(0.173*i + 1.22),  y = x + 0.15 * sin(0.911*i)
Run: python scripts/make_lpips_spatial_fixture.py (needs torch, torchvision model definitions, lpips)
"""
import json
import os

import numpy as np
import torch

import torchvision_models_only  # noqa: F401  (before lpips)
import lpips
from make_lpips_fixture import formula

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VTPModelsTests", "Fixtures", "lpips", "lpips_vgg_spatial.json")
SHAPE = (2, 3, 24, 20)
PICKS = [0, 1, 19, 20, 237, 479, 480, 700, 959]


def main():
    model = lpips.LPIPS(pretrained=False, net="vgg", pnet_rand=True, verbose=False).eval()
    state = model.state_dict()
    names = [n for n in state if not n.startswith("scaling_layer.") and not n.startswith("lins.")]
    model.load_state_dict({n: torch.from_numpy(formula(n, tuple(state[n].shape), k)) for k, n in enumerate(names)}, strict=False)
    spatial = lpips.LPIPS(pretrained=False, net="vgg", pnet_rand=True, verbose=False, spatial=True).eval()
    spatial.load_state_dict(model.state_dict())
    i = np.arange(int(np.prod(SHAPE)), dtype=np.float64)
    x = 0.8 * np.sin(0.173 * i + 1.22)
    y = x + 0.15 * np.sin(0.911 * i)
    x, y = (torch.from_numpy(a.astype(np.float32).reshape(SHAPE)) for a in (x, y))
    with torch.no_grad():
        total, layers = model(x, y, retPerLayer=True)
        smap, slayers = spatial(x, y, retPerLayer=True)
    doc = {"input_shape": list(SHAPE), "total": total.reshape(-1).tolist(), "layers": [l.reshape(-1).tolist() for l in layers],
           "spatial_total": smap.reshape(-1).tolist(), "picks": PICKS,
           "spatial_layers_at_picks": [[float(l.reshape(-1)[p]) for p in PICKS] for l in slayers]}
    with open(OUT, "w") as f:
        json.dump(doc, f)
    print("total", total.reshape(-1).tolist(), "spatial mean", smap.mean().item())


if __name__ == "__main__":
    main()
