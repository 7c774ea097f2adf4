"""PyTorch reference: LightningDiT-B/1 training step and Euler sampling on the CPU.

The model follows the block structure of the official LightningDiT (github.com/JingfengYao/LightningDiT,
models/lightningdit.py) with the flags of the VTP generation configs, written anew for this benchmark (same shapes
and FLOPs, not bit parity): 16x16x64 latents, patch 1 (256 tokens), hidden 768, 12 heads, `--depth` blocks
(default 12), 1000 classes + the null class.

  tokens = Conv2d(64, 768, 1)(x) + fixed 2-D sin-cos pos_embed
  c = TimestepEmbedder(t) (sinusoidal 256, cos first -> Linear -> SiLU -> Linear) + LabelEmbedder(y)
  block: (shift, scale, gate) x 2 = Linear(SiLU(c)) chunked in 6;
         x += gate_msa * attn(modulate(RMSNorm(x))), attn = qkv -> 2-D RoPE (EVA-02 VisionRotaryEmbeddingFast,
         interleaved pairs) on q, k -> SDPA -> proj;
         x += gate_mlp * SwiGLU(modulate(RMSNorm(x))), SwiGLU = w3(silu(x1) * x2), (x1, x2) = w12(x), hidden 2048
  final: Linear(modulate(RMSNorm(x), shift, scale)) with (shift, scale) = Linear(SiLU(c)); unpatchify

dit_b1_train_step: zero_grad + x_t = t*x1 + (1-t)*x0, v = model(x_t, t, y), loss = mean MSE(v, x1 - x0) +
mean(1 - cos(v, x1 - x0)) (cosine over channels) + backward + AdamW(lr 2e-4, betas (0.9, 0.95), wd 0), batch 4.
dit_b1_sample: Euler on linspace(0, 1, steps) (steps - 1 model evaluations), no guidance, torch.no_grad, batch 16.

    bench/.venv/bin/python bench/pytorch/dit_bench.py --bench step --threads 2 --mode fp32 --json
    bench/.venv/bin/python bench/pytorch/dit_bench.py --bench sample --threads 2 --mode fp32 --steps 50 --json
"""

import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from vtp_blocks import autocast_ctx, emit, peak_rss_mb, run_modes_in_subprocesses, summarize, time_steps


def sincos_pos_embed(dim, grid):
    """[grid*grid, dim]: channels [0, dim/2) encode the column, [dim/2, dim) the row, each half [sin | cos] of
    pos * 10000^(-k/(dim/4)) (MAE's 2-D table, computed in float64 and rounded once)."""
    quarter = dim // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter)
    pos = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(pos, pos, indexing="ij")

    def half(p):
        a = p.reshape(-1, 1) * omega[None, :]
        return torch.cat([a.sin(), a.cos()], dim=1)

    return torch.cat([half(cols), half(rows)], dim=1).float()


def rope_tables(head_dim, grid):
    """EVA-02 VisionRotaryEmbeddingFast(head_dim/2, pt_seq_len=grid) tables (cos, sin), each [grid*grid, head_dim]:
    f_i = 1/10000^(2i/(head_dim/2)), each frequency repeated for the two members of a pair; the first half of the
    channels follows the row, the second half the column."""
    dim = head_dim // 2
    freqs = 1.0 / 10000 ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    pos = torch.arange(grid, dtype=torch.float32)
    per_axis = (pos[:, None] * freqs[None, :]).repeat_interleave(2, dim=1)  # [grid, dim]
    rows = per_axis[:, None, :].expand(grid, grid, dim)
    cols = per_axis[None, :, :].expand(grid, grid, dim)
    angles = torch.cat([rows, cols], dim=-1).reshape(grid * grid, head_dim)
    return angles.cos(), angles.sin()


