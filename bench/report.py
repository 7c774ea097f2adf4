#!/usr/bin/env python3
"""Turns the JSON lines of one bench/run.sh invocation into a side-by-side table (standard library only).

Ratios are PyTorch time / SwiftVTP time (or SwiftVTP throughput / PyTorch throughput): > 1 means SwiftVTP is faster.
"""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def main(path):
    rows = load(path)
    by = lambda fw: [r for r in rows if r.get("framework") == fw]
    swift, torch = by("swiftvtp"), by("pytorch")

    with open(path) as f:
        for line in f:
            if line.startswith(("cpu:", "torch:", "load after")):
                print(line.rstrip())
    p = next((r for r in swift if r.get("bench") == "peak"), {})
    peak, bf16_peak = p.get("gflops"), p.get("bf16_gflops")
    if peak:
        print(f"CPU {p.get('cpu', '?')}, ISA {p.get('cpu_isa', '?')}, bf16 mode backend {p.get('bf16_backend', '?')}")
        print(f"F32 FMA peak ({p.get('isa', 'SIMD')} loop, all threads): {peak:.0f} GFLOP/s"
              + (f"; BF16 peak ({p.get('bf16_isa')}): {bf16_peak:.0f} GFLOP/s" if bf16_peak else ""))
    print("\nGEMM (GFLOP/s)            dtype  SwiftVTP  PyTorch  ratio  Swift % of peak")
    for s in (r for r in swift if r.get("bench") == "gemm"):
        t = next((r for r in torch if r.get("bench") == "gemm" and (r["m"], r["n"], r["k"], r["op"], r["dtype"]) ==
                  (s["m"], s["n"], s["k"], s["op"], s["dtype"])), None)
        tg = t["gflops"] if t else float("nan")
        frac = 100 * s["fraction_of_peak"] if "fraction_of_peak" in s else float("nan")
        print(f"  {s['op']:3} {s['m']:5}x{s['n']:5}x{s['k']:5}  {s['dtype']:5}  {s['gflops']:8.1f}  {tg:7.1f}  "
              f"{s['gflops'] / tg if t else float('nan'):5.2f}  {frac:5.0f}%")

    print("\nstep / batch times (median s)            SwiftVTP  PyTorch  speed-up  peak RSS MB (Swift / PyTorch)")
    for s in (r for r in swift if r.get("bench") not in ("gemm", "peak", "micro", "attention", "conv", "inception_conv")):
        t = next((r for r in torch if r.get("bench") == s["bench"] and r.get("mode") == s.get("mode")
                  and r.get("depth") == s.get("depth")), None)
        if not t:
            continue
        extra = ""
        for key, label in (("images_per_s", "images/s"), ("samples_per_s", "samples/s"), ("gflops", "GFLOP/s")):
            if key in s and key in t:
                extra += f"   {label} {s[key]:.2f} vs {t[key]:.2f}"
        if "gflop" in s and peak:
            bf16 = s.get("mode") == "bf16" and bf16_peak
            extra += f" ({100 * s['gflops'] / (bf16_peak if bf16 else peak):.0f}% of the {'BF16' if bf16 else 'F32'} peak)"
        if "depth" in s:
            extra += f"   (depth {s['depth']}" + (f", {s['grid_points']} grid points)" if "grid_points" in s else ")")
        print(f"  {s['bench']:22} {s.get('mode', ''):5}  {s['median_s']:8.3f}  {t['median_s']:7.3f}  "
              f"{t['median_s'] / s['median_s']:7.2f}x  {s.get('peak_rss_mb', 0):6.0f} / {t.get('peak_rss_mb', 0):6.0f}{extra}")

    conv_table(swift, torch)


def conv_table(swift, torch):
    """The GAN stage's convolutions per layer (vtp-bench conv / conv_bench.py) and per network, weighted by how
    often each shape occurs."""
    rows = [(s, next((t for t in torch if t.get("bench") == "conv" and (t["net"], t["layer"]) == (s["net"], s["layer"])), None))
            for s in swift if s.get("bench") == "conv"]
    rows = [(s, t) for s, t in rows if t]
    if not rows:
        return
    print("\nconvolutions (ms, median)   fwd Swift  PyTorch  ratio  (% peak) | bwd Swift  PyTorch  ratio  (% peak)")
    totals = {}
    for s, t in rows:
        print(f"  {s['net']:4} {s['layer']:8} x{s['count']}  {1e3 * s['fwd_s']:9.2f} {1e3 * t['fwd_s']:8.2f} {t['fwd_s'] / s['fwd_s']:5.2f}x"
              f"  ({100 * s['fwd_fraction_of_peak']:3.0f}%) | {1e3 * s['bwd_s']:9.2f} {1e3 * t['bwd_s']:8.2f}"
              f" {t['bwd_s'] / s['bwd_s']:5.2f}x  ({100 * s['bwd_fraction_of_peak']:3.0f}%)")
        tot = totals.setdefault(s["net"], [0.0, 0.0, 0.0, 0.0])
        for i, (side, key) in enumerate([(s, "fwd_s"), (t, "fwd_s"), (s, "bwd_s"), (t, "bwd_s")]):
            tot[i] += side["count"] * side[key]
    for net, (sf, tf, sb, tb) in totals.items():
        print(f"  {net} total: forward {1e3 * sf:.1f} vs {1e3 * tf:.1f} ms ({tf / sf:.2f}x), backward {1e3 * sb:.1f} vs "
              f"{1e3 * tb:.1f} ms ({tb / sb:.2f}x), both {(tf + tb) / (sf + sb):.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])
