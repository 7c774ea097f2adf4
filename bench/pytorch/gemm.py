"""PyTorch reference: GEMM GFLOP/s on the CPU for the ViT-S linear-layer shapes.

Rows M = 8 * 257 = 2056 (batch 8, 257 tokens). For every Linear(K -> N) of the block
(qkv 384->1152, proj 384->384, w1/w2 384->1024, w3 1024->384) three products are timed,
with the memory layouts autograd uses (W is [N, K] as in nn.Linear):

    fwd : Y  = X  @ Wᵀ    X [M,K], W [N,K]   -> m=M, n=N, k=K
    dX  : dX = dY @ W     dY [M,N], W [N,K]  -> m=M, n=K, k=N
    dW  : dW = dYᵀ @ X    dY [M,N], X [M,K]  -> m=N, n=K, k=M

FLOPs = 2*m*n*k. fp32 uses fp32 tensors; bf16 uses bf16 tensors (not autocast).

    bench/.venv/bin/python bench/pytorch/gemm.py --threads 2 --json
"""

import argparse
import resource
import statistics
import time

import torch

from vtp_blocks import emit

LINEARS = [("qkv", 384, 1152), ("proj", 384, 384), ("w1w2", 384, 1024), ("w3", 1024, 384)]


def bench(fn, repeats, warmup, min_time):
    for _ in range(warmup):
        fn()
    times = []
    t_start = time.perf_counter()
    c_start = _cpu_seconds()
    while len(times) < repeats or (time.perf_counter() - t_start) < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 10 * repeats:
            break
    cpu_share = (_cpu_seconds() - c_start) / ((time.perf_counter() - t_start) * torch.get_num_threads())
    return statistics.median(times), len(times), cpu_share


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=8 * 257)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=0.0,
                    help="keep repeating (up to 10x --repeats) until this many seconds per case")
    ap.add_argument("--dtype", choices=["fp32", "bf16", "both"], default="both")
    ap.add_argument("--ops", default="fwd,dX,dW")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    names = ["fp32", "bf16"] if args.dtype == "both" else [args.dtype]
    ops = args.ops.split(",")
    m_rows = args.rows

    for dname in names:
        dt = dtypes[dname]
        for layer, k, n in LINEARS:
            x = torch.randn(m_rows, k, dtype=dt)
            w = torch.randn(n, k, dtype=dt)
            dy = torch.randn(m_rows, n, dtype=dt)
            cases = {
                "fwd": (lambda: torch.matmul(x, w.t()), m_rows, n, k),
                "dX": (lambda: torch.matmul(dy, w), m_rows, k, n),
                "dW": (lambda: torch.matmul(dy.t(), x), n, k, m_rows),
            }
            for op in ops:
                fn, m, nn_, kk = cases[op]
                med, reps, share = bench(fn, args.repeats, args.warmup, args.min_time)
                gflops = 2.0 * m * nn_ * kk / med / 1e9
                rec = {"framework": "pytorch", "bench": "gemm", "m": m, "n": nn_, "k": kk,
                       "dtype": dname, "gflops": round(gflops, 2), "op": op, "layer": layer,
                       "median_s": med, "repeats": reps, "cpu_share": round(share, 3), "threads": torch.get_num_threads()}
                emit(rec, args.json)


if __name__ == "__main__":
    main()
