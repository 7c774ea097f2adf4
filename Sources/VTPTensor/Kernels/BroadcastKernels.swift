/// Materialising broadcast and its adjoint (sum over broadcast axes).
enum BroadcastKernels {
    /// Copies `src` (shape `from`) into a new buffer of shape `to` (NumPy broadcasting).
    static func expand(_ src: Tensor, to shape: [Int]) -> Tensor {
        if src.shape == shape { return src.detached() }
        let out = Tensor(uninitialized: shape)
        let r = shape.count
        let padded = [Int](repeating: 1, count: r - src.rank) + src.shape
        // Split into [outer, inner]: the trailing axes where src is full are copied as one run; when none is, the
        // trailing axes where src has size 1 are filled as one run (a scalar or [B, C, 1, 1] grown to [B, C, H, W]:
        // the gradient of a sum or a mean) instead of one index computation per output element.
        var k = r
        while k > 0 && padded[k - 1] == shape[k - 1] { k -= 1 }
        let copies = k < r
        if !copies { while k > 0 && padded[k - 1] == 1 { k -= 1 } }
        let run = Shape.count(Array(shape[k...]))
        let outerCount = Shape.count(Array(shape[..<k]))
        let srcStrides = Shape.strides(padded)
        let outStrides = Shape.strides(Array(shape[..<k]))
        let s = src.data, d = out.data
        Parallel.forEach(outerCount, grain: max(1, 16384 / max(run, 1))) { o in
            var rem = o, off = 0
            for a in 0..<k {
                let idx = rem / outStrides[a]
                rem -= idx * outStrides[a]
                if padded[a] != 1 { off += idx * srcStrides[a] }
            }
            if copies { (d + o * run).update(from: s + off, count: run) } else { (d + o * run).update(repeating: s[off], count: run) }
        }
        return out
    }

    /// Sums `g` (a broadcast result) down to `shape`, the adjoint of `expand`.
    static func sumTo(_ g: Tensor, _ shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        let r = g.rank
        let padded = [Int](repeating: 1, count: r - shape.count) + shape
        var out = g
        for a in 0..<r where padded[a] == 1 && g.shape[a] != 1 {
            out = ReduceKernels.sum(out, axis: a)  // keeps the axis with size 1
        }
        return out.reshaped(shape)
    }
}

/// Sums along one axis, keeping it with size 1.
enum ReduceKernels {
    /// [outer, n, inner] -> [outer, 1, inner].
    static func sum(_ x: Tensor, axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: x.rank)
        let outer = Shape.count(Array(x.shape[..<a])), n = x.shape[a], inner = Shape.count(Array(x.shape[(a + 1)...]))
        var oshape = x.shape; oshape[a] = 1
        let out = Tensor(uninitialized: oshape)
        let s = x.data, d = out.data
        if inner == 1 {
            Parallel.forEach(outer, grain: max(1, 8192 / max(n, 1))) { o in d[o] = Loop.sum(s + o * n, n) }
        } else if outer >= Parallel.threadCount * 2 || inner < 64 {
            Parallel.forEach(outer, grain: max(1, 8192 / max(n * inner, 1))) { o in
                columnSum(s + o * n * inner, n, inner, d + o * inner)
            }
        } else {
            // Few outer rows (a bias gradient: [rows, width] → [width]): each worker streams a contiguous band of
            // rows into a partial sum of the whole width (reads in memory order); the partials are added at the end.
            let parts = max(1, min(Parallel.threadCount, n / 64))
            let partial = Tensor(uninitialized: [parts, inner])
            let pp = partial.data
            for o in 0..<outer {
                let src = s + o * n * inner
                Parallel.forEach(parts) { t in
                    let acc = pp + t * inner
                    acc.update(repeating: 0, count: inner)
                    for k in (n * t / parts)..<(n * (t + 1) / parts) { Loop.accumulate(src + k * inner, into: acc, inner) }
                }
                let dst = d + o * inner
                dst.update(from: pp, count: inner)
                for t in 1..<parts { Loop.accumulate(pp + t * inner, into: dst, inner) }
            }
        }
        return out
    }

    /// d[j] = Σ_k s[k*inner + j] for j < inner.
    @inline(__always) static func columnSum(_ s: UnsafePointer<Float>, _ n: Int, _ inner: Int, _ d: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 16 <= inner {
            var acc = Vec(repeating: 0)
            for k in 0..<n { acc += load(s + k * inner + j) }
            store(acc, d + j)
            j += 16
        }
        while j < inner {
            var acc: Float = 0
            for k in 0..<n { acc += s[k * inner + j] }
            d[j] = acc
            j += 1
        }
    }
}
