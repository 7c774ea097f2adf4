import Foundation
import Testing
import VTPModels
import VTPNN
import VTPTensor
@testable import VTPTraining

/// The second training stage (`objectives.gan`): a trained model's pixel decoder is fine-tuned against a
/// PatchGAN discriminator while everything else stays frozen; `model.init_from` names the first stage.
@Suite(.serialized) struct DecoderGANStageTests {
    /// A "first stage": the tiny joint model of `TrainerTests` trained for 2 steps (a run folder with checkpoints).
    static func firstStage() throws -> URL {
        let out = TrainerTests.tempDir()
        let t = try Trainer(config: try TrainerTests.tinyConfig(output: out, steps: 2))
        t.verbose = false
        try t.run()
        return out
    }

    static func ganConfig(initFrom: String, output: URL, steps: Int, startStep: Int = 2, adaptive: Bool = true,
                          loss: String = "hinge") throws -> TrainConfig {
        try TrainConfig.parse(yaml: """
        model: {init_from: \(initFrom)}
        data: {kind: scenes, eval_images: 8, workers: 2}
        objectives:
          clip: {enabled: false}
          dino: {enabled: false}
          reconstruction: {enabled: true, weight: 1.0}
          gan: {enabled: true, weight: 0.5, start_step: \(startStep), disc_layers: 2, disc_channels: 8, lr: 1.0e-3, adaptive_weight: \(adaptive), loss: \(loss)}
        optimizer: {lr: 2.0e-3, min_lr: 1.0e-4, warmup_steps: 1, freeze_last_layer_steps: 0}
        schedule: {steps: \(steps), batch_size: 8, eval_every: 1000, log_every: 1000}
        seed: 5
        output_dir: \(output.path)
        checkpoint: {every: 3, keep_last: 2}
        """)
    }

