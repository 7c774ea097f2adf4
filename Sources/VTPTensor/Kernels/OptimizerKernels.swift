/// In-place optimizer updates (they write into the parameter and state buffers).
public enum OptimizerKernels {
    /// AdamW on one tensor: m, v updated; θ ← θ − lr·(m/bc1 / (√(v/bc2) + ε) + wd·θ).
    public static func adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, lr: Float, beta1: Float, beta2: Float,
                             eps: Float, weightDecay: Float, biasCorrection1: Float, biasCorrection2: Float) {
        precondition(param.shape == grad.shape && m.shape == param.shape && v.shape == param.shape,
                     "adamw: parameter \(param.shape), gradient \(grad.shape) and state shapes differ")
        BF16Copies.invalidateAll()
        let n = param.count
        let (p, g, pm, pv) = (param.data, grad.data, m.data, v.data)
        let (b1, b2) = (Vec(repeating: beta1), Vec(repeating: beta2))
        let stepSize = lr / biasCorrection1, invBC2 = 1 / biasCorrection2.squareRoot()
        let decay = 1 - lr * weightDecay
        @inline(__always) func update(_ i: Int, _ len: Int) {
            let gv = len == 16 ? load(g + i) : loadPartial(g + i, len)
            var mv = len == 16 ? load(pm + i) : loadPartial(pm + i, len)
            var vv = len == 16 ? load(pv + i) : loadPartial(pv + i, len)
            var pv0 = len == 16 ? load(p + i) : loadPartial(p + i, len)
            mv = b1 * mv + (1 - b1) * gv
            vv = b2 * vv + (1 - b2) * gv * gv
            let denom = vv.squareRoot() * invBC2 + eps
            pv0 = pv0 * decay - stepSize * mv / denom
            if len == 16 { store(mv, pm + i); store(vv, pv + i); store(pv0, p + i) } else {
                storePartial(mv, pm + i, len); storePartial(vv, pv + i, len); storePartial(pv0, p + i, len)
            }
        }
        Parallel.forRanges((n + 15) / 16, grain: 2048) { r in
            for blk in r { update(blk * 16, min(16, n - blk * 16)) }
        }
    }

    /// SGD with momentum (PyTorch convention): buf ← μ·buf + g + wd·θ; θ ← θ − lr·buf.
    public static func sgd(param: Tensor, grad: Tensor, momentum buf: Tensor?, lr: Float, mu: Float, weightDecay: Float) {
        BF16Copies.invalidateAll()
        let n = param.count
        let (p, g) = (param.data, grad.data)
        for i in 0..<n {
            var d = g[i] + weightDecay * p[i]
            if let buf { buf.data[i] = mu * buf.data[i] + d; d = buf.data[i] }
            p[i] -= lr * d
        }
    }

    /// target ← m·target + (1 − m)·source (EMA of weights).
    public static func ema(target: Tensor, source: Tensor, momentum: Float) {
        precondition(target.shape == source.shape, "ema: shapes \(target.shape) and \(source.shape) differ")
        BF16Copies.invalidateAll()
        let (t, s) = (target.data, source.data)
        Loop.zip(target.count, t, s, t) { a, b in a * momentum + b * (1 - momentum) }
    }

    /// Σ g² over tensors (for gradient-norm clipping), in Double.
    public static func sumOfSquares(_ tensors: [Tensor]) -> Double {
        var total = 0.0
        for t in tensors {
            var acc = Vec(repeating: 0)
            let p = t.data
            var i = 0
            while i + 16 <= t.count { let v = load(p + i); acc += v * v; i += 16 }
            total += Double(acc.sum())
            while i < t.count { total += Double(p[i] * p[i]); i += 1 }
        }
        return total
    }

    /// t ← t·s in place.
    public static func scale(_ t: Tensor, by s: Float) {
        BF16Copies.invalidateAll()
        Loop.map(t.count, t.data, t.data) { $0 * s }
    }
}
