import Foundation
import Testing
import VTPEval
import VTPData
import VTPGeneration
import VTPModels
import VTPTensor
import VTPTestSupport
import VTPTraining

/// `vtp dit train` on a tiny latent set: the loss falls, a killed and resumed run reproduces the per-step losses,
/// and extraction writes what training reads.
@Suite(.serialized) struct DiTTrainingTests {
    static func tempDir(_ tag: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("vtp-dit-\(tag)-\(UUID().uuidString)")
    }

    /// 96 latents [4, 4, 4] of 3 classes: class k is a fixed random pattern plus small noise.
    static func latentFolder() throws -> URL {
        let dir = tempDir("latents")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = RNG(seed: 7)
        let patterns = (0..<3).map { _ in Tensor.randomNormal([64], std: 0.5, rng: &rng).scalars }
        var z: [Float] = [], zf: [Float] = [], y: [Int64] = []
        for i in 0..<96 {
            let k = i % 3
            for e in 0..<64 { z.append(patterns[k][e] + 0.05 * rng.normal()); zf.append(patterns[k][63 - e] + 0.05 * rng.normal()) }
            y.append(Int64(k))
        }
        var w = SafeTensorsWriter(metadata: [:])
        try w.add(name: "latents", shape: [96, 4, 4, 4], floats: z)
        try w.add(name: "latents_flip", shape: [96, 4, 4, 4], floats: zf)
        try w.add(name: "labels", shape: [96], int64s: y)
        try w.write(to: dir.appendingPathComponent(LatentSetInfo.shardName(0)))
        try LatentStatistics.compute(Tensor(z, shape: [96, 4, 4, 4])).save(to: dir.appendingPathComponent(LatentStatistics.fileName))
        try LatentSetInfo(count: 96, shards: 1, shardSize: 96, channels: 4, height: 4, width: 4, classNames: ["a", "b", "c"],
                          tokenizer: "none").save(to: dir)
        return dir
    }

    static func config(latents: URL, output: URL, steps: Int) throws -> DiTTrainConfig {
        try DiTTrainConfig.parse(yaml: """
        model: {preset: T/1, hidden_size: 32, depth: 2, num_heads: 2}
        data: {latents: \(latents.path)}
        optimizer: {lr: 2.0e-3}
        ema: {decay: 0.9}
        schedule: {steps: \(steps), batch_size: 16, eval_every: 0, log_every: 1000}
        sample: {per_class: 0}
        checkpoint: {every: 3, keep_last: 2}
        seed: 5
        output_dir: \(output.path)
        """)
    }

    @Test func lossFalls() throws {
        let latents = try Self.latentFolder()
        let t = try Trainer(dit: try Self.config(latents: latents, output: Self.tempDir("run"), steps: 150))
        t.verbose = false
        try t.run()
        let losses = t.history.map { Double($0[0].1) }
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.8 * first, "loss: first 10 steps \(first), last 10 \(last)")
        #expect(t.history[0].map(\.0) == ["loss", "mse", "cos"])
    }

    /// Stopped after 5 steps (checkpoint every 3), resumed from step 3: the same per-step losses as 8 uninterrupted steps,
    /// and the EMA weights of the two runs agree.
    @Test func killedAndResumedRunReproducesTheLosses() throws {
        let latents = try Self.latentFolder()
        let whole = try Trainer(dit: try Self.config(latents: latents, output: Self.tempDir("whole"), steps: 8))
        whole.verbose = false
        try whole.run()
        let out = Self.tempDir("resumed")
        let first = try Trainer(dit: try Self.config(latents: latents, output: out, steps: 8))
        first.verbose = false
        first.stopAfter = 5
        try first.run()
        let resumed = try Trainer(dit: try Self.config(latents: latents, output: out, steps: 8))
        resumed.verbose = false
        #expect(resumed.completedSteps == 3)
        try resumed.run()
        let combined = Array(first.history.prefix(3)) + resumed.history
        #expect(combined.count == whole.history.count)
        for (a, b) in zip(whole.history, combined) { #expect(a.map(\.1) == b.map(\.1)) }
        let emaWhole = try #require(whole.step as? DiTTrainStep).ema, emaResumed = try #require(resumed.step as? DiTTrainStep).ema
        for ((k, p), (_, q)) in zip(emaWhole.namedParameters(), emaResumed.namedParameters()) {
            #expect(p.value.scalars == q.value.scalars, "ema \(k)")
        }
    }

    /// The checkpoint holds what sampling needs (EMA weights, statistics, class names); sampling writes one PNG per
    /// sample, a grid, and an .npz whose uint8 payload is the samples' pixels.
    @Test func samplingFromACheckpoint() throws {
        let latents = try Self.latentFolder()
        let run = Self.tempDir("sample")
        let t = try Trainer(dit: try Self.config(latents: latents, output: run, steps: 3))
        t.verbose = false
        try t.run()
        // A tokenizer whose latents are 4 channels on a 4×4 grid (patch 4 → 16×16 images).
        var c = VTPConfig()
        (c.imageSize, c.visionPatchSize, c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (16, 4, 16, 1, 2)
        (c.visionFeatureBottleneck, c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads, c.decoderUpscaleFactor) = (4, 16, 1, 2, 4)
        c.trainClip = false
        let tokDir = Self.tempDir("tok")
        try VTPModel(config: c, seed: 1).save(directory: tokDir)
        let out = Self.tempDir("out")
        var o = DiTSampleRun.Options(model: run, tokenizer: tokDir, output: out)
        (o.classes, o.perClass, o.steps, o.shift, o.cfgScale, o.npz) = ([0, 2], 2, 4, 0, 2, true)
        let report = try DiTSampleRun.run(o)
        #expect(report.images == 4 && report.settings.contains("EMA weights"))
        // After 3 steps at decay 0.9 the EMA still holds 0.9³ = 73% of the initial weights: a warning naming --raw.
        #expect(report.warning?.contains("73% of the initial weights") == true && report.warning?.contains("--raw") == true)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["000000.png", "000001.png", "000002.png", "000003.png", "grid.png", "samples.json", "samples.npz"])
        // samples.json: the class each image was generated for (classes 0 and 2, two each), for class consistency.
        let manifest = try SampleManifest.load(from: out)
        #expect(manifest.files == ["000000.png", "000001.png", "000002.png", "000003.png"] && manifest.labels == [0, 0, 2, 2])
        let npz = try Data(contentsOf: out.appendingPathComponent("samples.npz"))
        #expect(npz.starts(with: [0x50, 0x4B, 0x03, 0x04]))
        let header = String(decoding: npz.prefix(200), as: UTF8.self)
        #expect(header.contains("'shape': (4, 16, 16, 3)") && header.contains("'descr': '|u1'"))
        let png = try RGBImage.load(out.appendingPathComponent("000003.png"))
        // The last image's pixels end the stored payload (followed by the central directory of 46 + 9 bytes and
        // the end record of 22 bytes).
        let payloadEnd = npz.count - (46 + 9) - 22
        #expect(Array(npz[(payloadEnd - png.pixels.count)..<payloadEnd]) == png.pixels)
    }
}
