#!/usr/bin/env python3
"""Writes Tests/VTPEvalTests/Fixtures/metrics/: reference values of the evaluation metrics on random inputs.

- frechet.json + frechet_*.{safetensors,npz}: feature sets (float64) and the Fréchet distance pytorch-fid computes
  from them (np.mean / np.cov statistics, `pytorch_fid.fid_score.calculate_frechet_distance`, scipy's sqrtm), also
  for rank-deficient covariances (fewer samples than dimensions) and from an ADM-style .npz holding mu and sigma.
- ssim.json: torchmetrics' StructuralSimilarityIndexMeasure (defaults, data_range=1.0) on images given by a formula
  the Swift test repeats (element i of the row-major [B, C, H, W] tensor, computed in float64, rounded to float32):
      x = 0.5 + 0.45 * sin(0.173 * i + 1.1)
      y = clip(x + 0.2 * sin(0.911 * i) * sin(0.05 * i), 0, 1)

Needs numpy, scipy, torch, torchmetrics, pytorch-fid. Run: python scripts/make_metric_fixtures.py
"""
import json
import os
import struct

import numpy as np
import torch

import torchvision_models_only  # noqa: F401  (before pytorch_fid)
from pytorch_fid.fid_score import calculate_frechet_distance
from torchmetrics.image import StructuralSimilarityIndexMeasure

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "VTPEvalTests", "Fixtures", "metrics")


def write_safetensors(path, tensors):
    """A minimal safetensors writer (F64/F32 tensors, sorted names)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {"float64": "F64", "float32": "F32"}[a.dtype.name]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def stats(x):
    return np.mean(x, axis=0), np.cov(x, rowvar=False)


def frechet():
    rng = np.random.default_rng(1)
    cases = []
    d = 16
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    a = rng.standard_normal((50, d))
    b = rng.standard_normal((60, d)) @ mix * 1.3 + 0.4
    cases.append(("full_rank", a, b))
    d2 = 24
    cases.append(("rank_deficient", rng.standard_normal((12, d2)), rng.standard_normal((15, d2)) * 0.7 + 0.1))
    base = rng.standard_normal((40, 8))
    cases.append(("near_identical", base, base + 1e-3 * rng.standard_normal((40, 8))))
    out = {}
    for name, fa, fb in cases:
        write_safetensors(os.path.join(OUT, f"frechet_{name}_a.safetensors"), {"features": fa})
        write_safetensors(os.path.join(OUT, f"frechet_{name}_b.safetensors"), {"features": fb})
        (ma, sa), (mb, sb) = stats(fa), stats(fb)
        out[name] = {"frechet_distance": float(calculate_frechet_distance(ma, sa, mb, sb)),
                     "mu_a": ma.tolist(), "sigma_a_diag": np.diag(sa).tolist(), "sigma_a_0_1": float(sa[0, 1])}
    # ADM-style reference batch statistics (mu, sigma) against a statistics safetensors file.
    (ma, sa), (mb, sb) = stats(cases[0][1]), stats(cases[0][2])
    np.savez(os.path.join(OUT, "frechet_adm_ref.npz"), mu=ma, sigma=sa)
    write_safetensors(os.path.join(OUT, "frechet_stats_b.safetensors"), {"mu": mb, "sigma": sb})
    out["adm_npz_vs_stats"] = {"frechet_distance": float(calculate_frechet_distance(ma, sa, mb, sb))}
    return out


def formula_images(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    x = 0.5 + 0.45 * np.sin(0.173 * i + 1.1)
    y = np.clip(x + 0.2 * np.sin(0.911 * i) * np.sin(0.05 * i), 0, 1)
    return (torch.from_numpy(x.astype(np.float32).reshape(shape)), torch.from_numpy(y.astype(np.float32).reshape(shape)))


def ssim():
    out = []
    for shape in [(2, 3, 24, 20), (1, 1, 11, 37), (3, 3, 6, 6)]:
        x, y = formula_images(shape)
        metric = StructuralSimilarityIndexMeasure(data_range=1.0)
        metric.update(x, y)
        per_image = StructuralSimilarityIndexMeasure(data_range=1.0, reduction="none")(x, y)
        out.append({"shape": list(shape), "ssim": float(metric.compute()), "per_image": per_image.reshape(-1).tolist()})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "frechet.json"), "w") as f:
        json.dump(frechet(), f, indent=1)
    with open(os.path.join(OUT, "ssim.json"), "w") as f:
        json.dump(ssim(), f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
