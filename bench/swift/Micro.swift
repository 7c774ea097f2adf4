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

/// The machine's F32 FMA peak: independent fused multiply-add chains on every thread (GFLOP/s).
func measurePeakGFLOPS() -> Double {
    let iterations = 20_000_000
    let threads = Parallel.threadCount
    let t0 = now()
    var sinks = [Float](repeating: 0, count: threads)
    sinks.withUnsafeMutableBufferPointer { out in
        let p = out.baseAddress!
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let m = Vec(repeating: 0.999_999), c = Vec(repeating: 1e-7)
            var a0 = Vec(repeating: 1), a1 = Vec(repeating: 2), a2 = Vec(repeating: 3), a3 = Vec(repeating: 4)
            var a4 = Vec(repeating: 5), a5 = Vec(repeating: 6)
            for _ in 0..<(iterations / 16) {
                a0 = a0.addingProduct(a0, m) - c; a1 = a1.addingProduct(a1, m) - c; a2 = a2.addingProduct(a2, m) - c
                a3 = a3.addingProduct(a3, m) - c; a4 = a4.addingProduct(a4, m) - c; a5 = a5.addingProduct(a5, m) - c
            }
            p[t] = (a0 + a1 + a2 + a3 + a4 + a5).sum()
        }
    }
    let dt = now() - t0
    // Each iteration: 6 vectors × 16 lanes × (FMA = 2 flops + 1 subtract).
    return Double(threads) * Double(iterations / 16) * 6 * 16 * 3 / dt / 1e9 + Double(sinks[0] * 0)
}
