import Foundation
import Testing
import VTPData
import VTPEval
import VTPModels
import VTPNN
import VTPTensor
@testable import VTPTraining

/// End-to-end runs of the trainer on a tiny model and the built-in synthetic scenes.
@Suite(.serialized) struct TrainerTests {
    static func tinyConfig(output: URL, steps: Int) throws -> TrainConfig {
        try TrainConfig.parse(yaml: """
        model:
          preset: tiny
          image_size: 16
          vision_patch_size: 4
          decoder_upscale_factor: 4
          vision_embed_dim: 32
          vision_depth: 2
          vision_num_heads: 2
          vision_feature_bottleneck: 8
          decoder_embed_dim: 32
          decoder_depth: 1
          decoder_num_heads: 2
          text_embed_dim: 32
          text_depth: 1
          text_num_heads: 2
          text_context_length: 16
        data: {kind: scenes, image_size: 16, global_size: 16, local_size: 8, local_crops_number: 2, eval_images: 16, workers: 2}
        objectives:
          clip: {enabled: true}
          dino: {enabled: true, out_dim: 64, hidden_dim: 32, bottleneck_dim: 16, teacher_temp_warmup_steps: 5, koleo_weight: 0.1, ibot: {enabled: true}}
          reconstruction: {enabled: true}
        optimizer: {lr: 3.0e-3, min_lr: 1.0e-4, warmup_steps: 2, freeze_last_layer_steps: 0}
        schedule: {steps: \(steps), batch_size: 16, eval_every: 1000, log_every: 1000}
        seed: 3
        output_dir: \(output.path)
        checkpoint: {every: 3, keep_last: 2}
        """)
    }

    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("vtp-train-\(UUID().uuidString)")
    }

    @Test func jointRunLowersEveryLossTerm() throws {
        let steps = 30
        let trainer = try Trainer(config: try Self.tinyConfig(output: Self.tempDir(), steps: steps))
        trainer.verbose = false
        try trainer.run()
        let names = trainer.history[0].map(\.0)
        #expect(Set(names).isSuperset(of: ["loss", "clip", "dino", "koleo", "ibot", "rec"]))
        for (i, name) in names.enumerated() where name != "rec_pixel" {
            let first = trainer.history.prefix(5).map { Double($0[i].1) }.reduce(0, +) / 5
            let last = trainer.history.suffix(5).map { Double($0[i].1) }.reduce(0, +) / 5
            #expect(last < first, "\(name): mean of the first 5 steps \(first), of the last 5 steps \(last)")
        }
    }

    /// With its own batch size, CLIP reads its own stream: the step's CLIP term is the CLIP loss of that batch and
    /// the reconstruction term the L1 loss of the main batch (known answers from the model's inference API).
    @Test func clipBatchSizeGivesCLIPItsOwnBatch() throws {
        let config = try Self.tinyConfig(output: Self.tempDir(), steps: 2)
            .applying(overrides: ["objectives.clip.batch_size=24", "objectives.dino.enabled=false"])
        let t = try #require(try Trainer(config: config).step as? JointStep)
        let loader = try #require(t.clipLoader)
        #expect(loader.batchSize == 24 && t.loader.batchSize == 16)
        let batch = try t.loader.next().samples.map(\.value), clipBatch = try loader.next().samples.map(\.value)
        var rng = RNG(seed: 1)
        let got = try t(batch, clipBatch: clipBatch, teacherTemperature: 0.04, rng: &rng)
        let m = t.models.student, s = config.data.imageSize
        let clipImages = Tensor(clipBatch.flatMap(\.plain), shape: [24, 3, s, s])
        let ids = try CLIPTokenizer().tokenize(clipBatch.map(\.caption), contextLength: m.config.textContextLength).flatMap { $0.map(Int.init) }
        let clip = CLIPLoss.loss(imageFeatures: try m.clipImageFeatures(clipImages),
                                 textFeatures: try m.clipTextFeatures(tokens: ids, rows: 24), logitScale: m.logitScale!.value)
        let images = Tensor(batch.flatMap(\.plain), shape: [16, 3, s, s])
        let rec = try m.reconstruct(images).l1Loss(images)
        let terms = Dictionary(uniqueKeysWithValues: got.terms)
        #expect(abs(terms["clip"]! - clip.item) < 1e-4, "clip \(terms["clip"]!) vs \(clip.item)")
        #expect(abs(terms["rec"]! - rec.item) < 1e-5, "rec \(terms["rec"]!) vs \(rec.item)")
        // With the same batch size there is one stream and one shared forward.
        #expect((try Trainer(config: try Self.tinyConfig(output: Self.tempDir(), steps: 2)).step as? JointStep)?.clipLoader == nil)
    }

    /// `optimizer.freeze_last_layer_steps`: the prototype layer of the DINO head keeps its initial weights (no
    /// gradient, no weight decay, no moments) for exactly that many steps, while the rest of the head trains.
    @Test func lastLayerOfTheHeadStaysFrozen() throws {
        func weights(_ m: Module) -> [[Float]] { m.namedParameters().map(\.1.value.scalars) }
        let config = try Self.tinyConfig(output: Self.tempDir(), steps: 5).applying(overrides: ["optimizer.freeze_last_layer_steps=3"])
        let t = try Trainer(config: config)
        t.verbose = false
        let step = try #require(t.step as? JointStep), head = try #require(step.models.studentHead)
        let last0 = weights(head.lastLayer), mlp0 = head.layers.map(weights)
        t.stopAfter = 3
        try t.run()
        #expect(weights(head.lastLayer) == last0, "the last layer changed during its frozen steps")
        #expect(head.layers.map(weights) != mlp0, "the head's MLP did not train")
        t.stopAfter = nil
        try t.run()
        #expect(weights(head.lastLayer) != last0, "the last layer stayed frozen after freeze_last_layer_steps")
    }

    /// Resuming is strict: a checkpoint state without an entry the step needs is an error naming it.
    @Test func restoreNamesAMissingEntry() throws {
        let config = try Self.tinyConfig(output: Self.tempDir(), steps: 2)
        let step = try #require(try Trainer(config: config).step as? JointStep)
        var state = TrainingState(step: 1)
        step.save(into: &state)
        state.tensors["dino_center"] = nil
        #expect { try step.restore(from: state) } throws: { "\($0)".contains("dino_center") }
        var noCursor = TrainingState(step: 1)
        step.save(into: &noCursor)
        noCursor.scalars = noCursor.scalars.filter { !$0.key.hasPrefix("data") }
        #expect { try step.restore(from: noCursor) } throws: { "\($0)".contains("data") }
    }

    @Test func killedAndResumedRunWithTwoStreams() throws {
        try Self.expectResumeReproducesLosses(steps: 6, stopAfter: 4, checkpointStep: 3) { out, steps in
            try Self.tinyConfig(output: out, steps: steps).applying(overrides: ["objectives.clip.batch_size=24"])
        }
    }

    // eval_every 0 means never, except the final evaluation; a positive interval evaluates on its multiples.
    @Test func evaluationInterval() throws {
        for (every, expected) in [(0, [3]), (1, [1, 2, 3]), (2, [2, 3])] {
            let config = try Self.tinyConfig(output: Self.tempDir(), steps: 3).applying(overrides: ["schedule.eval_every=\(every)"])
            let t = try Trainer(config: config)
            t.verbose = false
            try t.run()
            #expect(t.evaluations.map(\.step) == expected, "eval_every \(every)")
        }
    }

    /// The k-NN score is the leave-one-out 20-NN accuracy of the model's CLS features on the evaluation images,
    /// and is absent without labels.
    @Test func evaluationScoresKNN() throws {
        let config = try Self.tinyConfig(output: Self.tempDir(), steps: 2)
        let student = try #require(try Trainer(config: config).models).student
        let set = try TrainingData(config: config).evalBatch(limit: 16)
        let labels = set.labels.map { $0! }
        let (r, _) = try TokenizerEvaluation.evaluate(model: student, images: set.images, labels: set.labels, classNames: nil,
                                                      templates: [], batch: 5)
        let cls = try withNoGrad { try student.lastLayerFeatures(set.images).clsToken }
        #expect(r.knnAccuracy == KNNClassifier.leaveOneOutAccuracy(features: cls, labels: labels))
        let (unlabeled, _) = try TokenizerEvaluation.evaluate(model: student, images: set.images, labels: labels.map { _ in nil },
                                                              classNames: nil, templates: [])
        #expect(unlabeled.knnAccuracy == nil && unlabeled.psnr != nil)
    }

    /// An uninterrupted run of `steps` steps, and a run in another folder stopped after `stopAfter` steps (its last
    /// checkpoint at `checkpointStep`) then resumed: the resumed run restarts at `checkpointStep` and the per-step
    /// losses of the two runs are the same. Returns the stopped-and-resumed run's folder and the per-step losses.
    @discardableResult
    static func expectResumeReproducesLosses(steps: Int, stopAfter: Int, checkpointStep: Int,
                                             sourceLocation: SourceLocation = #_sourceLocation,
                                             config: (URL, Int) throws -> TrainConfig)
        throws -> (output: URL, history: [[(String, Float)]]) {
        let whole = try Trainer(config: try config(tempDir(), steps))
        whole.verbose = false
        try whole.run()
        let out = tempDir()
        let first = try Trainer(config: try config(out, steps))
        first.verbose = false
        first.stopAfter = stopAfter
        try first.run()
        let resumed = try Trainer(config: try config(out, steps))
        resumed.verbose = false
        #expect(resumed.completedSteps == checkpointStep, sourceLocation: sourceLocation)
        try resumed.run()
        let combined = Array(first.history.prefix(checkpointStep)) + resumed.history
        #expect(combined.count == steps, sourceLocation: sourceLocation)
        for (a, b) in zip(whole.history, combined) {
            #expect(a.map(\.0) == b.map(\.0), sourceLocation: sourceLocation)
            #expect(a.map(\.1) == b.map(\.1), "resumed losses differ: \(a) vs \(b)", sourceLocation: sourceLocation)
        }
        return (out, whole.history)
    }

    @Test func killedAndResumedRunReproducesTheLosses() throws {
        let steps = 8
        // Killed at step 5: the last checkpoint is step 3, steps 4–5 are lost, metrics.jsonl holds 5 lines.
        let out = try Self.expectResumeReproducesLosses(steps: steps, stopAfter: 5, checkpointStep: 3) { out, steps in
            try Self.tinyConfig(output: out, steps: steps)
        }.output
        // metrics.jsonl has one line per step, steps 1…8 in order.
        let records = try MetricsLogger.read(out.appendingPathComponent("metrics.jsonl"))
        #expect(records.map(\.step) == Array(1...steps))
        // The checkpoint is a model in the official format.
        let model = try VTPModel.load(directory: out.appendingPathComponent("checkpoints/step-00000008"))
        #expect(model.config.visionPatchSize == 4)
    }
}

