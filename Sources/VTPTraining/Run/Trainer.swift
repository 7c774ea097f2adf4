import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPNN
import VTPTensor

/// A pre-training run: data, models, optimizer, schedules, checkpoints, metrics and evaluation.
///
/// ```swift
/// let trainer = try Trainer(config: try TrainConfig.load(from: url))
/// try trainer.run()
/// ```
/// With `checkpoint.resume` (the default) a run continues from the newest complete checkpoint in its output
/// folder and reproduces the same per-step losses as an uninterrupted run.
public final class Trainer {
    public let config: TrainConfig
    public let models: TrainModels
    public let data: TrainingData
    /// The joint step (stage 1); nil in the decoder fine-tuning stage.
    let step: JointStep?
    /// The decoder fine-tuning step with its discriminator (stage 2, `objectives.gan`); nil otherwise.
    public let gan: DecoderGANStep?
    let optimizer: AdamW
    let optimizerNames: [String]
    let schedules: TrainingSchedules
    let loader: DataLoader<TrainSample>
    /// CLIP's own image-text stream when `objectives.clip.batch_size` differs from `schedule.batch_size`.
    let clipLoader: DataLoader<TrainSample>?
    let checkpoints: CheckpointManager
    var rng: RNG
    /// The last completed step.
    public private(set) var completedSteps = 0
    /// Per-step loss terms of this process (tests compare them across resumed runs).
    public private(set) var history: [[(String, Float)]] = []
    /// Evaluations run so far.
    public private(set) var evaluations: [EvaluationResult] = []
    /// Stops after this many steps even if `schedule.steps` is larger (simulates a crash in tests).
    public var stopAfter: Int?
    /// Prints progress and messages (stderr); tests silence it.
    public var verbose = true
    let evalTemplates: [String]

    public init(config: TrainConfig) throws {
        try config.validate()
        self.config = config
        data = try TrainingData(config: config)
        checkpoints = CheckpointManager(directory: config.outputURL, keepLast: config.checkpoint.keepLast)
        let latest = config.checkpoint.resume ? try checkpoints.loadLatest() : nil
        models = try TrainModels(config: config, model: try latest?.loadModel())
        if config.objectives.gan.enabled {
            (step, gan) = (nil, try DecoderGANStep(config: config, model: models.student))
        } else {
            (step, gan) = (try JointStep(config: config, models: models), nil)
        }
        let named = models.trainable
        optimizerNames = named.map(\.0)
        let op = config.optimizer
        // Weight decay on matrices only (DINOv2/OpenCLIP exclude biases, norms, scales, tokens and embeddings of rank ≤ 1).
        let decay = named.filter { $0.1.shape.count > 1 && !$0.0.hasSuffix("cls_token") && !$0.0.hasSuffix("mask_token") }
        let noDecay = named.filter { !($0.1.shape.count > 1 && !$0.0.hasSuffix("cls_token") && !$0.0.hasSuffix("mask_token")) }
        optimizer = AdamW(groups: [.init(decay.map(\.1), weightDecay: Float(op.weightDecay)), .init(noDecay.map(\.1), weightDecay: 0)],
                          lr: Float(op.lr), beta1: Float(op.betas[0]), beta2: Float(op.betas[1]), eps: Float(op.eps))
        schedules = TrainingSchedules(config: config)
        rng = RNG(seed: config.rngSeed)
        let multiCrop: MultiCropAugmentation?
        if config.objectives.dino.enabled {
            var mc = MultiCropAugmentation.Config()
            mc.globalSize = config.data.globalSize
            mc.localSize = config.data.localSize
            mc.localCropCount = config.data.localCropsNumber
            mc.globalScale = config.data.globalScale
            mc.localScale = config.data.localScale
            multiCrop = try MultiCropAugmentation(config: mc)
        } else {
            multiCrop = nil
        }
        let o = config.objectives, d = config.data
        let clipOnly = o.clip.enabled && !o.dino.enabled && !o.reconstruction.enabled && !o.gan.enabled
        let train = data.train
        func stream(batchSize: Int, seed: UInt64, multiCrop: MultiCropAugmentation?) throws -> DataLoader<TrainSample> {
            try DataLoader(dataset: train, batchSize: batchSize, seed: seed, shuffle: d.shuffle, workers: d.workers,
                           transform: TrainingData.transform(imageSize: d.imageSize, flip: d.randomFlip, multiCrop: multiCrop,
                                                             captionFallback: "a photo."))
        }
        loader = try stream(batchSize: clipOnly ? o.clip.batchSize : config.schedule.batchSize, seed: config.rngSeed,
                            multiCrop: multiCrop)
        let ownCLIPStream = o.clip.enabled && !clipOnly && o.clip.batchSize != config.schedule.batchSize
        clipLoader = ownCLIPStream ? try stream(batchSize: o.clip.batchSize, seed: config.rngSeed &+ 0xC11B, multiCrop: nil) : nil
        // Zero-shot prompts in the style of the training captions.
        switch config.data.kind {
        case .fmnist: evalTemplates = CaptionTemplates.grayscale
        case .classFolder: evalTemplates = CaptionTemplates.photo
        default: evalTemplates = [config.data.captionTemplate]
        }
        if let latest { try restore(latest) }
    }

