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
        ("maxpool2x2", { _ = x.reshaped([128, 32, 32, 32]).maxPool2d(kernel: 2) }),
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
