import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

@Suite struct PatchDiscriminatorTests {
    @Test func tamingLayoutKeysAndShapes() {
        var rng = RNG(seed: 1)
        let d = PatchDiscriminator(config: PatchDiscriminatorConfig(), rng: &rng)
        let got = d.namedParameters().map { "\($0.0) \($0.1.shape)" }
        #expect(got == ["main.0.weight [64, 3, 4, 4]", "main.0.bias [64]",
                        "main.2.weight [128, 64, 4, 4]", "main.3.weight [128]", "main.3.bias [128]",
                        "main.5.weight [256, 128, 4, 4]", "main.6.weight [256]", "main.6.bias [256]",
                        "main.8.weight [512, 256, 4, 4]", "main.9.weight [512]", "main.9.bias [512]",
                        "main.11.weight [1, 512, 4, 4]", "main.11.bias [1]"])
        // 3·64·16 + 64 + 64·128·16 + 2·128 + 128·256·16 + 2·256 + 256·512·16 + 2·512 + 512·16 + 1 (as taming's).
        #expect(d.parameterCount == 2_765_633)
        // Without a norm the convolutions keep their bias and the indices close up (conv, LeakyReLU, …).
        let plain = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: 8, normGroups: 0), rng: &rng)
        // ndf 6: channels 12, 24, 48 take 12, 24 and 24 groups (largest divisors up to 32).
        let odd = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: 6), rng: &rng)
        #expect(odd.norms.map(\.norm.groups) == [12, 24, 24])
        #expect(plain.namedParameters().map(\.0) == ["main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias",
                                                      "main.4.weight", "main.4.bias", "main.6.weight", "main.6.bias",
                                                      "main.8.weight", "main.8.bias"])
    }

    @Test func outputIsAPatchMap() {
        // 32 → 16 → 8 → 4 (stride 2), then 4 → 3 → 2 (4×4, stride 1, padding 1); 256 would give 30 × 30.
        var rng = RNG(seed: 2)
        let d = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: 4, normGroups: 2), rng: &rng)
        #expect(d(Tensor.randomNormal([2, 3, 32, 32], rng: &rng)).shape == [2, 1, 2, 2])
        // Per-sample norm: an image's logits do not depend on the rest of the batch (unlike BatchNorm).
        let a = Tensor.randomNormal([1, 3, 32, 32], rng: &rng)
        let b = Tensor.randomNormal([1, 3, 32, 32], rng: &rng), c = Tensor.randomNormal([1, 3, 32, 32], std: 3, rng: &rng)
        let ab = d(Tensor.concat([a, b], axis: 0)).slice(axis: 0, 0..<1), ac = d(Tensor.concat([a, c], axis: 0)).slice(axis: 0, 0..<1)
        for (x, y) in zip(ab.scalars, ac.scalars) { #expect(abs(x - y) < 1e-5) }
    }

    // x = [1, 3 | 2, 6] as [1, C = 2, 1, 2]. One group: mean 3, var (4 + 0 + 1 + 9)/4 = 3.5 → (x − 3)/√3.5.
    // Two groups: channel 0 (1, 3) → (−1, 1)/√(1 + ε); channel 1 (2, 6) → (−2, 2)/√(4 + ε).
    @Test func groupNormHandComputed() throws {
        var rng = RNG(seed: 3)
        let x = Tensor([1, 3, 2, 6], shape: [1, 2, 1, 2])
        let one = GroupNorm(2, groups: 1, rng: &rng), two = GroupNorm(2, groups: 2, rng: &rng)
        for n in [one, two] { try n.load(from: TensorDictionary(["weight": Tensor.ones([2]), "bias": Tensor.zeros([2])])) }
        let s = Float(3.5 + 1e-5).squareRoot()
        for (a, b) in zip(one(x).scalars, [-2 / s, 0, -1 / s, 3 / s]) { #expect(abs(a - b) < 1e-6) }
        let s0 = Float(1 + 1e-5).squareRoot(), s1 = Float(4 + 1e-5).squareRoot()
        for (a, b) in zip(two(x).scalars, [-1 / s0, 1 / s0, -2 / s1, 2 / s1]) { #expect(abs(a - b) < 1e-6) }
        // Affine: weight (2, 1), bias (0, 5).
        try two.load(from: TensorDictionary(["weight": Tensor([2, 1], shape: [2]), "bias": Tensor([0, 5], shape: [2])]))
        for (a, b) in zip(two(x).scalars, [-2 / s0, 2 / s0, 5 - 2 / s1, 5 + 2 / s1]) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func finiteDifferenceGradients() {
        var rng = RNG(seed: 4)
        let d = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: 4, layers: 2, normGroups: 2), rng: &rng)
        for (_, p) in d.namedParameters() { p.value = Tensor.randomNormal(p.shape, std: 0.3, rng: &rng) }
        checkModelGradients("PatchDiscriminator", parameters: d.namedParameters(),
                            inputs: [Tensor.randomNormal([2, 3, 16, 16], rng: &rng)], h: 1e-3, samples: 6, kinked: true) { x in d(x[0]) }
    }
}
