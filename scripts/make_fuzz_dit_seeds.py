#!/usr/bin/env python3
"""Writes the seeds of the `dit-weights` fuzz target (fuzz/corpus/dit-weights/): LightningDiT state dicts with the
official key names and shapes at a tiny size (hidden 8, one block, 2×2 latents), small enough for libFuzzer's
-max_len. Values are random; only names and shapes matter to the architecture reader. numpy only.

    python3 scripts/make_fuzz_dit_seeds.py
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus", "dit-weights")


def state_dict(hidden=8, heads=2, channels=2, grid=2, classes=3, swiglu=True, rmsnorm=True, rope=True,
               qknorm=False, wo_shift=False, learn_sigma=False):
    d, hd, t = hidden, hidden // heads, grid * grid
    mlp = int(2 / 3 * 4 * d) if swiglu else 4 * d
    out = 2 * channels if learn_sigma else channels
    s = {
        "x_embedder.proj.weight": [d, channels, 1, 1], "x_embedder.proj.bias": [d],
        "pos_embed": [1, t, d],
        "t_embedder.mlp.0.weight": [d, 256], "t_embedder.mlp.0.bias": [d],
        "t_embedder.mlp.2.weight": [d, d], "t_embedder.mlp.2.bias": [d],
        "y_embedder.embedding_table.weight": [classes + 1, d],
        "blocks.0.attn.qkv.weight": [3 * d, d], "blocks.0.attn.qkv.bias": [3 * d],
        "blocks.0.attn.proj.weight": [d, d], "blocks.0.attn.proj.bias": [d],
        "blocks.0.adaLN_modulation.1.weight": [(4 if wo_shift else 6) * d, d],
        "blocks.0.adaLN_modulation.1.bias": [(4 if wo_shift else 6) * d],
        "final_layer.linear.weight": [out, d], "final_layer.linear.bias": [out],
        "final_layer.adaLN_modulation.1.weight": [2 * d, d], "final_layer.adaLN_modulation.1.bias": [2 * d],
    }
    if swiglu:
        s.update({"blocks.0.mlp.w12.weight": [2 * mlp, d], "blocks.0.mlp.w12.bias": [2 * mlp],
                  "blocks.0.mlp.w3.weight": [d, mlp], "blocks.0.mlp.w3.bias": [d]})
    else:
        s.update({"blocks.0.mlp.fc1.weight": [mlp, d], "blocks.0.mlp.fc1.bias": [mlp],
                  "blocks.0.mlp.fc2.weight": [d, mlp], "blocks.0.mlp.fc2.bias": [d]})
    if rmsnorm:
        s.update({"blocks.0.norm1.weight": [d], "blocks.0.norm2.weight": [d], "final_layer.norm_final.weight": [d]})
    if qknorm:
        s.update({"blocks.0.attn.q_norm.weight": [hd], "blocks.0.attn.k_norm.weight": [hd]})
        if not rmsnorm:
            s.update({"blocks.0.attn.q_norm.bias": [hd], "blocks.0.attn.k_norm.bias": [hd]})
    if rope:
        s.update({"feat_rope.freqs_cos": [t, hd], "feat_rope.freqs_sin": [t, hd]})
    return s


def write(path, shapes, seed):
    rng = np.random.default_rng(seed)
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(shapes):
        a = rng.standard_normal(shapes[name]).astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [offset, offset + len(a)]}
        blobs.append(a)
        offset += len(a)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write(os.path.join(OUT, "swiglu-rmsnorm-rope.safetensors"), state_dict(), 1)
    write(os.path.join(OUT, "qknorm-layernorm-wo-shift-sigma.safetensors"),
          state_dict(swiglu=False, rmsnorm=False, qknorm=True, wo_shift=True, learn_sigma=True), 2)
