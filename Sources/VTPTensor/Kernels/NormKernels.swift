import CVTPKernels
import Foundation

/// Fused LayerNorm and RMSNorm over the last axis: one pass forward, one pass backward per row.
///
/// LayerNorm: y = (x − μ)·r·w + b, r = 1/√(var + ε). RMSNorm: y = x·r·w, r = 1/√(mean(x²) + ε).
/// Statistics are accumulated in Double, so results do not depend on how rows are split.
enum NormKernels {
    /// Returns (y, mean [rows], rstd [rows]). `mean` is all zeros for RMSNorm.
    static func forward(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, rms: Bool) -> (Tensor, Tensor, Tensor) {
        let d = x.shape.last ?? 1, rows = x.count / max(d, 1)
        let y = Tensor(uninitialized: x.shape)
        let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
        let (px, py, pm, pr) = (x.data, y.data, mean.data, rstd.data)
        let pw = weight?.data, pb = bias?.data
        let half = BF16Copies.epilogue(for: y)  // a norm's output feeds the next linear layer
        Parallel.forEach(rows, grain: max(1, 4096 / max(d, 1))) { r in
            let xr = px + r * d, yr = py + r * d
            defer { if let half { BF16Kernels.narrowSerial(yr, half + r * d, d) } }
            // Two passes over the row (mean, then centred squares), 16 lanes wide, lanes summed in Double.
            let m: Float = rms ? 0 : Float(Double(Loop.sum(xr, d)) / Double(d))
            let mv = Vec(repeating: m)
            var acc = Vec(repeating: 0)
            var j = 0
            while j + 16 <= d { let t = load(xr + j) - mv; acc += t * t; j += 16 }
            var v = 0.0
            for l in 0..<16 { v += Double(acc[l]) }
            while j < d { let t = Double(xr[j] - m); v += t * t; j += 1 }
            let s = Float(1 / (v / Double(d) + Double(eps)).squareRoot())
            pm[r] = m
            pr[r] = s
            j = 0
            let sv = Vec(repeating: s)
            while j + 16 <= d {
                var t = (load(xr + j) - mv) * sv
                if let pw { t *= load(pw + j) }
                if let pb { t += load(pb + j) }
                store(t, yr + j)
                j += 16
            }
            while j < d {
                var t = (xr[j] - m) * s
                if let pw { t *= pw[j] }
                if let pb { t += pb[j] }
                yr[j] = t
                j += 1
            }
        }
        return (y, mean, rstd)
    }