@Suite struct ShippedConfigTests {
    static var configsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs")
    }

    @Test func everyShippedConfigParsesAndValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configsDirectory.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 7)
        for f in files {
            let url = Self.configsDirectory.appendingPathComponent(f)
            var overrides: [String] = []
            var firstStage: VTPConfig? = nil
            if try String(contentsOf: url, encoding: .utf8).contains("init_from") {
                // A second stage (X-gan.yaml): give it a model shaped by its first stage (X.yaml).
                let stage1 = try TrainConfig.load(from: Self.configsDirectory.appendingPathComponent(f.replacingOccurrences(of: "-gan", with: "")))
                let dir = TrainerTests.tempDir()
                try VTPModel(config: stage1.architecture, seed: 0).save(directory: dir)
                overrides = ["model.init_from=\(dir.path)"]
                firstStage = stage1.architecture
            }
            let c = try TrainConfig.load(from: url, overrides: overrides)
            if let firstStage { #expect(c.architecture == firstStage, "\(f) does not fit its first stage") }
            let m = c.architecture
            #expect(m.upscaleFactor == m.visionPatchSize || !c.objectives.reconstruction.enabled, "\(f)")
            if f.contains("-ae") { #expect(c.objectives.enabledNames == ["reconstruction"], "\(f)") }
        }
    }
}