    private func restore(_ checkpoint: LoadedCheckpoint) throws {
        let s = checkpoint.state
        try models.restore(from: s)
        try s.restore(optimizer: optimizer, prefix: "optimizer", names: optimizerNames)
        if let c = s.tensors["dino_center"] { step?.dinoCenter.center = c }
        if let c = s.tensors["ibot_center"] { step?.ibotCenter.center = c }
        if let gan {
            try s.restore(module: gan.discriminator, prefix: "discriminator")
            try s.restore(optimizer: gan.discriminatorOptimizer, prefix: "discriminator_optimizer", names: gan.discriminatorNames)
        }
        rng = try s.rng("rng")
        try loader.restore(try s.cursor("data"))
        if let clipLoader { try clipLoader.restore(try s.cursor("clip_data")) }
        completedSteps = checkpoint.step
        for w in checkpoint.warnings { note("warning: \(w)") }
        note("resumed from \(checkpoint.directory.path) at step \(checkpoint.step)")
    }

    private func checkpointState() -> TrainingState {
        var s = TrainingState(step: completedSteps)
        models.save(into: &s)
        s.add(optimizer: optimizer, prefix: "optimizer", names: optimizerNames)
        if let step, config.objectives.dino.enabled {
            s.tensors["dino_center"] = step.dinoCenter.center
            s.tensors["ibot_center"] = step.ibotCenter.center
        }
        if let gan {
            s.add(module: gan.discriminator, prefix: "discriminator")
            s.add(optimizer: gan.discriminatorOptimizer, prefix: "discriminator_optimizer", names: gan.discriminatorNames)
        }
        s.set("rng", rng: rng)
        s.set("data", cursor: loader.cursor)
        if let clipLoader { s.set("clip_data", cursor: clipLoader.cursor) }
        return s
    }

