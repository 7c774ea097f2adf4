/// Pooling, extrema along an axis, and leaky ReLU.
extension Tensor {
    /// Max over `axis` (the first maximum wins; the gradient goes to it). `keepDims` keeps the axis as size 1.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { extremum(axis: axis, keepDims: keepDims, largest: true) }

    /// Min over `axis` (the first minimum wins; the gradient goes to it).
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { extremum(axis: axis, keepDims: keepDims, largest: false) }

    private func extremum(axis: Int, keepDims: Bool, largest: Bool) -> Tensor {
        let a = Shape.axis(axis, rank: rank)
        let outer = Shape.count(Array(shape[..<a])), n = shape[a], inner = Shape.count(Array(shape[(a + 1)...]))
        precondition(n > 0, "max/min over an empty axis")
        var kept = shape; kept[a] = 1
        let out = Tensor(uninitialized: kept)
        var index = [Int](repeating: 0, count: outer * inner)
        let (s, d) = (data, out.data)
        index.withUnsafeMutableBufferPointer { idx in
            let ip = idx.baseAddress!
            Parallel.forEach(outer, grain: Swift.max(1, 4096 / Swift.max(n * inner, 1))) { o in
                for i in 0..<inner {
                    var best = 0, bv = s[o * n * inner + i]
                    for k in 1..<n {
                        let v = s[(o * n + k) * inner + i]
                        if largest ? v > bv : v < bv { best = k; bv = v }
                    }
                    d[o * inner + i] = bv
                    ip[o * inner + i] = (o * n + best) * inner + i
                }
            }
        }
        let final = keepDims ? kept : shape.enumerated().filter { $0.offset != a }.map(\.element)
        var result = Tensor(shape: final, storage: out.storage)
        Tensor.record(&result, [self], .pick(index, inputShape: shape))
        return result
    }

    /// max(x, slope·x).
    public func leakyRelu(_ slope: Float = 0.2) -> Tensor {
        var out = Tensor.map(self) { x in x.replacing(with: x * slope, where: x .< 0) }
        Tensor.record(&out, [self], .leakyRelu(detached(), slope))
        return out
    }

    /// Max pooling over [B, C, H, W] windows (padding counts as −∞).
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        precondition(rank == 4, "maxPool2d: expected [B, C, H, W], got \(shape)")
        let s = stride ?? kernel
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = (h + 2 * padding - kernel) / s + 1, ow = (w + 2 * padding - kernel) / s + 1
        precondition(oh > 0 && ow > 0, "maxPool2d: window \(kernel) larger than padded input \(shape)")
        let out = Tensor(uninitialized: [b, c, oh, ow])
        var index = [Int](repeating: 0, count: out.count)
        let (src, dst) = (data, out.data)
        index.withUnsafeMutableBufferPointer { idx in
            let ip = idx.baseAddress!
            Parallel.forEach(b * c, grain: Swift.max(1, 16384 / Swift.max(h * w, 1))) { plane in
                let base = plane * h * w
                if kernel == 2 && s == 2 && padding == 0 {
                    // The common 2×2 window: two input rows per output row, no bounds checks.
                    for oy in 0..<oh {
                        let r0 = base + 2 * oy * w, r1 = r0 + w, o = (plane * oh + oy) * ow
                        for ox in 0..<ow {
                            var at = r0 + 2 * ox, best = src[at]
                            if src[r0 + 2 * ox + 1] > best { at = r0 + 2 * ox + 1; best = src[at] }
                            if src[r1 + 2 * ox] > best { at = r1 + 2 * ox; best = src[at] }
                            if src[r1 + 2 * ox + 1] > best { at = r1 + 2 * ox + 1; best = src[at] }
                            dst[o + ox] = best
                            ip[o + ox] = at
                        }
                    }
                    return
                }
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, at = -1
                        for ky in 0..<kernel {
                            let iy = oy * s - padding + ky
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<kernel {
                                let ix = ox * s - padding + kx
                                if ix < 0 || ix >= w { continue }
                                let v = src[base + iy * w + ix]
                                if v > best || at < 0 { best = v; at = base + iy * w + ix }
                            }
                        }
                        let o = (plane * oh + oy) * ow + ox
                        dst[o] = best
                        ip[o] = at
                    }
                }
            }
        }
        var result = out
        Tensor.record(&result, [self], .pick(index, inputShape: shape))
        return result
    }

    /// Average pooling over [B, C, H, W] windows (zero padding counted, as PyTorch's default).
    public func avgPool2d(kernel: Int, stride: Int? = nil) -> Tensor {
        precondition(rank == 4, "avgPool2d: expected [B, C, H, W], got \(shape)")
        let s = stride ?? kernel
        let c = shape[1]
        // An average window is a depthwise convolution with a constant kernel.
        let k = Tensor(repeating: 1 / Float(kernel * kernel), shape: [1, 1, kernel, kernel])
        let planes = reshaped([shape[0] * c, 1, shape[2], shape[3]]).conv2d(k, stride: s)
        return planes.reshaped([shape[0], c, planes.shape[2], planes.shape[3]])
    }
}
