/// Inference-only image ops for the evaluation networks (Inception, LPIPS maps): bilinear resizing, zero padding and
/// average pooling that leaves padding out of the mean. Their results carry no gradient.
extension Tensor {
    /// Bilinear resize of [B, C, H, W] to [B, C, height, width] as PyTorch's
    /// `F.interpolate(mode="bilinear", align_corners=False)` without antialiasing: source coordinate
    /// (d + 0.5)·(in/out) − 0.5 clamped at 0, neighbours i0 and min(i0 + 1, in − 1), in Float as PyTorch's CPU kernel.
    public func resizedBilinear(height oh: Int, width ow: Int) -> Tensor {
        precondition(rank == 4 && oh > 0 && ow > 0, "resizedBilinear: expected [B, C, H, W] and a positive size, got \(shape) → \(oh)×\(ow)")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
            let scale = Float(inSize) / Float(outSize)
            return (0..<outSize).map { d in
                let src = Swift.max(scale * (Float(d) + 0.5) - 0.5, 0)
                let i0 = Swift.min(Int(src), inSize - 1)
                let i1 = Swift.min(i0 + 1, inSize - 1)
                return (i0, i1, src - Float(i0))
            }
        }
        let ys = taps(oh, h), xs = taps(ow, w)
        let out = Tensor(uninitialized: [b, c, oh, ow])
        let (src, dst) = (data, out.data)
        Parallel.forEach(b * c) { plane in
            let s = src + plane * h * w, d = dst + plane * oh * ow
            for (oy, (y0, y1, ly)) in ys.enumerated() {
                let hy = 1 - ly
                for (ox, (x0, x1, lx)) in xs.enumerated() {
                    let hx = 1 - lx
                    d[oy * ow + ox] = hy * (hx * s[y0 * w + x0] + lx * s[y0 * w + x1]) + ly * (hx * s[y1 * w + x0] + lx * s[y1 * w + x1])
                }
            }
        }
        return out
    }

    /// [B, C, H, W] with zero rows and columns added: [B, C, H + top + bottom, W + left + right].
    public func zeroPadded(top: Int, bottom: Int, left: Int, right: Int) -> Tensor {
        precondition(rank == 4 && Swift.min(top, bottom, left, right) >= 0, "zeroPadded: expected [B, C, H, W] and non-negative padding, got \(shape)")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let ph = h + top + bottom, pw = w + left + right
        let out = Tensor.zeros([b, c, ph, pw])
        let (src, dst) = (data, out.data)
        Parallel.forEach(b * c) { plane in
            for y in 0..<h { (dst + plane * ph * pw + (y + top) * pw + left).update(from: src + plane * h * w + y * w, count: w) }
        }
        return out
    }

    /// Average pooling over [B, C, H, W] windows with zero padding that is not counted in the mean (PyTorch's
    /// `avg_pool2d(count_include_pad=False)`, TensorFlow's pooling). Separable: window sums along rows, then columns.
    public func avgPool2dExcludingPadding(kernel: Int, stride: Int, padding: Int) -> Tensor {
        pooled(kernel: kernel, stride: stride, padding: padding, max: false)
    }

    /// Max pooling over [B, C, H, W] windows, padding counting as −∞ (the values of `maxPool2d`, without recording
    /// the argmax for a gradient). Separable: window maxima along rows, then columns.
    public func maxPool2dInference(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        pooled(kernel: kernel, stride: stride, padding: padding, max: true)
    }

    private func pooled(kernel: Int, stride: Int, padding: Int, max isMax: Bool) -> Tensor {
        precondition(rank == 4 && kernel > 0 && stride > 0 && padding >= 0, "pooling: expected [B, C, H, W], got \(shape)")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
        precondition(oh > 0 && ow > 0 && padding < kernel, "pooling: window \(kernel) larger than padded input \(shape)")
        // Clipped window bounds per output column / row.
        let cols = (0..<ow).map { ox in (Swift.max(ox * stride - padding, 0), Swift.min(ox * stride - padding + kernel, w)) }
        let rows = (0..<oh).map { oy in (Swift.max(oy * stride - padding, 0), Swift.min(oy * stride - padding + kernel, h)) }
        let out = Tensor(uninitialized: [b, c, oh, ow])
        let (src, dst) = (data, out.data)
        Parallel.forEach(b * c) { plane in
            let s = src + plane * h * w, d = dst + plane * oh * ow
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: h * ow)
            defer { tmp.deallocate() }
            for y in 0..<h {
                let row = s + y * w, t = tmp + y * ow
                for (ox, (x0, x1)) in cols.enumerated() {
                    var a = row[x0]
                    if isMax { for x in (x0 + 1)..<x1 { a = Swift.max(a, row[x]) } } else { for x in (x0 + 1)..<x1 { a += row[x] } }
                    t[ox] = a
                }
            }
            for (oy, (y0, y1)) in rows.enumerated() {
                let o = d + oy * ow
                for ox in 0..<ow { o[ox] = tmp[y0 * ow + ox] }
                for y in (y0 + 1)..<y1 {
                    let t = tmp + y * ow
                    if isMax { for ox in 0..<ow { o[ox] = Swift.max(o[ox], t[ox]) } } else { for ox in 0..<ow { o[ox] += t[ox] } }
                }
                if !isMax {
                    let rowsIn = Float(y1 - y0)
                    for (ox, (x0, x1)) in cols.enumerated() { o[ox] /= rowsIn * Float(x1 - x0) }
                }
            }
        }
        return out
    }
}