    func note(_ s: String) { if verbose { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) } }

    /// Trains until `schedule.steps` (or `stopAfter`), checkpointing, logging and evaluating on the way.
    @discardableResult
    public func run() throws -> [EvaluationResult] {
        let out = config.outputURL
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try config.save(to: out.appendingPathComponent("train_config.yaml"))
        let metricsURL = out.appendingPathComponent("metrics.jsonl")
        let metrics = try MetricsLogger(url: metricsURL, resumingAt: completedSteps)
        defer { metrics.close() }
        let total = config.schedule.steps
        let progress = ProgressLine(totalSteps: total, interactive: verbose ? nil : false, everySteps: config.schedule.logEvery,
                                    output: verbose ? { FileHandle.standardError.write($0.data(using: .utf8)!) } : { _ in })
        let evalSet = try data.evalBatch(limit: config.data.evalImages)
        let precision: MatmulPrecision = config.precision == .bf16 ? .bf16 : .f32
        let start = Date()
        let params = optimizer.allParameters
        while completedSteps < total {
            if let stopAfter, completedSteps >= stopAfter { break }
            let i = completedSteps
            let sched = schedules.values(at: i)
            optimizer.lr = Float(sched.lr)
            optimizer.groups[0].weightDecay = Float(sched.weightDecay)
            let t0 = Date()
            let batch = try loader.next().samples.map(\.value)
            let clipBatch = try clipLoader?.next().samples.map(\.value)
            if Profiler.isEnabled { Profiler.mark() }
            models.student.zeroGrad()
            models.studentHead?.zeroGrad()
            let losses = try MatmulMode.with(precision) { () -> StepLosses in
                // Stage 2 back-propagates (and updates the discriminator) itself.
                if let gan { return try gan(batch, step: i) }
                guard let step else { preconditionFailure("Trainer: no step to run") }
                let l = try step(batch, clipBatch: clipBatch, teacherTemperature: Float(sched.teacherTemp), rng: &rng)
                try NaNGuard.check(step: i + 1, terms: l.terms.map { ($0.0, Double($0.1)) }, gradNorm: nil)
                l.total.backward()
                return l
            }
            if let head = models.studentHead, sched.lastLayerLR == 0 {
                for (_, p) in head.lastLayer.namedParameters() { p.zeroGrad() }
            }
            let gradNorm = OptimizerKernels.sumOfSquares(params.compactMap(\.grad)).squareRoot()
            try NaNGuard.check(step: i + 1, terms: [], gradNorm: gradNorm)
            if config.optimizer.gradClip > 0 && gradNorm > config.optimizer.gradClip {
                let s = Float(config.optimizer.gradClip / (gradNorm + 1e-6))
                for p in params { if let g = p.grad { OptimizerKernels.scale(g, by: s) } }
            }
            optimizer.update()
            if let scale = models.student.logitScale { CLIPLoss.clampLogitScale(scale) }
            models.updateTeacher(momentum: Float(sched.teacherMomentum))
            completedSteps += 1
            history.append(losses.terms)
            let dt = Date().timeIntervalSince(t0)
            var terms: [String: Double] = [:]
            for (k, v) in losses.terms where k != "loss" { terms[k] = Double(v) }
            try metrics.log(MetricsRecord(step: completedSteps, loss: Double(losses.terms[0].1), terms: terms, lr: sched.lr,
                                          weightDecay: sched.weightDecay, gradNorm: gradNorm,
                                          imagesPerSecond: Double(batch.count + (clipBatch?.count ?? 0)) / max(dt, 1e-9),
                                          elapsed: Date().timeIntervalSince(start)))
            progress.update(step: completedSteps, loss: Double(losses.terms[0].1), images: batch.count + (clipBatch?.count ?? 0))
            let last = completedSteps == total
            if completedSteps % max(config.checkpoint.every, 1) == 0 || last {
                _ = try checkpoints.save(step: completedSteps, model: models.student, state: checkpointState(), config: config)
            }
            if (config.schedule.evalEvery > 0 && completedSteps % config.schedule.evalEvery == 0) || last {
                try evaluate(evalSet, out: out, metricsURL: metricsURL, progress: progress)
            }
        }
        progress.finish()
        if !loader.issues.isEmpty { note(loader.issueReport()) }
        return evaluations
    }

    private func evaluate(_ evalSet: (images: Tensor, labels: [Int?], captions: [String?]), out: URL, metricsURL: URL,
                          progress: ProgressLine) throws {
        let grid = out.appendingPathComponent("reconstructions-step\(completedSteps).png")
        let r = try Evaluation.run(model: models.student, images: evalSet.images, labels: evalSet.labels,
                                   classNames: data.classNames, templates: evalTemplates, step: completedSteps,
                                   gridURL: models.student.pixelDecoder == nil ? nil : grid)
        evaluations.append(r)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(evaluations).write(to: out.appendingPathComponent("eval.json"), options: .atomic)
        try? TrainingPlots.writeLossCurves(metricsURL: metricsURL, to: out.appendingPathComponent("loss.png"))
        var parts = ["eval step \(completedSteps):"]
        if let a = r.zeroShotAccuracy { parts.append(String(format: "zero-shot %.1f%%", 100 * a)) }
        if let a = r.knnAccuracy { parts.append(String(format: "k-NN %.1f%%", 100 * a)) }
        if let p = r.psnr { parts.append(String(format: "PSNR %.2f dB", p)) }
        progress.message(parts.joined(separator: " "))
    }
}
