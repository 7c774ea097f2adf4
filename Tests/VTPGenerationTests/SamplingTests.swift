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

@Suite struct DiTSampleRunTests {
    /// A tiny tokenizer (32×32 images, patch 16, 8 latent channels) and a matching DiT on 2×2×8 latents, written to
    /// folders, sampled end to end with guidance: one PNG per image and the grid.
    @Test func samplesToPNGs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dit-sample-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        var v = VTPConfig()
        (v.imageSize, v.visionPatchSize, v.visionEmbedDim, v.visionDepth, v.visionNumHeads) = (32, 16, 32, 1, 2)
        (v.visionFeatureBottleneck, v.decoderEmbedDim, v.decoderDepth, v.decoderNumHeads) = (8, 32, 1, 2)
        (v.textEmbedDim, v.textDepth, v.textNumHeads, v.textVocabSize, v.textContextLength) = (32, 1, 2, 64, 8)
        try VTPModel(config: v, seed: 1).save(directory: root.appendingPathComponent("vtp"))
        var c = LightningDiTConfig()
        (c.inputSize, c.patchSize, c.inChannels, c.hiddenSize, c.depth, c.numHeads, c.numClasses) = (2, 1, 8, 16, 1, 2, 3)
        let dit = try LightningDiT(config: c)
        var rng = RNG(seed: 2)
        for (_, p) in dit.namedParameters() where p.requiresGrad { p.value = Tensor.randomNormal(p.shape, std: 0.3, rng: &rng) }
        try dit.save(directory: root.appendingPathComponent("dit"))
        try LatentStatistics(mean: Array(repeating: 0.1, count: 8), std: Array(repeating: 2, count: 8))
            .save(to: root.appendingPathComponent("stats.safetensors"))
        var o = DiTSampleRun.Options(model: root.appendingPathComponent("dit"), tokenizer: root.appendingPathComponent("vtp"),
                                     output: root.appendingPathComponent("out"))
        (o.classes, o.perClass, o.steps, o.cfgScale, o.batchSize) = ([2, 0], 3, 5, 2.5, 4)
        o.statistics = root.appendingPathComponent("stats.safetensors")
        let report = try DiTSampleRun.run(o)
        #expect(report.images == 6)
        #expect(report.settings.contains("CFG 2.5 on all channels"))
        for i in 0..<6 {
            let image = try RGBImage.load(root.appendingPathComponent("out").appendingPathComponent(String(format: "%06d.png", i)))
            #expect(image.width == 32 && image.height == 32)
        }
        #expect(FileManager.default.fileExists(atPath: report.grid.path))
        // The bf16 mode (what `vtp dit sample --precision bf16` runs): the same images within BF16 error.
        var o16 = o
        o16.output = root.appendingPathComponent("out16")
        let r16 = try MatmulMode.with(.bf16) { try DiTSampleRun.run(o16) }
        #expect(r16.images == 6)
        var total = 0.0
        for i in 0..<6 {
            let name = String(format: "%06d.png", i)
            let (a, b) = (try RGBImage.load(o.output.appendingPathComponent(name)), try RGBImage.load(o16.output.appendingPathComponent(name)))
            let meanDiff = zip(a.pixels, b.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.pixels.count)
            #expect(meanDiff < 8, "image \(i): mean |fp32 − bf16| \(meanDiff) levels")
            total += meanDiff
        }
        if BF16Backend.isNativeAvailable { #expect(total > 0, "the bf16 mode reached the sampler's products") }
        o.classes = [3]
        #expect(throws: GenerationError.self) { try DiTSampleRun.run(o) }
    }
}
