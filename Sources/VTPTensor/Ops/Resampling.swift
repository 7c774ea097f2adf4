/// Inference-only image ops for the evaluation networks (Inception, LPIPS maps): bilinear resizing and zero padding
/// (their pools run on oneDNN's blocked layout, `BlockedActivation.pooled`). Their results carry no gradient.
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
}