def rotate_pairs(x):
    """(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...) over the last axis."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack([-pairs[..., 1], pairs[..., 0]], dim=-1).flatten(-2)


class RMSNorm(nn.Module):
    """x * rsqrt(mean(x^2) + eps) computed in float32, then * weight (eps 1e-6), as LightningDiT's RMSNorm."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, cos, sin):
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q = q * cos + rotate_pairs(q) * sin
        k = k * cos + rotate_pairs(k) * sin
        o = F.scaled_dot_product_attention(q, k, v)
        return self.proj(o.transpose(1, 2).reshape(b, n, d))


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w12 = nn.Linear(dim, 2 * hidden)
        self.w3 = nn.Linear(hidden, dim)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class DiTBlock(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(dim), RMSNorm(dim)
        self.attn = Attention(dim, heads)
        self.mlp = SwiGLU(dim, hidden)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))

    def forward(self, x, c, cos, sin):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa), cos, sin)
        return x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))


class LightningDiT(nn.Module):
    def __init__(self, latent=16, channels=64, patch=1, dim=768, depth=12, heads=12, mlp_ratio=4.0, classes=1000):
        super().__init__()
        self.patch, self.channels, self.grid = patch, channels, latent // patch
        self.x_embedder = nn.Conv2d(channels, dim, patch, stride=patch)
        self.t_mlp = nn.Sequential(nn.Linear(256, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.y_table = nn.Embedding(classes + 1, dim)  # row `classes` is the null class
        self.pos_embed = nn.Parameter(sincos_pos_embed(dim, self.grid)[None], requires_grad=False)
        cos, sin = rope_tables(dim // heads, self.grid)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        hidden = int(2 / 3 * int(dim * mlp_ratio))
        self.blocks = nn.ModuleList(DiTBlock(dim, heads, hidden) for _ in range(depth))
        self.norm_final = RMSNorm(dim)
        self.final_linear = nn.Linear(dim, patch * patch * channels)
        self.final_adaLN = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.initialize_weights()

    def initialize_weights(self):
        """The official scheme: Xavier-uniform linears (and the patch conv as a linear), zero biases, N(0, 0.02^2)
        label table and timestep MLP, zero adaLN and final linear."""
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_uniform_(m.weight.view(m.weight.shape[0], -1))
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.y_table.weight, std=0.02)
        for i in (0, 2):
            nn.init.normal_(self.t_mlp[i].weight, std=0.02)
        for lin in [b.adaLN_modulation[1] for b in self.blocks] + [self.final_adaLN[1], self.final_linear]:
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    @staticmethod
    def timestep_features(t, dim=256, max_period=10000):
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
        a = t[:, None].float() * freqs[None]
        return torch.cat([a.cos(), a.sin()], dim=-1)

    def forward(self, x, t, y):
        b = x.shape[0]
        h = self.x_embedder(x).flatten(2).transpose(1, 2) + self.pos_embed
        c = self.t_mlp(self.timestep_features(t)) + self.y_table(y)
        for blk in self.blocks:
            h = blk(h, c, self.rope_cos, self.rope_sin)
        shift, scale = self.final_adaLN(c).chunk(2, dim=1)
        h = self.final_linear(modulate(self.norm_final(h), shift, scale))
        g, p, ch = self.grid, self.patch, self.channels
        return h.reshape(b, g, g, p, p, ch).permute(0, 5, 1, 3, 2, 4).reshape(b, ch, g * p, g * p)


def forward_flop(depth, tokens=256, dim=768, hidden=2048, in_ch=64, out_ch=64, patch=1):
    """FLOPs (2 per multiply-add) of the matrix products of one forward for one sample, as vtp-bench counts them
    (bench/swift/DiT.swift ditForwardFLOP): per token patch embed, per block qkv + proj + SwiGLU + QK^T and PV,
    final linear; per sample the timestep MLP and the adaLN linears. Elementwise work is not counted."""
    pp = patch * patch
    block = 2 * (3 * dim * dim + dim * dim + 2 * dim * hidden + hidden * dim) + 4 * tokens * dim
    per_token = 2 * pp * in_ch * dim + depth * block + 2 * dim * pp * out_ch
    per_sample = 2 * (256 * dim + dim * dim) + depth * 2 * dim * 6 * dim + 2 * dim * 2 * dim
    return float(tokens * per_token + per_sample)


def random_batch(b, generator):
    x1 = torch.randn(b, 64, 16, 16, generator=generator)
    x0 = torch.randn(b, 64, 16, 16, generator=generator)
    t = torch.rand(b, generator=generator)
    y = torch.randint(0, 1000, (b,), generator=generator)
    return x1, x0, t, y


def bench_step(args, model):
    b = args.batch or 4
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.9, 0.95), weight_decay=0)
    x1, x0, t, y = random_batch(b, torch.Generator().manual_seed(1))
    tb = t.view(b, 1, 1, 1)
    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        xt = tb * x1 + (1 - tb) * x0
        ut = x1 - x0
        with autocast_ctx(args.mode):
            pred = model(xt, t, y)
        pred = pred.float()
        mse = (pred - ut).pow(2).mean(dim=(1, 2, 3))
        cos = (1 - F.cosine_similarity(pred, ut, dim=1)).mean(dim=(1, 2))
        loss = mse.mean() + cos.mean()
        loss.backward()
        opt.step()
        losses.append(loss.detach())

    times = time_steps(step, args.steps, args.warmup)
    med = statistics.median(times)
    gflop = 3 * b * forward_flop(args.depth) / 1e9  # forward + the two products of each backward
    last = float(losses[-1])
    if not math.isfinite(last):
        print(f"warning: non-finite loss {last}", file=sys.stderr)
    return {"bench": "dit_b1_train_step", **summarize(times), "steps": args.steps, "batch": b,
            "images_per_s": b / med, "gflop": gflop, "gflops": gflop / med, "last_loss": last}


