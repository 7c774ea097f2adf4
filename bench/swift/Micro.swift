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
