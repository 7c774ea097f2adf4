import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

@Suite struct SampleDropTests {
    @Test func droppedSamplesSkipTheBranchAndKeptOnesAreRescaled() throws {
        var c = VTPConfig()
        (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.trainClip, c.trainReconstruction) = (16, 1, 2, false, false)
        c.visionFeatureBottleneck = nil
        var rng = RNG(seed: 1)
        let trunk = VisionTransformer(config: c, rng: &rng)
        let blk = trunk.blocks[0]
        let x = Tensor.randomNormal([4, 3, 16], rng: &rng)
        // r = 0.5 with B = 4 keeps 2 samples per branch; the attention branch's subset is the first two entries
        // of the permutation drawn from the same RNG state.
        var r1 = RNG(seed: 9), r2 = RNG(seed: 9)
        let y = blk(x, rope: nil, precision: .fp32, dropRatio: 0.5, rng: &r1)
        let kept = Set(r2.permutation(4).prefix(2))
        let h = x + blk.attentionBranch(x, rope: nil, precision: .fp32) * 2  // keep = 2 of 4: scale 2
        let kept2 = Array(r2.permutation(4).prefix(2))
        var expected = h.scalars, hf = blk.mlpBranch(h).scalars
        let row = 3 * 16
        for i in 0..<4 {
            for j in 0..<row {
                let xi = x.data[i * row + j]
                if !kept.contains(i) { expected[i * row + j] = xi }   // attention skipped for this sample
            }
        }
        // The MLP branch runs on the attention output of the kept2 subset only.
        let hReal = Tensor(expected, shape: x.shape)
        hf = blk.mlpBranch(hReal).scalars
        for i in kept2 { for j in 0..<row { expected[i * row + j] += 2 * hf[i * row + j] } }
        var worst: Float = 0
        for i in 0..<y.count { worst = max(worst, abs(y.data[i] - expected[i])) }
        #expect(worst < 1e-5)
        // r = 0 is the plain forward.
        var r3 = RNG(seed: 2)
        #expect(blk(x, rope: nil, precision: .fp32, dropRatio: 0, rng: &r3).scalars == blk(x, rope: nil, precision: .fp32).scalars)
    }
}
