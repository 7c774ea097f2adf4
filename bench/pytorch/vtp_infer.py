"""PyTorch reference: VTP reconstruction (encode + decode) throughput, eager, on the CPU.

Random-weight model with VTP-S (default) or VTP-B (--size B) shapes:
  encoder: ViT as in vit_step.py (patch 16 on 256x256, CLS, 12 RMSNorm blocks, RoPE on
           patch tokens, final RMSNorm) -> Linear(width -> 64, no bias) on the 256 patch
           tokens -> latents [B, 64, 16, 16]
  decoder: Conv2d(64 -> width, 1x1) -> 12 blocks with LayerNorm(eps 1e-6) and RoPE on all
           tokens (no CLS) -> final LayerNorm -> Conv2d(width -> 768, 1x1) -> PixelShuffle(16)
           -> [B, 3, 256, 256]
  S: width 384, 6 heads, SwiGLU hidden 1024.  B: width 768, 12 heads, SwiGLU hidden 2048.
Runs under torch.no_grad(), fp32 or bf16 autocast, batch 8.

    bench/.venv/bin/python bench/pytorch/vtp_infer.py --threads 2 --size S --mode both --json
"""

import argparse
import sys

import torch
import torch.nn as nn

from vtp_blocks import (Block, ViTEncoder, autocast_ctx, axial_rope_tables, emit, make_norm,
                        peak_rss_mb, run_modes_in_subprocesses, summarize, time_steps)

SIZES = {
    "S": dict(dim=384, heads=6, hidden=1024),
    "B": dict(dim=768, heads=12, hidden=2048),
}


class VTPDecoder(nn.Module):
    def __init__(self, dim, heads, hidden, depth=12, latent=64, grid=16, patch=16):
        super().__init__()
        self.grid, self.patch = grid, patch
        self.embed = nn.Conv2d(latent, dim, kernel_size=1, bias=True)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden, "layernorm") for _ in range(depth))
        self.norm = make_norm("layernorm", dim)
        self.to_pixels = nn.Conv2d(dim, 3 * patch * patch, kernel_size=1, bias=True)
        self.shuffle = nn.PixelShuffle(patch)
        sin, cos = axial_rope_tables(grid, grid, dim // heads)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.register_buffer("rope_cos", cos, persistent=False)

    def forward(self, z):
        b = z.shape[0]
        x = self.embed(z).flatten(2).transpose(1, 2)  # [B, N, dim]
        for blk in self.blocks:
            x = blk(x, self.rope_sin, self.rope_cos, 0)
        x = self.norm(x)
        x = x.transpose(1, 2).reshape(b, -1, self.grid, self.grid)
        return self.shuffle(self.to_pixels(x))  # [B, 3, 256, 256]


class VTPReconstruct(nn.Module):
    def __init__(self, dim, heads, hidden, latent=64):
        super().__init__()
        self.encoder = ViTEncoder(dim=dim, heads=heads, hidden=hidden, depth=12, image=256, patch=16)
        self.bottleneck = nn.Linear(dim, latent, bias=False)
        self.decoder = VTPDecoder(dim, heads, hidden, depth=12, latent=latent, grid=16, patch=16)

    def encode(self, images):
        tokens = self.encoder(images)[:, 1:]  # drop CLS, [B, 256, dim]
        z = self.bottleneck(tokens)  # [B, 256, 64]
        g = self.encoder.grid
        return z.transpose(1, 2).reshape(z.shape[0], -1, g, g)  # [B, 64, 16, 16]

    def forward(self, images):
        return self.decoder(self.encode(images))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", choices=["S", "B"], default="S")
    ap.add_argument("--mode", choices=["fp32", "bf16", "both"], default="both")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    if args.mode == "both":
        sys.exit(run_modes_in_subprocesses(sys.argv, ["fp32", "bf16"]))

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = VTPReconstruct(**SIZES[args.size]).eval()
    images = torch.randn(args.batch, 3, 256, 256)
    outs = []

    def run():
        with torch.no_grad(), autocast_ctx(args.mode):
            out = model(images)
        outs.append(out)
        if len(outs) > 1:
            outs.pop(0)

    times = time_steps(run, args.steps, args.warmup)
    assert outs[-1].shape == (args.batch, 3, 256, 256), outs[-1].shape
    s = summarize(times)
    rec = {"framework": "pytorch", "bench": f"vtp_{args.size.lower()}_reconstruct", "mode": args.mode,
           "images_per_s": round(args.batch / s["median_s"], 3), **s, "batch": args.batch,
           "steps": args.steps, "peak_rss_mb": round(peak_rss_mb(), 1), "threads": torch.get_num_threads()}
    if not args.json:
        rec.update(times=[round(t, 4) for t in times], out_dtype=str(outs[-1].dtype), params=sum(p.numel() for p in model.parameters()),
                   torch=torch.__version__)
    emit(rec, args.json)


if __name__ == "__main__":
    main()
