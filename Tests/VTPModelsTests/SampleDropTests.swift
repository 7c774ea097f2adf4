import Foundation
import Testing
import VTPTestSupport
import VTPNN
@testable import VTPModels
import VTPTensor

@Suite struct SampleDropTests {
    /// With the attention and MLP output layers set to constants (zero weights, biases a and m), a block's branches
    /// output a and m for every token, so sample drop has a known answer: a sample kept by a branch gets that
    /// branch's constant scaled by B / kept, a dropped one gets nothing, and a sample dropped by both branches
    /// comes out unchanged.
    @Test func droppedSamplesSkipTheBranchAndKeptOnesAreRescaled() throws {
        var c = VTPConfig()
        (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.trainClip, c.trainReconstruction) = (16, 1, 2, false, false)
        c.visionFeatureBottleneck = nil
        var rng = RNG(seed: 1)
        let trunk = VisionTransformer(config: c, rng: &rng)
        let blk = trunk.blocks[0]
        let params = Dictionary(uniqueKeysWithValues: blk.namedParameters())
        let mlpOut = try #require(["mlp.w3", "mlp.fc2"].first { params[$0 + ".bias"] != nil }, "no MLP output bias in \(params.keys.sorted())")
        let (a, m): (Float, Float) = (0.25, -1.5)
        for (name, value) in [("attn.proj.weight", Float(0)), ("attn.proj.bias", a), (mlpOut + ".weight", 0), (mlpOut + ".bias", m)] {
            let p = try #require(params[name], "\(name)")
            for i in 0..<p.value.count { p.value.data[i] = value }
        }
        let x = Tensor.randomNormal([4, 3, 16], rng: &rng)
        // r = 0.5 with B = 4 keeps 2 samples per branch (scale 2): the first two entries of a permutation drawn
        // from the step's RNG, attention first, then MLP.
        var r1 = RNG(seed: 9), r2 = RNG(seed: 9)
        let y = blk(x, rope: nil, precision: .fp32, dropRatio: 0.5, rng: &r1)
        let keptAttention = Set(r2.permutation(4).prefix(2)), keptMLP = Set(r2.permutation(4).prefix(2))
        var expected = x.scalars
        let row = 3 * 16
        for i in 0..<4 {
            let add = (keptAttention.contains(i) ? 2 * a : 0) + (keptMLP.contains(i) ? 2 * m : 0)
            for j in 0..<row { expected[i * row + j] += add }
        }
        #expect(maxAbsDifference(y, expected) < 1e-5)
        // r = 0 is the plain forward, in which every sample gets a + m.
        var r3 = RNG(seed: 2)
        let plain = blk(x, rope: nil, precision: .fp32, dropRatio: 0, rng: &r3)
        #expect(maxAbsDifference(plain, x.scalars.map { $0 + a + m }) < 1e-5)
    }
}
