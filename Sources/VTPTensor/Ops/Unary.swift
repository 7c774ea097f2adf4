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

    /// out = silu(gate) · up for `rows` rows of `width`: gate and up rows `ld` apart, out dense [rows, width] (it is
    /// the input of the FFN's output layer: its BF16 copy is written in the same pass when the mode wants one).
    static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, ld: Int, rows: Int, width: Int, into out: Tensor) {
        let po = out.data
        let half = BF16Copies.epilogue(for: out)
        func segment(_ src: Int, _ dst: Int, _ n: Int) {
            vtp_swiglu(gate + src, up + src, po + dst, n)
            if let half { BF16Kernels.narrowSerial(po + dst, half + dst, n) }
        }
        if ld == width {  // dense rows: one flat range, split anywhere (also when there are few long rows)
            Parallel.forRanges(rows * width, grain: 32768) { r in segment(r.lowerBound, r.lowerBound, r.count) }
        } else {
            Parallel.forEach(rows, grain: max(1, 32768 / max(width, 1))) { r in segment(r * ld, r * width, width) }
        }
    }

    /// The gradients of `swiglu(gate:up:…)` from g [rows, width] (dense), in one pass: dGate = g·up·silu'(gate),
    /// dUp = g·silu(gate), written where the forward read gate and up (`ld` apart). They are the output gradients
    /// of the input layers, each read by two products: `halves` (BF16 copies at the same offsets) are filled too.
    static func swigluBackward(g: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, ld: Int,
                               rows: Int, width: Int, dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>,
                               halves: (gate: UnsafeMutablePointer<UInt16>, up: UnsafeMutablePointer<UInt16>)?) {
        func segment(_ gOffset: Int, _ o: Int, _ n: Int) {
            vtp_swiglu_backward(g + gOffset, gate + o, up + o, dGate + o, dUp + o, n)
            if let halves {
                BF16Kernels.narrowSerial(dGate + o, halves.gate + o, n)
                BF16Kernels.narrowSerial(dUp + o, halves.up + o, n)
            }
        }
        if ld == width {  // dense rows: one flat range
            Parallel.forRanges(rows * width, grain: 32768) { r in segment(r.lowerBound, r.lowerBound, r.count) }
        } else {
            Parallel.forEach(rows, grain: max(1, 32768 / max(width, 1))) { r in segment(r * width, r * ld, width) }
        }
    }

    /// The gradient of `swigluHalves` with respect to its input x [..., 2H] (gate and up halves of each row).
    static func swigluHalvesBackward(_ g: Tensor, _ x: Tensor) -> Tensor {
        let w = x.shape.last ?? 0, h = w / 2
        let dx = Tensor(uninitialized: x.shape)
        swigluBackward(g: g.data, gate: x.data, up: x.data + h, ld: w, rows: w == 0 ? 0 : x.count / w, width: h,
                       dGate: dx.data, dUp: dx.data + h, halves: BF16Copies.epilogue(for: dx).map { ($0, $0 + h) })
        return dx
    }

    /// Gradients of silu(a)·b (same shapes).
    static func swigluBackward(_ g: Tensor, _ a: Tensor, _ b: Tensor) -> (Tensor, Tensor) {
        let da = Tensor(uninitialized: a.shape), db = Tensor(uninitialized: a.shape)
        let w = a.shape.last ?? 1
        let halves = BF16Copies.epilogue(for: da).flatMap { ha in BF16Copies.epilogue(for: db).map { (ha, $0) } }
        swigluBackward(g: g.data, gate: a.data, up: b.data, ld: w, rows: w == 0 ? 0 : a.count / w, width: w,
                       dGate: da.data, dUp: db.data, halves: halves)
        return (da, db)
    }

    /// d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x))).
    @inline(__always) static func siluGrad(_ x: Vec) -> Vec {
        let s = VectorMath.sigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
