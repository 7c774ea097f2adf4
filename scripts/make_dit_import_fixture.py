#!/usr/bin/env python3
"""Writes Tests/VTPGenerationTests/Fixtures/official-checkpoint/: LightningDiT checkpoints in the layouts the official
code saves, for `vtp dit import` (OfficialDiTImport) tests.

    bench/.venv/bin/python scripts/make_dit_import_fixture.py      # any Python with torch and numpy

- train-checkpoint.pt: what the official LightningDiT train.py saves with torch.save (zip format):
  {"model": raw weights, "ema": EMA weights, "opt": AdamW.state_dict(), "config": the training YAML as a dict}.
  "ema" is the state dict of Fixtures/lightningdit-everything (so its expected outputs are the known answer);
  "model" is the same plus 0.5 on every floating tensor (to tell the two apart); "opt" is a real AdamW state after
  one step on two of the tensors (int keys, nested lists, tensors), as a training checkpoint carries it.
- state-dict.pt: the bare state dict of Fixtures/lightningdit-dit-original (released weights are often only this;
  that model has no RoPE tables and no preset shape, so its head count must be given).
- latents_stats.pt: the official statistics file {"mean", "std"} [1, 6, 1, 1], in torch's legacy (non-zip) format.
"""
import json
import os
import struct

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "Tests", "VTPGenerationTests", "Fixtures")
OUT = os.path.join(FIXTURES, "official-checkpoint")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()).reshape(info["shape"])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    ema = read_safetensors(os.path.join(FIXTURES, "lightningdit-everything", "model.safetensors"))
    model = {k: v + 0.5 for k, v in ema.items()}
    params = [torch.nn.Parameter(model["x_embedder.proj.weight"].clone()), torch.nn.Parameter(model["pos_embed"].clone())]
    opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.95), weight_decay=0)
    sum((p * p).sum() for p in params).backward()
    opt.step()
    with open(os.path.join(FIXTURES, "lightningdit-everything", "config.json")) as f:
        arch = json.load(f)
    config = {
        "model": {"model_type": "LightningDiT-custom", "in_chans": arch["in_channels"], "use_qknorm": arch["use_qknorm"],
                  "use_swiglu": arch["use_swiglu"], "use_rope": arch["use_rope"], "use_rmsnorm": arch["use_rmsnorm"],
                  "wo_shift": arch["wo_shift"], "learn_sigma": arch["learn_sigma"]},
        "data": {"image_size": 128, "num_classes": arch["num_classes"], "latent_norm": True, "latent_multiplier": 1.0},
        "vae": {"model_name": "vtp", "downsample_ratio": 16},
        "optimizer": {"lr": 0.0002, "beta2": 0.95},
        "train": {"max_steps": 100000, "global_batch_size": 1024, "ema": True},
    }
    torch.save({"model": model, "ema": ema, "opt": opt.state_dict(), "config": config},
               os.path.join(OUT, "train-checkpoint.pt"))

    bare = read_safetensors(os.path.join(FIXTURES, "lightningdit-dit-original", "model.safetensors"))
    torch.save(bare, os.path.join(OUT, "state-dict.pt"))

    g = torch.Generator().manual_seed(3201)
    stats = {"mean": torch.randn(1, arch["in_channels"], 1, 1, generator=g) * 0.2,
             "std": torch.rand(1, arch["in_channels"], 1, 1, generator=g) * 0.2 + 0.05}
    torch.save(stats, os.path.join(OUT, "latents_stats.pt"), _use_new_zipfile_serialization=False)
    with open(os.path.join(OUT, "latents_stats.json"), "w") as f:
        json.dump({k: v.flatten().tolist() for k, v in stats.items()}, f, indent=1)
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    main()
