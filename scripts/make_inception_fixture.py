#!/usr/bin/env python3
"""Writes Tests/VTPModelsTests/Fixtures/inception/fid_inception_formula.json: pool3 features of pytorch-fid's
InceptionV3 (FID variant: `InceptionV3([3])`, resize to 299 bilinear, 2x-1) on weights and inputs given by a closed
formula, so that the Swift test can rebuild the same weights (~22M values) without shipping them.

Formula (float64, then rounded to float32; the Swift test repeats it), for the k-th tensor (k from 0) of the FID
Inception state dict without `fc.*` and `*.num_batches_tracked`, element i (row-major):
    conv weight [O, C, kh, kw]:  (2 / sqrt(F)) * sin(r*(0.37 + 0.618*o) + 1.13*o + k)   o: output channel,
                                 r: index in the filter (0..<F, F = C*kh*kw) (as the LPIPS fixture: He scale)
    bn.weight [O]:               1 + 0.2 * sin(0.37*i + k)
    bn.bias [O]:                 0.1 * sin(0.53*i + k)
    bn.running_mean [O]:         0.1 * sin(0.71*i + k)
    bn.running_var [O]:          1 + 0.5 * sin(0.29*i + k)
Inputs [2, 3, 45, 61] in [0, 1], element i: 0.5 + 0.45 * sin(0.173*i + 0.3) * cos(0.0071*i).
The model is built as pytorch_fid.inception.fid_inception_v3() builds it, with these weights in place of the
downloaded ones (its weight loader is replaced by one returning the formula state dict).

Needs torch, torchvision (model definitions only), pytorch-fid. Run: python scripts/make_inception_fixture.py
"""
import json
import math
import os

import numpy as np
import torch

import torchvision_models_only  # noqa: F401  (before pytorch_fid)
import pytorch_fid.inception as fid

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VTPModelsTests", "Fixtures", "inception",
                   "fid_inception_formula.json")
SHAPE = (2, 3, 45, 61)
RESIZE_PICKS = [0, 1, 298, 299, 1000, 44850, 89400, 89401, 150000, 268202]


def formula(name, shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if name.endswith("conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        o = np.arange(shape[0], dtype=np.float64)[:, None]
        r = np.arange(fan_in, dtype=np.float64)[None, :]
        w = (2.0 / math.sqrt(fan_in)) * np.sin(r * (0.37 + 0.618 * o) + 1.13 * o + k)
    elif name.endswith("bn.weight"):
        w = 1 + 0.2 * np.sin(0.37 * i + k)
    elif name.endswith("bn.bias"):
        w = 0.1 * np.sin(0.53 * i + k)
    elif name.endswith("bn.running_mean"):
        w = 0.1 * np.sin(0.71 * i + k)
    elif name.endswith("bn.running_var"):
        w = 1 + 0.5 * np.sin(0.29 * i + k)
    else:
        raise ValueError(name)
    return torch.from_numpy(w.astype(np.float32).reshape(shape))


def main():
    # The structure pytorch-fid loads its weights into, to list the keys.
    holder = {}

    def fake_loader(*args, **kwargs):
        return holder["state"]

    skeleton = fid._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    for name, block in [("Mixed_5b", fid.FIDInceptionA(192, pool_features=32)), ("Mixed_5c", fid.FIDInceptionA(256, pool_features=64)),
                        ("Mixed_5d", fid.FIDInceptionA(288, pool_features=64)), ("Mixed_6b", fid.FIDInceptionC(768, channels_7x7=128)),
                        ("Mixed_6c", fid.FIDInceptionC(768, channels_7x7=160)), ("Mixed_6d", fid.FIDInceptionC(768, channels_7x7=160)),
                        ("Mixed_6e", fid.FIDInceptionC(768, channels_7x7=192)), ("Mixed_7b", fid.FIDInceptionE_1(1280)),
                        ("Mixed_7c", fid.FIDInceptionE_2(2048))]:
        setattr(skeleton, name, block)
    state = skeleton.state_dict()
    params, k = [], 0
    formula_state = {}
    for name, t in state.items():
        if name.endswith("num_batches_tracked"):
            formula_state[name] = t
            continue
        if name.startswith("fc."):
            formula_state[name] = torch.zeros_like(t)
            continue
        formula_state[name] = formula(name, tuple(t.shape), k)
        params.append({"name": name, "shape": list(t.shape)})
        k += 1
    holder["state"] = formula_state
    fid.load_state_dict_from_url = fake_loader
    model = fid.InceptionV3([fid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]]).eval()

    i = np.arange(int(np.prod(SHAPE)), dtype=np.float64)
    x = torch.from_numpy((0.5 + 0.45 * np.sin(0.173 * i + 0.3) * np.cos(0.0071 * i)).astype(np.float32).reshape(SHAPE))
    with torch.no_grad():
        feats = model(x)[0].reshape(SHAPE[0], -1)
        resized = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False).reshape(-1)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"input_shape": list(SHAPE), "parameters": params, "features": feats.tolist(),
                   "resize_picks": RESIZE_PICKS, "resized": [float(resized[p]) for p in RESIZE_PICKS],
                   "torch": torch.__version__}, f)
    print("features: mean %.4f, std %.4f, max %.4f" % (feats.mean(), feats.std(), feats.abs().max()))


if __name__ == "__main__":
    main()
