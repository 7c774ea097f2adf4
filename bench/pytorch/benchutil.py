"""What the evaluation-network benchmarks share: the command line (threads, batch, steps, warm-up; sets torch's
thread count) and the median time of a callable."""
import argparse
import json
import time

import torch


def parse_args(doc, batch=8):
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    return a


def timed(fn, steps, warmup):
    """Median seconds of `steps` calls of fn after `warmup` untimed ones."""
    times = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def emit_throughput(bench, batch, median_s):
    """One JSON line in the format bench/report.py pairs with the Swift side (images/s of a batch)."""
    print(json.dumps({"framework": "pytorch", "bench": bench, "batch": batch, "median_s": median_s,
                      "images_per_s": batch / median_s, "threads": torch.get_num_threads(), "torch": torch.__version__}))
