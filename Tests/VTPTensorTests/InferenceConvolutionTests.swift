import Testing
@testable import VTPTensor

/// oneDNN's inference convolution against the im2col + GEMM `conv2d` (and explicit zero padding).
@Suite struct InferenceConvolutionTests {
    private func random(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.randomUniform(shape, -1, 1, rng: &rng)
    }

    @Test(arguments: [
        ([2, 3, 17, 13], [8, 3, 3, 3], 2, (0, 0, 0, 0)),
        ([1, 16, 9, 11], [32, 16, 1, 7], 1, (0, 3, 0, 3)),
        ([1, 16, 9, 11], [24, 16, 7, 1], 1, (3, 0, 3, 0)),
        ([3, 32, 8, 8], [64, 32, 3, 3], 1, (1, 1, 1, 1)),
        ([1, 64, 10, 10], [17, 64, 1, 1], 1, (0, 0, 0, 0)),
        ([2, 5, 12, 12], [7, 5, 5, 5], 1, (2, 2, 2, 2)),
    ])
    func matchesIm2colConvolution(input: [Int], kernel: [Int], stride: Int, pad: (Int, Int, Int, Int)) {
        let x = random(input, 1), w = random(kernel, 2), b = random([kernel[0]], 3)
        let padded = x.zeroPadded(top: pad.0, bottom: pad.2, left: pad.1, right: pad.3)
        let want = padded.conv2d(w, b, stride: stride).relu()
        let got = x.conv2dInference(w, b, stride: stride, padding: pad, relu: true)
        #expect(got.shape == want.shape)
        let scale = want.scalars.map(abs).max()!
        let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * scale, "max difference \(worst) (scale \(scale))")
        let plain = x.conv2dInference(w, stride: stride, padding: pad)
        let plainWant = padded.conv2d(w, stride: stride)
        #expect(zip(plain.scalars, plainWant.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
        #expect(plain.scalars.contains { $0 < 0 })  // no ReLU without asking
    }
}
