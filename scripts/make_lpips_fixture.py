#!/usr/bin/env python3
"""Writes Tests/VTPModelsTests/Fixtures/lpips/lpips_vgg_formula.json: the outputs of the `lpips` package's VGG16
LPIPS (v0.1) on weights and inputs given by a closed formula, so that the Swift test can rebuild the same weights
without shipping them (~60 MB).

Formula (computed in float64, then rounded to float32; the Swift test does the same), for the k-th tensor (k from
0) of the `lpips.LPIPS(net="vgg")` state dict without `scaling_layer.*` and `lins.*`, element i (row-major):
    conv weight [O, C, 3, 3]:  (2 / sqrt(F)) * sin(r*(0.37 + 0.618*o) + 1.13*o + k)
                               o: output channel, r: index in the filter (0..<F, F = C*9). The frequency depends
                               on o, so the filters span as many directions as random ones (a phase shift alone
                               would make them rank 2); the scale keeps activations at their size (He init).
    conv bias [O]:             0.05 * sin(0.37*i + k)
    lin weight [1, C, 1, 1]:   1 + sin(0.37*i + k)                  (non-negative, as trained lin layers are)
Inputs [2, 3, 16, 16], element i:
    x = 0.8 * sin(0.173*i + 1.22)
    y = 0.8 * sin(0.173*i + 1.22) + 0.15 * sin(0.911*i)
The phase 1.22 was picked (from 0.5 + 0.01*j, j < 400) for the widest margin of x's forward pass: no ReLU input and no
gap between the two largest values of a max-pool window is within 1.3e-5 (relative to the layer's RMS) of a tie, so
float32 rounding cannot flip a ReLU or a max-pool choice and change the gradient (with phase 0.5 at 32x32, one relu5_3
input was 6e-8 from 0 and our gradient differed by 1 %). The script re-checks the margin.

Needs torch, torchvision (only for the VGG16 structure; no weights are downloaded) and lpips:
    pip install lpips; pip install --no-deps torchvision; pip install pillow scipy
Run: python scripts/make_lpips_fixture.py
"""
import json
import math
import os

import numpy as np
import torch

import lpips

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VTPModelsTests", "Fixtures", "lpips",
                   "lpips_vgg_formula.json")
SHAPE = (2, 3, 16, 16)
X_PHASE = 1.22
MIN_MARGIN = 1e-5
# Elements of the input at which the gradient of sum_b LPIPS(x, y)_b with respect to x is recorded.
GRAD_PICKS = [0, 1, 37, 255, 500, 767, 768, 1000, 1200, 1333, 1535]


def formula(name, shape, k):
    n = int(np.prod(shape))
    phase = 0.37 * np.arange(n, dtype=np.float64) + k
    if name.startswith("net.") and name.endswith(".weight"):
        fan_in = int(np.prod(shape[1:]))
        o = np.arange(shape[0], dtype=np.float64)[:, None]
        r = np.arange(fan_in, dtype=np.float64)[None, :]
        w = (2.0 / math.sqrt(fan_in)) * np.sin(r * (0.37 + 0.618 * o) + 1.13 * o + k)
    elif name.startswith("net.") and name.endswith(".bias"):
        w = 0.05 * np.sin(phase)
    elif name.startswith("lin"):
        w = 1.0 + np.sin(phase)
    else:
        raise ValueError(name)
    return w.astype(np.float32).reshape(shape)


def inputs():
    i = np.arange(int(np.prod(SHAPE)), dtype=np.float64)
    x = 0.8 * np.sin(0.173 * i + X_PHASE)
    y = x + 0.15 * np.sin(0.911 * i)
    return (torch.from_numpy(x.astype(np.float32).reshape(SHAPE)),
            torch.from_numpy(y.astype(np.float32).reshape(SHAPE)))


def tie_margin(model, x):
    """The smallest |ReLU input| and max-pool (largest - second largest, where the largest is > 0) over x's forward
    pass in float64, each relative to its layer's RMS."""
    net = model.net
    worst = math.inf
    with torch.no_grad():
        h = model.scaling_layer.double()(x.double())
        for sl in [net.slice1, net.slice2, net.slice3, net.slice4, net.slice5]:
            for layer in sl:
                layer = layer.double()
                if isinstance(layer, torch.nn.Conv2d):
                    h = layer(h)
                    worst = min(worst, float((h.abs() / h.pow(2).mean().sqrt()).min()))
                    continue
                if isinstance(layer, torch.nn.MaxPool2d):
                    b, c, hh, ww = h.shape
                    win = h[:, :, :hh // 2 * 2, :ww // 2 * 2].reshape(b, c, hh // 2, 2, ww // 2, 2)
                    top = win.permute(0, 1, 2, 4, 3, 5).reshape(b, c, hh // 2, ww // 2, 4).topk(2, dim=-1).values
                    gap = (top[..., 0] - top[..., 1])[top[..., 0] > 0]
                    if gap.numel():
                        worst = min(worst, float((gap / h.pow(2).mean().sqrt()).min()))
                h = layer(h)
    model.float()
    return worst


def main():
    torch.manual_seed(0)
    model = lpips.LPIPS(pretrained=False, net="vgg", pnet_rand=True, verbose=False).eval()
    state = model.state_dict()
    names = [n for n in state if not n.startswith("scaling_layer.") and not n.startswith("lins.")]
    params = []
    new_state = {}
    for k, name in enumerate(names):
        shape = tuple(state[name].shape)
        new_state[name] = torch.from_numpy(formula(name, shape, k))
        params.append({"name": name, "shape": list(shape)})
    missing, unexpected = model.load_state_dict(new_state, strict=False)
    assert not unexpected and all(m.startswith(("scaling_layer.", "lins.")) for m in missing), (missing, unexpected)
    for k, name in enumerate(names):  # lins.* alias lin*: check they took the values
        assert torch.equal(model.state_dict()[name], new_state[name])

    x, y = inputs()
    margin = tie_margin(model, x)
    assert margin > MIN_MARGIN, f"x is {margin:.3g} from a ReLU/max-pool tie: pick another X_PHASE"
    x.requires_grad_(True)
    total, per_stage = model(x, y, retPerLayer=True)
    total.sum().backward()
    feats = model.net.forward(model.scaling_layer(x.detach()))
    doc = {
        "generator": "scripts/make_lpips_fixture.py",
        "lpips_version": lpips.__version__ if hasattr(lpips, "__version__") else "0.1.4",
        "torch_version": torch.__version__,
        "input_shape": list(SHAPE),
        "x_phase": X_PHASE,
        "tie_margin": margin,
        "parameters": params,
        "stages": [s.detach().reshape(-1).tolist() for s in per_stage],
        "total": total.detach().reshape(-1).tolist(),
        "feature_abs_mean": [float(f.abs().mean()) for f in feats],
        "grad_picks": GRAD_PICKS,
        "grad_x": [float(x.grad.reshape(-1)[i]) for i in GRAD_PICKS],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(OUT))
    print("stages", doc["stages"])
    print("total", doc["total"])
    print("feature |mean|", doc["feature_abs_mean"])


if __name__ == "__main__":
    main()
