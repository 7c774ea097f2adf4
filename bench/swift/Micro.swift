import Dispatch
import Foundation
import VTPTensor

/// Elementwise kernel throughput (elements per ns), to catch scalarised SIMD code.
func benchMicro() {
    var rng = RNG(seed: 3)
    let x = Tensor.randomNormal([1 << 22], rng: &rng), y = Tensor.randomNormal([1 << 22], rng: &rng)
    let cases: [(String, () -> Void)] = [
        ("add", { _ = x + y }), ("mul", { _ = x * y }), ("exp", { _ = x.exp() }), ("silu", { _ = x.silu() }),
        ("gelu", { _ = x.gelu() }), ("swiglu", { _ = x.swiglu(y) }), ("copy", { _ = x.copy() }),
        ("softmax", { _ = x.reshaped([4096, 1024]).softmax() }),
        ("rmsnorm", { _ = x.reshaped([4096, 1024]).rmsNorm(weight: nil, eps: 1e-5) }),
        ("permute", { _ = x.reshaped([8, 512, 1024]).permuted([1, 0, 2]) }),
        ("sqrt", { _ = x.abs().sqrt() }),
    ]
    for (name, f) in cases {
        let t = median(timeSteps(steps: 5, warmup: 1, f))
        emit(["framework": "swiftvtp", "bench": "micro", "op": name, "ns_per_element": t * 1e9 / Double(x.count)])
    }
}

/// Attention forward and backward at the ViT-S training shape (B 8, 6 heads, 257 tokens, head dim 64).
func benchAttention() {
    var rng = RNG(seed: 4)
    let shape = [8, 6, 257, 64]
    let q = Tensor.randomNormal(shape, rng: &rng).requiringGrad(), k = Tensor.randomNormal(shape, rng: &rng).requiringGrad()
    let v = Tensor.randomNormal(shape, rng: &rng).requiringGrad()
    let flops = 4.0 * 8 * 6 * 257 * 257 * 64
    let fwd = median(timeSteps(steps: 5, warmup: 1) { _ = withNoGrad { Tensor.attention(q: q, k: k, v: v) } })
    let both = median(timeSteps(steps: 5, warmup: 1) { Tensor.attention(q: q, k: k, v: v).sum().backward() })
    emit(["framework": "swiftvtp", "bench": "attention", "forward_s": fwd, "forward_gflops": flops / fwd / 1e9,
          "forward_backward_s": both, "backward_gflops": 2 * flops / (both - fwd) / 1e9])
}

/// The machine's F32 FMA peak: 10 independent fused multiply-add chains of 8 lanes (one AVX register each) on
/// every thread (GFLOP/s).
func measurePeakGFLOPS() -> Double {
    typealias V8 = SIMD8<Float>
    let iterations = 30_000_000
    let threads = Parallel.threadCount
    var sinks = [Float](repeating: 0, count: threads)
    let t0 = now()
    sinks.withUnsafeMutableBufferPointer { out in
        let p = out.baseAddress!
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let m = V8(repeating: 0.999_999), c = V8(repeating: 1e-7)
            var a = (V8(repeating: 1), V8(repeating: 2), V8(repeating: 3), V8(repeating: 4), V8(repeating: 5),
                     V8(repeating: 6), V8(repeating: 7), V8(repeating: 8), V8(repeating: 9), V8(repeating: 10))
            for _ in 0..<iterations {
                // a ← c + a·m: one FMA per chain (bounded, since m < 1).
                a.0 = c.addingProduct(a.0, m); a.1 = c.addingProduct(a.1, m); a.2 = c.addingProduct(a.2, m)
                a.3 = c.addingProduct(a.3, m); a.4 = c.addingProduct(a.4, m); a.5 = c.addingProduct(a.5, m)
                a.6 = c.addingProduct(a.6, m); a.7 = c.addingProduct(a.7, m); a.8 = c.addingProduct(a.8, m)
                a.9 = c.addingProduct(a.9, m)
            }
            p[t] = (a.0 + a.1 + a.2 + a.3 + a.4 + a.5 + a.6 + a.7 + a.8 + a.9).sum()
        }
    }
    let dt = now() - t0
    precondition(sinks.allSatisfy(\.isFinite), "peak loop diverged")
    return Double(threads) * Double(iterations) * 10 * 8 * 2 / dt / 1e9
}