def bench_sample(args, model):
    b = args.batch or 16
    points = args.steps if args.steps is not None else 50
    if points < 2:
        sys.exit("dit_bench.py: --steps (grid points) must be >= 2 for sampling")
    _, noise, _, y = random_batch(b, torch.Generator().manual_seed(1))
    grid = torch.linspace(0, 1, points)
    model.eval()
    times = []
    with torch.no_grad(), autocast_ctx(args.mode):
        for _ in range(args.warmup if args.warmup is not None else 1):  # single model evaluations
            model(noise, torch.full((b,), 0.5), y)
        c0 = time.process_time()
        w0 = time.perf_counter()
        for _ in range(max(args.repeats, 1)):
            t0 = time.perf_counter()
            x = noise
            for k in range(points - 1):
                v = model(x, grid[k].expand(b), y).float()
                x = x + (grid[k + 1] - grid[k]) * v
            times.append(time.perf_counter() - t0)
        cpu_share = (time.process_time() - c0) / ((time.perf_counter() - w0) * torch.get_num_threads())
    med = statistics.median(times)
    evaluations = points - 1
    gflop = evaluations * b * forward_flop(args.depth) / 1e9
    return {"bench": "dit_b1_sample", "median_s": med, "min_s": min(times), "cpu_share": round(cpu_share, 3),
            "repeats": len(times), "grid_points": points, "batch": b, "samples_per_s": b / med,
            "s_per_evaluation": med / evaluations, "gflop": gflop, "gflops": gflop / med}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", choices=["step", "sample"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None,
                    help="step: timed training steps (default 5); sample: grid points (default 50)")
    ap.add_argument("--warmup", type=int, default=None,
                    help="step: untimed steps (default 2); sample: single model evaluations (default 1)")
    ap.add_argument("--repeats", type=int, default=1, help="sample: timed samplings")
    ap.add_argument("--batch", type=int, default=None, help="default 4 (step) or 16 (sample)")
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--mode", choices=["fp32", "bf16", "both"], default="fp32")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.depth < 1:
        sys.exit("dit_bench.py: --depth must be >= 1")
    if args.mode == "both":
        sys.exit(run_modes_in_subprocesses(sys.argv, ["fp32", "bf16"]))
    if args.bench == "step":
        args.steps = 5 if args.steps is None else args.steps
        args.warmup = 2 if args.warmup is None else args.warmup

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = LightningDiT(depth=args.depth)
    rec = bench_step(args, model) if args.bench == "step" else bench_sample(args, model)
    rec = {"framework": "pytorch", **rec, "mode": args.mode, "depth": args.depth,
           "params": sum(p.numel() for p in model.parameters()), "peak_rss_mb": round(peak_rss_mb(), 1),
           "threads": torch.get_num_threads()}
    if not args.json:
        rec.update(torch=torch.__version__)
    emit(rec, args.json)


if __name__ == "__main__":
    main()
