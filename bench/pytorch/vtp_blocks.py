"""Shared PyTorch building blocks and timing helpers for the SwiftVTP benchmarks.

The models here are random-weight stand-ins with the shapes of VTP's ViT
encoder/decoder; they exist only to time PyTorch on the same work the Swift
engine does. They are not the official VTP code.
"""

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------
# 2-D axial RoPE (DINOv3-style tables as used by VTP: per head, the first
# quarter of the frequencies follows the row coordinate and the second quarter
# the column coordinate; the resulting [N, head_dim/2] angles are tiled twice
# to [N, head_dim] and applied with the half-split rotate_half).
# ---------------------------------------------------------------------------

def axial_rope_tables(grid_h, grid_w, head_dim, base=100.0):
    """sin, cos tables of shape [grid_h*grid_w, head_dim] (fp32)."""
    assert head_dim % 4 == 0
    quarter = head_dim // 4
    periods = base ** (2.0 * torch.arange(quarter, dtype=torch.float32) / (head_dim // 2))
    ys = (torch.arange(grid_h, dtype=torch.float32) + 0.5) / grid_h * 2.0 - 1.0
    xs = (torch.arange(grid_w, dtype=torch.float32) + 0.5) / grid_w * 2.0 - 1.0
    coords = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1).reshape(-1, 2)  # [N, 2]
    angles = 2.0 * math.pi * coords[:, :, None] / periods[None, None, :]  # [N, 2, quarter]
    angles = angles.reshape(coords.shape[0], 2 * quarter)  # [N, head_dim/2]
    angles = torch.cat([angles, angles], dim=-1)  # [N, head_dim]
    return torch.sin(angles), torch.cos(angles)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x, sin, cos, prefix):
    """x: [B, H, T, D]; rotates tokens prefix..T-1, leaves the first `prefix` (e.g. CLS) as is."""
    if prefix == 0:
        return x * cos + rotate_half(x) * sin
    head, rest = x[:, :, :prefix], x[:, :, prefix:]
    rest = rest * cos + rotate_half(rest) * sin
    return torch.cat([head, rest], dim=2)


# ---------------------------------------------------------------------------
# Transformer block: pre-norm attention + pre-norm SwiGLU, both residual.
# ---------------------------------------------------------------------------

class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x, sin, cos, prefix):
        b, t, c = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each [B, H, T, D]
        q = apply_rope(q, sin, cos, prefix)
        k = apply_rope(k, sin, cos, prefix)
        o = F.scaled_dot_product_attention(q, k, v)
        o = o.transpose(1, 2).reshape(b, t, c)
        return self.proj(o)


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=True)
        self.w2 = nn.Linear(dim, hidden, bias=True)
        self.w3 = nn.Linear(hidden, dim, bias=True)

    def forward(self, x):
        return self.w3(F.silu(self.w1(x)) * self.w2(x))


def make_norm(kind, dim):
    if kind == "rmsnorm":
        return nn.RMSNorm(dim, eps=1e-5, elementwise_affine=True)  # weight only
    if kind == "layernorm":
        return nn.LayerNorm(dim, eps=1e-6, elementwise_affine=True, bias=True)
    raise ValueError(kind)


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, norm):
        super().__init__()
        self.norm1 = make_norm(norm, dim)
        self.attn = Attention(dim, heads)
        self.norm2 = make_norm(norm, dim)
        self.ffn = SwiGLU(dim, hidden)

    def forward(self, x, sin, cos, prefix):
        x = x + self.attn(self.norm1(x), sin, cos, prefix)
        x = x + self.ffn(self.norm2(x))
        return x


class ViTEncoder(nn.Module):
    """Patch embed + CLS + `depth` RMSNorm blocks (RoPE on patch tokens) + final RMSNorm.

    Returns all tokens [B, 1 + grid*grid, dim] after the final norm.
    """

    def __init__(self, dim=384, heads=6, hidden=1024, depth=12, image=256, patch=16):
        super().__init__()
        self.grid = image // patch
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch, bias=True)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden, "rmsnorm") for _ in range(depth))
        self.norm = make_norm("rmsnorm", dim)
        sin, cos = axial_rope_tables(self.grid, self.grid, dim // heads)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.register_buffer("rope_cos", cos, persistent=False)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)  # [B, N, dim]
        # Under bf16 autocast the conv output is bf16 and the CLS parameter fp32: torch.cat
        # promotes, so the residual stream stays fp32 (as in timm-style ViTs); matmuls still
        # run in bf16 because autocast casts their inputs.
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        for blk in self.blocks:
            x = blk(x, self.rope_sin, self.rope_cos, 1)
        return self.norm(x)


# ---------------------------------------------------------------------------
# Harness helpers
# ---------------------------------------------------------------------------

def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def autocast_ctx(mode):
    if mode == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    if mode == "fp32":
        return torch.autocast("cpu", enabled=False)
    raise ValueError(mode)


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class StepTimes(list):
    """Per-step wall times (s); .cpu_share = process CPU time / (wall time * threads)
    over the timed steps. Well below 1.0 means the threads did not get their cores
    (other load on the machine), so the times are inflated."""
    cpu_share = float("nan")


def time_steps(fn, steps, warmup):
    """Runs fn warmup+steps times, returns the per-step wall times (s) of the timed steps."""
    for _ in range(warmup):
        fn()
    times = StepTimes()
    c0, w0 = _cpu_seconds(), time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    wall = time.perf_counter() - w0
    times.cpu_share = (_cpu_seconds() - c0) / (wall * torch.get_num_threads())
    return times


def summarize(times):
    out = {"median_s": statistics.median(times), "min_s": min(times)}
    if isinstance(times, StepTimes):
        out["cpu_share"] = round(times.cpu_share, 3)
    return out


def emit(record, as_json):
    if as_json:
        print(json.dumps(record), flush=True)
    else:
        print("  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in record.items()), flush=True)


def run_modes_in_subprocesses(argv, modes):
    """For --mode both: run every mode in a fresh interpreter so peak RSS is per mode."""
    base, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--mode":
            skip = True
        elif not a.startswith("--mode="):
            base.append(a)
    rc = 0
    for m in modes:
        rc |= subprocess.call([sys.executable] + base + ["--mode", m], env=os.environ.copy())
    return rc
