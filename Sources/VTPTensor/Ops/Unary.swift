import CVTPKernels
import Foundation

/// Elementwise functions: exp, log, roots, activations.
extension Tensor {
    public func exp() -> Tensor {
        var out = Tensor.map(self) { VectorMath.exp($0) }
        let saved = out
        Tensor.record(&out, [self], .exp(saved))
        return out
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        var out = Tensor(uninitialized: shape)
        let (s, d) = (data, out.data)
        Parallel.forRanges(count, grain: 8192) { r in for i in r { d[i] = Foundation.log(s[i]) } }
        Tensor.record(&out, [self], .log(detached()))
        return out
    }

    public func sqrt() -> Tensor {
        var out = Tensor.map(self) { $0.squareRoot() }
        let saved = out
        Tensor.record(&out, [self], .sqrt(saved))
        return out
    }

    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor {
        var out = Tensor.map(self) { 1 / $0.squareRoot() }
        let saved = out
        Tensor.record(&out, [self], .rsqrt(saved))
        return out
    }

    public func abs() -> Tensor {
        var out = Tensor.map(self) { VectorMath.abs($0) }
        Tensor.record(&out, [self], .abs(detached()))
        return out
    }

    public func sigmoid() -> Tensor {
        var out = Tensor.map(self) { VectorMath.sigmoid($0) }
        let saved = out
        Tensor.record(&out, [self], .sigmoid(saved))
        return out
    }

    public func tanh() -> Tensor {
        var out = Tensor.map(self) { VectorMath.tanh($0) }
        let saved = out
        Tensor.record(&out, [self], .tanh(saved))
        return out
    }

    public func relu() -> Tensor {
        var out = Tensor.map(self) { $0.replacing(with: 0, where: $0 .< 0) }
        Tensor.record(&out, [self], .relu(detached()))
        return out
    }

    /// x · sigmoid(x).
    public func silu() -> Tensor {
        var out = Tensor.map(self) { $0 * VectorMath.sigmoid($0) }
        Tensor.record(&out, [self], .silu(detached()))
        return out
    }

    /// GELU: exact `x·Φ(x) = x/2·(1 + erf(x/√2))`, or the tanh approximation
    /// `x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    public func gelu(approximate: Bool = false) -> Tensor {
        var out = Tensor(uninitialized: shape)
        let (px, po) = (data, out.data)
        Parallel.forRanges(count, grain: 16384) { r in vtp_gelu(px + r.lowerBound, po + r.lowerBound, r.count, approximate ? 1 : 0) }
        Tensor.record(&out, [self], .gelu(detached(), approximate: approximate))
        return out
    }

    /// Limits every element to [lo, hi] (gradient passes only inside the interval).
    public func clamped(_ lo: Float, _ hi: Float) -> Tensor {
        var out = Tensor.map(self) { VectorMath.clamp($0, lo, hi) }
        Tensor.record(&out, [self], .clamp(detached(), lo, hi))
        return out
    }
}

/// Activation kernels shared by forward ops and gradient rules (the arithmetic is in CVTPKernels' rows.c).
enum Activation {
    /// dx = g·GELU'(x) (exact or tanh form, see `vtp_gelu_backward`).
    static func geluBackward(_ g: Tensor, _ x: Tensor, approximate: Bool) -> Tensor {
        precondition(g.shape == x.shape, "gelu backward: gradient \(g.shape) ≠ input \(x.shape)")
        let dx = Tensor(uninitialized: x.shape)
        let (pg, px, pd) = (g.data, x.data, dx.data)
        Parallel.forRanges(x.count, grain: 16384) { r in
            let o = r.lowerBound
            vtp_gelu_backward(pg + o, px + o, pd + o, r.count, approximate ? 1 : 0)
        }
        return dx
    }

    /// The gradient of `swigluHalves` with respect to its input x [..., 2H] (gate and up halves of each row).
    static func swigluHalvesBackward(_ g: Tensor, _ x: Tensor) -> Tensor {
        let w = x.shape.last ?? 0, h = w / 2, rows = w == 0 ? 0 : x.count / w
        let dx = Tensor(uninitialized: x.shape)
        let (pg, px, pd) = (g.data, x.data, dx.data)
        let half = BF16Copies.epilogue(for: dx)  // the output gradient of the fused input projection
        Parallel.forEach(rows, grain: max(1, 32768 / max(h, 1))) { r in
            vtp_swiglu_backward(pg + r * h, px + r * w, px + r * w + h, pd + r * w, pd + r * w + h, h)
            if let half { BF16Kernels.narrowSerial(pd + r * w, half + r * w, w) }
        }
        return dx
    }

    /// Gradients of silu(a)·b in one pass: da = g·b·silu'(a), db = g·silu(a) (one sigmoid per element).
    static func swigluBackward(_ g: Tensor, _ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        let da = Tensor(uninitialized: a.shape), db = Tensor(uninitialized: a.shape)
        let (pg, pa, pb, pda, pdb) = (g.data, a.data, b.data, da.data, db.data)
        // Gradients of the two input layers' outputs: each feeds that layer's input- and weight-gradient products.
        let (ha, hb) = (BF16Copies.epilogue(for: da), BF16Copies.epilogue(for: db))
        Parallel.forRanges(a.count, grain: 32768) { r in
            let o = r.lowerBound
            vtp_swiglu_backward(pg + o, pa + o, pb + o, pda + o, pdb + o, r.count)
            if let ha, let hb {
                BF16Kernels.narrowSerial(pda + o, ha + o, r.count)
                BF16Kernels.narrowSerial(pdb + o, hb + o, r.count)
            }
        }
        return (da, db)
    }

    /// d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x))).
    @inline(__always) static func siluGrad(_ x: Vec) -> Vec {
        let s = VectorMath.sigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
