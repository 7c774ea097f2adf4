import Foundation
import Testing
import VTPTensor

// Test helpers shared by the test targets (a library target, so that one copy serves them all).

/// Random tensor with values in N(0, 1)·scale.
public func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return Tensor.randomNormal(shape, std: scale, rng: &rng)
}

/// Central finite-difference check of every input's gradient.
///
/// The loss is L = Σ f(x)·R with a fixed random R, accumulated in Double; each checked element is perturbed by
/// ±h. Up to `samples` elements per input are checked. Fails (with the op name, input, element and both
/// values) when |analytic − numeric| > atol + rtol·|numeric|.
public func checkGradients(_ name: String, _ inputs: [Tensor], h: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
                    samples: Int = 24, wrt: Set<Int>? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { $0.requiringGrad() }
    let out = f(leaves)
    let r = randn(out.shape, seed: 99)
    let loss = (out * r).sum()
    let grads = loss.backward()
    func lossValue(_ xs: [Tensor]) -> Double {
        withNoGrad {
            let y = f(xs)
            var acc = 0.0
            for i in 0..<y.count { acc += Double(y.data[i]) * Double(r.data[i]) }
            return acc
        }
    }
    var rng = RNG(seed: 7)
    for (idx, x) in inputs.enumerated() where wrt?.contains(idx) ?? true {
        guard let g = grads[leaves[idx]] else {
            Issue.record("\(name): no gradient for input \(idx)", sourceLocation: sourceLocation)
            continue
        }
        #expect(g.shape == x.shape, "\(name): gradient shape \(g.shape) ≠ input \(x.shape)", sourceLocation: sourceLocation)
        let picks = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in rng.int(below: x.count) }
        for e in picks {
            let plus = inputs.map { $0.copy() }, minus = inputs.map { $0.copy() }
            plus[idx].data[e] += h
            minus[idx].data[e] -= h
            let numeric = Float((lossValue(plus) - lossValue(minus)) / Double(2 * h))
            let analytic = g.data[e]
            let ok = abs(analytic - numeric) <= atol + rtol * abs(numeric)
            #expect(ok, "\(name): input \(idx) element \(e): analytic \(analytic) vs numeric \(numeric)",
                    sourceLocation: sourceLocation)
            _ = (plus, minus)
        }
    }
}

/// max |a − b| over all elements (`b` in `a`'s element order); shapes must agree.
public func maxAbsDifference(_ a: Tensor, _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) elements")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a.data[i] - b[i])) }
    return m
}

/// max |a − b| of two tensors of the same shape.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxAbsDifference: shapes \(a.shape) vs \(b.shape)")
    return maxAbsDifference(a, b.scalars)
}

/// A new, not yet created folder under the system's temporary directory (`<tag>-<UUID>`).
public func temporaryDirectory(_ tag: String = "vtp-test") -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
}
