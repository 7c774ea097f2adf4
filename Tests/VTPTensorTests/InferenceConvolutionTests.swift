import Testing
@testable import VTPTensor

/// oneDNN's inference convolution (asymmetric padding, bias, fused ReLU) against a direct loop.
@Suite struct InferenceConvolutionTests {
    private func random(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.randomUniform(shape, -1, 1, rng: &rng)
    }

    /// out[b, o, y, x] = bias[o] + Σ_{c, i, j} w[o, c, i, j] · in[b, c, y·s − top + i, x·s − left + j] (0 outside).
    static func direct(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride s: Int, pad: (Int, Int, Int, Int)) -> [Float] {
        let (b, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + pad.0 + pad.2 - kh) / s + 1, ow = (wd + pad.1 + pad.3 - kw) / s + 1
        let xs = x.scalars, ws = w.scalars, bs = bias?.scalars
        var out = [Float](repeating: 0, count: b * o * oh * ow)
        for n in 0..<b { for oc in 0..<o { for y in 0..<oh { for xx in 0..<ow {
            var acc = Double(bs?[oc] ?? 0)
            for ic in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = y * s - pad.0 + i, ix = xx * s - pad.1 + j
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += Double(ws[((oc * c + ic) * kh + i) * kw + j]) * Double(xs[((n * c + ic) * h + iy) * wd + ix])
            } } }
            out[((n * o + oc) * oh + y) * ow + xx] = Float(acc)
        } } } }
        return out
    }

    @Test(arguments: [
        ([2, 3, 17, 13], [8, 3, 3, 3], 2, (0, 0, 0, 0)),
        ([1, 16, 9, 11], [32, 16, 1, 7], 1, (0, 3, 0, 3)),
        ([1, 16, 9, 11], [24, 16, 7, 1], 1, (3, 0, 3, 0)),
        ([3, 32, 8, 8], [64, 32, 3, 3], 1, (1, 1, 1, 1)),
        ([1, 64, 10, 10], [17, 64, 1, 1], 1, (0, 0, 0, 0)),
        ([2, 5, 12, 12], [7, 5, 5, 5], 1, (2, 2, 2, 2)),
        ([1, 4, 7, 9], [3, 4, 3, 3], 2, (0, 1, 2, 0)),
    ])
    func matchesDirectConvolution(input: [Int], kernel: [Int], stride: Int, pad: (Int, Int, Int, Int)) {
        let x = random(input, 1), w = random(kernel, 2), b = random([kernel[0]], 3)
        let want = Self.direct(x, w, b, stride: stride, pad: pad)
        let scale = want.map(abs).max()!
        let got = x.conv2dInference(w, b, stride: stride, padding: pad, relu: true)
        #expect(got.shape[0] == input[0] && got.shape[1] == kernel[0] && got.count == want.count)
        let worst = zip(got.scalars, want).map { abs($0 - Swift.max($1, 0)) }.max()!
        #expect(worst <= 1e-5 * scale, "with ReLU: max difference \(worst) (scale \(scale))")
        let plain = x.conv2dInference(w, stride: stride, padding: pad).scalars
        let noBias = Self.direct(x, w, nil, stride: stride, pad: pad)
        #expect(zip(plain, noBias).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }
}