    /// Gradients (dx, dweight, dbias) of the forward above.
    /// dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·w (LayerNorm); RMSNorm drops the mean(ĝ) term.
    static func backward(_ dy: Tensor, _ x: Tensor, weight: Tensor?, mean: Tensor, rstd: Tensor, rms: Bool,
                         wantBias: Bool) -> (Tensor, Tensor?, Tensor?) {
        let d = x.shape.last ?? 1, rows = x.count / max(d, 1)
        let dx = Tensor(uninitialized: x.shape)
        let chunks = min(rows, Parallel.threadCount * 4)
        // Per-chunk partial sums for dweight/dbias, reduced at the end.
        let partW = Tensor.zeros([max(chunks, 1), d]), partB = Tensor.zeros([max(chunks, 1), d])
        let (px, pg, pdx, pm, pr) = (x.data, dy.data, dx.data, mean.data, rstd.data)
        let pw = weight?.data, ppw = partW.data, ppb = partB.data
        DispatchQueue.concurrentPerform(iterations: max(chunks, 1)) { c in
            let lo = rows * c / max(chunks, 1), hi = rows * (c + 1) / max(chunks, 1)
            let aw = ppw + c * d, ab = ppb + c * d
            for r in lo..<hi {
                let xr = px + r * d, gr = pg + r * d, dxr = pdx + r * d
                let mv = Vec(repeating: pm[r]), sv = Vec(repeating: pr[r])
                // Pass 1: Σ ĝ and Σ ĝ·x̂ (ĝ = dy·w, x̂ = (x − μ)·r) and the dweight/dbias partial sums.
                var sg = Vec(repeating: 0), sgx = Vec(repeating: 0)
                var j = 0
                while j + 16 <= d {
                    let xh = (load(xr + j) - mv) * sv, g = load(gr + j)
                    let gh = pw.map { g * load($0 + j) } ?? g
                    sg += gh; sgx += gh * xh
                    store(load(aw + j) + g * xh, aw + j)
                    store(load(ab + j) + g, ab + j)
                    j += 16
                }
                var sumG = 0.0, sumGX = 0.0
                for l in 0..<16 { sumG += Double(sg[l]); sumGX += Double(sgx[l]) }
                while j < d {
                    let xh = (xr[j] - pm[r]) * pr[r], gh = gr[j] * (pw?[j] ?? 1)
                    sumG += Double(gh); sumGX += Double(gh * xh)
                    aw[j] += gr[j] * xh; ab[j] += gr[j]
                    j += 1
                }
                let meanG = Vec(repeating: rms ? 0 : Float(sumG / Double(d))), meanGX = Vec(repeating: Float(sumGX / Double(d)))
                // Pass 2: dx = r·(ĝ − mean ĝ − x̂·mean(ĝ·x̂)).
                j = 0
                while j + 16 <= d {
                    let xh = (load(xr + j) - mv) * sv, g = load(gr + j)
                    let gh = pw.map { g * load($0 + j) } ?? g
                    store(sv * (gh - meanG - xh * meanGX), dxr + j)
                    j += 16
                }
                while j < d {
                    let xh = (xr[j] - pm[r]) * pr[r], gh = gr[j] * (pw?[j] ?? 1)
                    dxr[j] = pr[r] * (gh - meanG[0] - xh * meanGX[0])
                    j += 1
                }
            }
        }
        let dw = weight == nil ? nil : partW.sum(axis: 0).detached()
        let db = wantBias ? partB.sum(axis: 0).detached() : nil
        return (dx, dw, db)
    }
}

/// Row softmax / log-softmax over the last axis (softmax rows in C: `vtp_softmax_row`).
enum SoftmaxKernels {
    /// y = exp(x − max − log Σ exp(x − max)) (log) or its exponential; also returns log Σ exp(x) per row.
    static func forward(_ x: Tensor, log: Bool) -> (Tensor, Tensor) {
        let n = x.shape.last ?? 1, rows = x.count / max(n, 1)
        let y = Tensor(uninitialized: x.shape), lse = Tensor(uninitialized: [rows])
        let (px, py, pl) = (x.data, y.data, lse.data)
        Parallel.forEach(rows, grain: max(1, 2048 / max(n, 1))) { r in
            pl[r] = softmaxRow(px + r * n, py + r * n, n, log: log)
        }
        return (y, lse)
    }

    /// Writes softmax (or log-softmax) of one row; returns its log-sum-exp. Rows of all −∞ give zeros.
    @inline(__always) static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                                             log: Bool) -> Float {
        if !log { return vtp_softmax_row(x, y, n) }
        var mx = -Float.infinity
        for j in 0..<n where x[j] > mx { mx = x[j] }
        if mx == -.infinity { y.update(repeating: -.infinity, count: n); return -.infinity }
        let mv = Vec(repeating: mx)
        var sum = Vec(repeating: 0)
        var j = 0
        while j + 16 <= n {
            sum += VectorMath.exp(load(x + j) - mv)
            j += 16
        }
        var tailSum: Float = 0
        if j < n { tailSum = VectorMath.exp(loadPartial(x + j, n - j, fill: -.infinity) - mv).sum() }
        let lse = mx + Foundation.log(sum.sum() + tailSum)
        for k in 0..<n { y[k] = x[k] - lse }
        return lse
    }
}