    static func snapshot(_ m: Module, prefix: String = "") -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: m.namedParameters(prefix: prefix).map { ($0.0, $0.1.value.scalars) })
    }

    @Test func trainsOnlyTheDecoderAndTheDiscriminator() throws {
        let stage1 = try Self.firstStage()
        let before = try VTPModel.load(directory: try InitialWeights.modelDirectory(for: stage1.path))
        let out = TrainerTests.tempDir()
        let trainer = try Trainer(config: try Self.ganConfig(initFrom: stage1.path, output: out, steps: 5))
        trainer.verbose = false
        let gan = try #require(trainer.step as? DecoderGANStep)
        let disc0 = Self.snapshot(gan.discriminator)
        // The student starts as the first stage's model, exactly.
        #expect(Self.snapshot(gan.models.student) == Self.snapshot(before))
        try trainer.run()

        let after = Self.snapshot(gan.models.student), start = Self.snapshot(before)
        var decoderChanged = 0
        for (name, value) in after {
            if name.hasPrefix("pixel_decoder.") {
                if value != start[name] { decoderChanged += 1 }
            } else {
                #expect(value == start[name], "\(name) changed although only the decoder trains")
            }
        }
        #expect(decoderChanged > 0)
        #expect(Self.snapshot(gan.discriminator) != disc0)
        // Steps 1–2 reconstruct only; from step 3 (index 2 = start_step) the GAN terms are there and finite.
        for (i, terms) in trainer.history.enumerated() {
            let names = Set(terms.map(\.0))
            if i < 2 {
                #expect(!names.contains("gan_g") && names.contains("rec"))
            } else {
                #expect(names.isSuperset(of: ["gan_g", "gan_d", "gan_weight", "d_real", "d_fake", "rec"]))
                #expect(terms.allSatisfy { $0.1.isFinite }, "\(terms)")
                #expect(terms.first { $0.0 == "gan_weight" }!.1 > 0)
            }
        }
        // The saved model is complete (text tower kept) and its encoder is the first stage's.
        let saved = try VTPModel.load(directory: try InitialWeights.modelDirectory(for: out.path))
        #expect(saved.text != nil)
        #expect(Self.snapshot(saved.trunk, prefix: "trunk") == Self.snapshot(before.trunk, prefix: "trunk"))
    }

    @Test func killedAndResumedStageReproducesTheLosses() throws {
        let stage1 = try Self.firstStage()
        // Stopped after step 5: the last checkpoint is step 3 (discriminator and its optimizer included).
        let history = try TrainerTests.expectResumeReproducesLosses(steps: 6, stopAfter: 5, checkpointStep: 3) { out, steps in
            try Self.ganConfig(initFrom: stage1.path, output: out, steps: steps, startStep: 1, adaptive: false, loss: "vanilla")
        }.history
        // Without the adaptive weight λ is gan.weight.
        #expect(history[2].first { $0.0 == "gan_weight" }?.1 == 0.5)
    }

    @Test func initFromAcceptsModelCheckpointAndRunFolders() throws {
        let stage1 = try Self.firstStage()
        let checkpoint = stage1.appendingPathComponent("checkpoints/step-00000002")
        #expect(try InitialWeights.modelDirectory(for: stage1.path).standardizedFileURL == checkpoint.standardizedFileURL)
        #expect(try InitialWeights.modelDirectory(for: checkpoint.path) == checkpoint)
        // The architecture comes from the checkpoint; the resolved config embeds it, so it reads back without it.
        let config = try Self.ganConfig(initFrom: checkpoint.path, output: TrainerTests.tempDir(), steps: 3)
        #expect(config.model.resolved.visionEmbedDim == 32 && config.data.imageSize == 16)
        #expect(config.architecture.trainClip, "the checkpoint's text tower is kept")
        let yaml = config.resolvedYAML()
        #expect(yaml.contains("init_from") && yaml.contains("vtp_config"))
        // Command-line overrides are applied before the checkpoint is read, in any order: a file naming a missing
        // first stage, or a preset, can be pointed elsewhere.
        let moved = try TrainConfig.parse(yaml: "model: {init_from: /nonexistent/run}", overrides: ["model.init_from=\(stage1.path)"])
        #expect(moved.model.resolved.visionEmbedDim == 32)
        for order in [["model.init_from=\(stage1.path)", "model.preset=null"], ["model.preset=null", "model.init_from=\(stage1.path)"]] {
            let c = try TrainConfig.parse(yaml: "model: {preset: small, image_size: 16}", overrides: order)
            #expect(c.model.resolved.visionEmbedDim == 32 && c.model.resolved.imageSize == 16 && c.data.imageSize == 16)
        }
        try FileManager.default.removeItem(at: stage1)
        let back = try TrainConfig.parse(yaml: yaml)
        #expect(back == config)
    }

    @Test func badStageSettingsAreExplained() throws {
        let stage1 = try Self.firstStage()
        func problems(_ yaml: String) -> String {
            do { _ = try TrainConfig.parse(yaml: yaml); return "" } catch { return "\(error)" }
        }
        #expect(problems("model: {init_from: /nonexistent/run}").contains("/nonexistent/run does not exist"))
        let empty = TrainerTests.tempDir()
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(problems("model: {init_from: \(empty.path)}").contains("neither config.json"))
        #expect(problems("model: {init_from: \(stage1.path), preset: tiny}").contains("remove 'preset'"))
        #expect(problems("objectives: {gan: {enabled: true}, clip: {enabled: false}, dino: {enabled: false}}").contains("set model.init_from"))
        #expect(problems("model: {init_from: \(stage1.path)}\nobjectives: {gan: {enabled: true}}").contains("turn objectives.clip and objectives.dino off"))
        #expect(problems("""
        model: {init_from: \(stage1.path)}
        objectives: {gan: {enabled: true, disc_layers: 4}, clip: {enabled: false}, dino: {enabled: false}}
        """).contains("too deep"))
        // A first stage without a decoder cannot be fine-tuned.
        let noDecoder = TrainerTests.tempDir()
        var c = VTPConfig.preset("tiny")!
        c.trainReconstruction = false
        try VTPModel(config: c, seed: 1).save(directory: noDecoder)
        #expect(problems("""
        model: {init_from: \(noDecoder.path)}
        objectives: {gan: {enabled: true}, clip: {enabled: false}, dino: {enabled: false}}
        """).contains("has none (train_reconstruction: false)"))
    }

    @Test func discriminatorOutputSize() {
        var rng = RNG(seed: 1)
        for (size, layers) in [(16, 2), (28, 2), (32, 3), (64, 3)] {
            let d = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: 4, layers: layers, normGroups: 2), rng: &rng)
            let out = d(Tensor.zeros([1, 3, size, size]))
            #expect(out.shape == [1, 1, PatchDiscriminator.outputSize(inputSize: size, layers: layers),
                                  PatchDiscriminator.outputSize(inputSize: size, layers: layers)])
        }
        #expect(PatchDiscriminator.outputSize(inputSize: 256, layers: 3) == 30)  // taming's 30×30 patches
        #expect(PatchDiscriminator.outputSize(inputSize: 28, layers: 3) == 1)
        #expect(PatchDiscriminator.outputSize(inputSize: 16, layers: 4) < 1)
    }
}
