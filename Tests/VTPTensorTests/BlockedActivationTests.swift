import Testing
@testable import VTPTensor

/// Blocked inference chains (oneDNN's nChw16c / nChw8c between primitives) against direct loops: convolutions with
/// bias and ReLU, pools and channel concatenation, at channel counts that are and are not multiples of the block.
@Suite struct BlockedActivationTests {
    private func random(_ shape: [Int], _ seed: UInt64, _ lo: Float = -1) -> Tensor {
        var rng = RNG(seed: seed)
        return Tensor.randomUniform(shape, lo, 1, rng: &rng)
    }

    private func close(_ got: Tensor, _ want: [Float], _ what: String) {
        let scale = Swift.max(want.map(abs).max()!, 1)
        let worst = zip(got.scalars, want).map { abs($0 - $1) }.max()!
        #expect(got.count == want.count && worst <= 1e-5 * scale, "\(what): max difference \(worst) (scale \(scale))")
    }

    /// Two convolutions in a row (plain input → blocked → blocked → plain), each with bias and fused ReLU.
    @Test(arguments: [(3, 16, 32), (5, 17, 7), (32, 48, 64)])
    func convolutionChainMatchesDirect(c0: Int, c1: Int, c2: Int) {
        let x = random([2, c0, 13, 11], 1)
        let (w1, b1, w2, b2) = (random([c1, c0, 3, 3], 2), random([c1], 3), random([c2, c1, 1, 5], 4), random([c2], 5))
        let relu = { (v: [Float]) in v.map { Swift.max($0, 0) } }
        let h = relu(InferenceConvolutionTests.direct(x, w1, b1, stride: 2, pad: (1, 0, 1, 2)))
        let hShape = [2, c1, (13 + 2 - 3) / 2 + 1, (11 + 2 - 3) / 2 + 1]
        let want = relu(InferenceConvolutionTests.direct(Tensor(h, shape: hShape), w2, b2, stride: 1, pad: (0, 2, 0, 2)))
        let p1 = PackedConvolutionWeights(weight: w1, bias: b1, relu: true), p2 = PackedConvolutionWeights(weight: w2, bias: b2, relu: true)
        for round in 0..<2 {  // the second round runs on the cached primitives and packed weights
            let mid = BlockedActivation.plain(x).convolution(p1, stride: 2, padding: (1, 0, 1, 2))
            #expect(mid.shape == hShape)
            close(mid.tensor(), h, "first convolution, round \(round)")
            let out = mid.convolution(p2, padding: (0, 2, 0, 2)).tensor()
            #expect(out.shape == [2, c2, hShape[2], hShape[3]])
            close(out, want, "second convolution, round \(round)")
        }
        // Without ReLU the negative outputs survive.
        let linear = BlockedActivation.plain(x).convolution(PackedConvolutionWeights(weight: w1, bias: b1, relu: false),
                                                            stride: 2, padding: (1, 0, 1, 2)).tensor()
        close(linear, InferenceConvolutionTests.direct(x, w1, b1, stride: 2, pad: (1, 0, 1, 2)), "no ReLU")
    }

    /// Max pools equal `maxPool2d`; average pools leave the padding out of the mean; on blocked inputs too.
    @Test(arguments: [(3, 2, 0), (3, 1, 1), (2, 2, 0), (5, 3, 2)])
    func poolsMatchDirectWindows(kernel: Int, stride: Int, padding: Int) {
        for channels in [3, 16, 20] {
            let x = random([2, channels, 11, 8], 6)
            // Blocked input: an identity 1×1 convolution without ReLU.
            var eye = [Float](repeating: 0, count: channels * channels)
            for i in 0..<channels { eye[i * channels + i] = 1 }
            let identity = PackedConvolutionWeights(weight: Tensor(eye, shape: [channels, channels, 1, 1]),
                                                    bias: Tensor.zeros([channels]), relu: false)
            for input in [BlockedActivation.plain(x), BlockedActivation.plain(x).convolution(identity)] {
                let mx = input.pooled(max: true, kernel: kernel, stride: stride, padding: padding).tensor()
                close(mx, x.maxPool2d(kernel: kernel, stride: stride, padding: padding).scalars, "max pool, \(channels) channels")
                let avg = input.pooled(max: false, kernel: kernel, stride: stride, padding: padding).tensor()
                let (oh, ow) = (avg.shape[2], avg.shape[3])
                let xs = x.scalars
                var want: [Float] = []
                for p in 0..<(2 * channels) { for oy in 0..<oh { for ox in 0..<ow {
                    var sum = 0.0, n = 0
                    for i in 0..<kernel { for j in 0..<kernel {
                        let y = oy * stride - padding + i, xx = ox * stride - padding + j
                        if y >= 0 && y < 11 && xx >= 0 && xx < 8 { sum += Double(xs[(p * 11 + y) * 8 + xx]); n += 1 }
                    } }
                    want.append(Float(sum / Double(n)))
                } } }
                close(avg, want, "average pool, \(channels) channels")
            }
        }
    }

    /// Channel concatenation of blocked parts (block-aligned and not) equals the concatenation of their values.
    @Test func concatenationMatchesPlainConcat() {
        let parts = [16, 5, 32, 3].enumerated().map { i, c in
            (x: random([2, c, 6, 7], UInt64(10 + i)), w: PackedConvolutionWeights(weight: random([c, c, 1, 1], UInt64(20 + i)),
                                                                                   bias: random([c], UInt64(30 + i)), relu: false))
        }
        let blocked = parts.map { BlockedActivation.plain($0.x).convolution($0.w) }
        let got = BlockedActivation.concatChannels(blocked).tensor()
        #expect(got.shape == [2, 56, 6, 7])
        let want = Tensor.concat(blocked.map { $0.tensor() }, axis: 1)
        #expect(got.scalars == want.scalars)
        let single = BlockedActivation.concatChannels([blocked[0]])
        #expect(single.tensor().scalars == blocked[0].tensor().scalars)
    }
}
