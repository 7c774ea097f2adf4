"""Checks that dit_bench.py's LightningDiT is the official model: loads the official-code fixture
`lightningdit-tiny` (../shared/fixtures, weights with the official key names) into it and compares the forward
output and the flow-matching training terms with the fixture's expected values (max abs diff <= 1e-4, the bar of
the Swift parity tests). Exit status 1 on a mismatch.

    bench/.venv/bin/python bench/pytorch/dit_fixture_check.py [FIXTURE_DIR]
"""

import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from dit_bench import LightningDiT

# Official key prefixes → this module's names (the blocks keep the official names).
RENAMES = {"x_embedder.proj.": "x_embedder.", "t_embedder.mlp.": "t_mlp.", "y_embedder.embedding_table.": "y_table.",
           "final_layer.linear.": "final_linear.", "final_layer.adaLN_modulation.": "final_adaLN.",
           "final_layer.norm_final.": "norm_final."}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    fx = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../shared/fixtures/lightningdit-tiny")
    cfg = json.load(open(os.path.join(fx, "config.json")))
    w = load_file(os.path.join(fx, "model.safetensors"))
    inp, exp = load_file(os.path.join(fx, "inputs.safetensors")), load_file(os.path.join(fx, "expected.safetensors"))
    m = LightningDiT(latent=cfg["input_size"], channels=cfg["in_channels"], patch=cfg["patch_size"],
                     dim=cfg["hidden_size"], depth=cfg["depth"], heads=cfg["num_heads"], mlp_ratio=cfg["mlp_ratio"],
                     classes=cfg["num_classes"])
    state = {}
    for k, v in w.items():
        if not k.startswith("feat_rope."):
            prefix = next((p for p in RENAMES if k.startswith(p)), None)
            state[RENAMES[prefix] + k[len(prefix):] if prefix else k] = v
    m.load_state_dict(state, strict=True)
    with torch.no_grad():
        t = inp["t"].view(-1, 1, 1, 1)
        x1, x0 = inp["x"], inp["train_x0"]
        ut = x1 - x0
        pred = m(t * x1 + (1 - t) * x0, inp["t"], inp["y"])
        diffs = {
            "rope cos": (m.rope_cos - w["feat_rope.freqs_cos"]).abs().max(),
            "rope sin": (m.rope_sin - w["feat_rope.freqs_sin"]).abs().max(),
            "pos_embed": (m.pos_embed - w["pos_embed"]).abs().max(),
            "out": (m(inp["x"], inp["t"], inp["y"]) - exp["out"]).abs().max(),
            "train_pred": (pred - exp["train_pred"]).abs().max(),
            "train_loss": ((pred - ut).pow(2).mean((1, 2, 3)) - exp["train_loss"]).abs().max(),
            "train_cos_loss": ((1 - F.cosine_similarity(pred, ut, dim=1)).mean((1, 2)) - exp["train_cos_loss"]).abs().max(),
        }
    bad = [k for k, d in diffs.items() if not d <= 1e-4]
    for k, d in diffs.items():
        print(f"{k:15} max abs diff {float(d):.2e}{'  MISMATCH' if k in bad else ''}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
