"""PyTorch reference: one ViT-S training step on the CPU.

Model (random weights): Conv2d(3, 384, 16, stride 16) patch embed on 256x256 images
(256 patches) + CLS (257 tokens); 12 pre-norm blocks of RMSNorm(eps 1e-5) -> attention
(qkv 384->1152, 6 heads x 64, 2-D axial RoPE on patch tokens, SDPA, proj 384->384)
residual, RMSNorm -> SwiGLU(384->1024->384) residual; final RMSNorm.
Loss: mean of squares of every output token (stand-in that touches every output).
Step: zero_grad + forward + backward + AdamW(lr 1e-4, wd 0.05) step, batch 8.

    bench/.venv/bin/python bench/pytorch/vit_step.py --threads 2 --warmup 3 --steps 5 --mode both --json
"""

import argparse
import sys

import torch

from vtp_blocks import (ViTEncoder, autocast_ctx, emit, peak_rss_mb,
                        run_modes_in_subprocesses, summarize, time_steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--mode", choices=["fp32", "bf16", "both"], default="both")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    if args.mode == "both":
        # one fresh process per mode so that peak RSS is not shared between modes
        sys.exit(run_modes_in_subprocesses(sys.argv, ["fp32", "bf16"]))

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = ViTEncoder(dim=384, heads=6, hidden=1024, depth=12, image=256, patch=16)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
    images = torch.randn(args.batch, 3, 256, 256)

    losses = []

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast_ctx(args.mode):
            out = model(images)
            loss = out.float().square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.detach())

    times = time_steps(step, args.steps, args.warmup)
    last = float(losses[-1])
    if not torch.isfinite(torch.tensor(last)):
        print(f"warning: non-finite loss {last}", file=sys.stderr)

    rec = {"framework": "pytorch", "bench": "vit_s_train_step", "mode": args.mode,
           **summarize(times), "steps": args.steps, "peak_rss_mb": round(peak_rss_mb(), 1),
           "threads": torch.get_num_threads()}
    if not args.json:
        rec.update(times=[round(t, 4) for t in times], batch=args.batch, warmup=args.warmup, last_loss=last,
                   params=sum(p.numel() for p in model.parameters()), torch=torch.__version__)
    emit(rec, args.json)


if __name__ == "__main__":
    main()
