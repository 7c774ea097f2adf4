import Foundation
import Testing
import VTPData
import VTPGeneration
import VTPModels
import VTPNN
import VTPTensor

@Suite struct SamplingTests {
    @Test func latentStatisticsKnownAnswer() throws {
        // Channel 0: 1, 2, 3, 4, 5, 6 (mean 3.5, unbiased std √3.5); channel 1: all 2 (std 0).
        let x = Tensor([1, 2, 3, 2, 2, 2, 4, 5, 6, 2, 2, 2], shape: [2, 2, 1, 3])
        var acc = LatentStatistics.Accumulator(channels: 2)
        try acc.add(x.slice(axis: 0, 0..<1))
        try acc.add(x.slice(axis: 0, 1..<2))
        let s = try acc.statistics()
        #expect(abs(s.mean[0] - 3.5) < 1e-6 && abs(s.mean[1] - 2) < 1e-6)
        #expect(abs(s.std[0] - Float(3.5).squareRoot()) < 1e-6 && s.std[1] == 0)
        #expect(throws: GenerationError.self) { try acc.add(Tensor.zeros([1, 3, 1, 1])) }
    }

    @Test func normalizationRoundTripAndFile() throws {
        let stats = LatentStatistics(mean: [0.5, -1], std: [2, 0.25], multiplier: 0.5)
        let x = Tensor([1, 3, -1, 0], shape: [1, 2, 1, 2])
        let n = try stats.normalize(x)
        #expect(n.scalars == [0.125, 0.625, 0, 2])
        let back = try stats.denormalize(n)
        #expect(zip(back.scalars, x.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latent-stats-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try stats.save(to: url)
        #expect(try LatentStatistics.load(from: url) == stats)
    }

    @Test func classConditionalSamplingIsSeededAndBatched() throws {
        var c = LightningDiTConfig()
        (c.inputSize, c.patchSize, c.inChannels, c.hiddenSize, c.depth, c.numHeads, c.numClasses) = (4, 1, 3, 16, 1, 2, 3)
        let model = try LightningDiT(config: c)
        var rng = RNG(seed: 9)
        for (_, p) in model.namedParameters() where p.requiresGrad { p.value = Tensor.randomNormal(p.shape, std: 0.3, rng: &rng) }
        let stats = LatentStatistics(mean: [0, 0.1, -0.1], std: [1, 2, 0.5])
        let decode: (Tensor) throws -> Tensor = { $0.sigmoid() }
        let run = ClassConditionalSampling(sampler: FlowSampler(method: .euler, steps: 4), guidance: Guidance(scale: 2),
                                           statistics: stats, batchSize: 2)
        var seen: [(Int, Int)] = []
        let a = try run.generate(model: model, labels: [0, 1, 2], seed: 1, decode: decode) { seen.append(($0, $1)) }
        #expect(a.images.count == 3 && a.images[0].width == 4 && a.latents.shape == [3, 3, 4, 4])
        #expect(seen.map(\.0) == [2, 3])
        let b = try run.generate(model: model, labels: [0, 1, 2], seed: 1, decode: decode)
        #expect(a.images == b.images)
        // The same noise and labels through the library sampler give the same latents.
        var noiseRNG = RNG(seed: 1)
        let noise = Tensor.randomNormal([2, 3, 4, 4], rng: &noiseRNG)
        let z = try model.sampleTrajectory(noise: noise, labels: [0, 1], sampler: run.sampler, guidance: run.guidance).last!
        #expect(a.latents.slice(axis: 0, 0..<2).scalars == z.scalars)
        let other = try run.generate(model: model, labels: [0, 1, 2], seed: 2, decode: decode)
        #expect(other.images != a.images)
    }
}
