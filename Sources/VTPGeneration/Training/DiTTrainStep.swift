import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor
import VTPTraining

/// One step of the official LightningDiT recipe on extracted latents (`train.py` with the Linear transport):
///
/// ```
/// x₁  = normalize(latent or its flip, p = 0.5)           per sample, from the latent set
/// y   = label, or the null class with class_dropout_prob  (classifier-free guidance training)
/// t   ~ sigmoid(N(μ, σ)) (or U(0, 1)),  x₀ ~ N(0, I)
/// L   = mean(MSE(v̂, x₁ − x₀)) + w·mean(1 − cos(v̂, x₁ − x₀))   v̂ = DiT(t·x₁ + (1 − t)·x₀, t, y)
/// ```
/// then AdamW (constant learning rate) and the EMA of the weights (decay from step 0, as the official code).
/// The data order is a seeded permutation per epoch; its cursor, the random state, the optimizer moments and the
/// EMA weights are in the checkpoint, so a resumed run continues with the same per-step losses.
///
/// Data-parallel (`parallel` over N ranks), every rank draws the flips, label drops, times and noise of the whole
/// global batch (as one process does) and trains on its rows; the mean losses are scaled by 1/N and the gradients
/// summed over ranks (`DataParallel`), so the steps are one process's with the same global batch.
public final class DiTTrainStep: TrainStep {
    public let model: LightningDiT
    /// The EMA weights (what sampling uses).
    public let ema: LightningDiT
    public let optimizer: StepOptimizer
    public let data: LatentSet
    let config: DiTTrainConfig
    let times: TimeDistribution
    var rng: RNG
    var cursor = DataCursor()
    var order: [Int] = []
    /// The ranks sharing each global batch (one process by default).
    public let parallel: DataParallel

    public init(config: DiTTrainConfig, data: LatentSet, model: LightningDiT? = nil, parallel: DataParallel = .single) throws {
        guard config.schedule.batchSize % parallel.size == 0 else {
            throw GenerationError.invalidSettings("schedule.batch_size \(config.schedule.batchSize) does not divide over \(parallel.size) ranks (each rank takes an equal shard of the global batch)")
        }
        self.config = config
        self.data = data
        self.parallel = parallel
        let arch = try config.model.resolve(latents: data.info)
        let m = try model ?? LightningDiT(config: arch, seed: config.rngSeed)
        guard m.config == arch else {
            throw GenerationError.invalidSettings("the checkpoint's LightningDiT differs from the configured one")
        }
        self.model = m
        ema = try LightningDiT(config: arch, seed: config.rngSeed)
        EMA.copy(from: m, to: ema)
        ema.setTrainable(false)
        let o = config.optimizer
        optimizer = StepOptimizer(named: m.namedParameters().filter { $0.1.requiresGrad }, lr: o.lr, weightDecay: o.weightDecay,
                                  betas: o.betas, eps: o.eps, gradClip: o.gradClip)
        times = config.objective.timeDistribution
        rng = RNG(seed: config.rngSeed &+ 0xD17)
        order = Self.order(epoch: 0, count: data.count, seed: config.rngSeed)
    }

    static func order(epoch: Int, count: Int, seed: UInt64) -> [Int] {
        var r = RNG(seed: seed &+ 0x0DE5 &+ UInt64(epoch) &* 0x9E37_79B9)
        return r.permutation(count)
    }

    /// The next `b` sample indices (an epoch ends when fewer than `b` remain: the rest is dropped, as drop_last).
    func nextIndices(_ b: Int) -> [Int] {
        if cursor.position + b > order.count {
            cursor = DataCursor(epoch: cursor.epoch + 1, position: 0)
            order = Self.order(epoch: cursor.epoch, count: data.count, seed: config.rngSeed)
        }
        defer { cursor.position += b }
        return Array(order[cursor.position..<(cursor.position + b)])
    }

    public func run(step i: Int) throws -> StepRecord {
        let b = config.schedule.batchSize
        let idx = nextIndices(b)
        let (c, h, w) = (data.info.channels, data.info.height, data.info.width), plane = c * h * w
        var values = [Float](repeating: 0, count: b * plane)
        var labels: [Int] = []
        let nullClass = model.config.nullClass
        for (k, j) in idx.enumerated() {
            let source = config.data.randomFlip && rng.bernoulli(0.5) ? data.flipped : data.latents
            for e in 0..<plane { values[k * plane + e] = source.data[j * plane + e] }
            let drop = nullClass != nil && rng.bernoulli(Float(model.config.classDropoutProb))
            labels.append(drop ? nullClass! : data.labels[j])
        }
        let x1 = parallel.shardRows(try data.statistics.normalize(Tensor(values, shape: [b, c, h, w])))
        let t = parallel.shard(times.sample(b, rng: &rng))
        let x0 = parallel.shardRows(Tensor.randomNormal([b, c, h, w], rng: &rng))
        model.zeroGrad()
        let precision: MatmulPrecision = config.precision == .bf16 ? .bf16 : .f32
        let terms = try MatmulMode.with(precision) { () -> [(String, Float)] in
            let f = try model.flowMatchingTerms(data: x1, noise: x0, t: t, y: parallel.shard(labels))
            let total = f.total(cosineWeight: Float(config.objective.cosineWeight))
            let out = try parallel.averageTerms([("loss", total.item), ("mse", f.loss.mean().item), ("cos", f.cosLoss.mean().item)])
            try NaNGuard.check(step: i + 1, terms: out.map { ($0.0, Double($0.1)) }, gradNorm: nil)
            parallel.local(total).backward()
            return out
        }
        try parallel.allReduceGradients(optimizer.adamw.allParameters)
        let gradNorm = try optimizer.update(step: i, lr: config.optimizer.lr, weightDecay: config.optimizer.weightDecay)
        EMA.update(target: ema, source: model, momentum: Float(config.ema.decay))
        return StepRecord(terms: terms, lr: config.optimizer.lr, weightDecay: config.optimizer.weightDecay, gradNorm: gradNorm, samples: b)
    }

    public func save(into s: inout TrainingState) {
        optimizer.save(into: &s)
        s.add(module: ema, prefix: "ema")
        s.set("rng", rng: rng)
        s.set("data", cursor: cursor)
    }

    public func restore(from s: TrainingState) throws {
        try optimizer.restore(from: s)
        try s.restore(module: ema, prefix: "ema")
        rng = try s.rng("rng")
        cursor = try s.cursor("data")
        order = Self.order(epoch: cursor.epoch, count: data.count, seed: config.rngSeed)
    }

    /// The checkpoint holds the trained weights (`config.json` + `model.safetensors`, official format) and the EMA
    /// weights in `ema/` (the same format; what `vtp dit sample` uses by default).
    public var checkpointModel: any CheckpointModel { DiTCheckpoint(model: model, ema: ema, latents: data) }

    public var dataReport: String? { nil }
}

/// A DiT checkpoint's model files: the weights, the EMA weights in `ema/`, and the latents' statistics and
/// description (`latents_stats.safetensors`, `latents.json`: class names, tokenizer), so that sampling needs
/// nothing else.
final class DiTCheckpoint: Module, CheckpointModel {
    let model: LightningDiT, ema: LightningDiT
    let latents: LatentSet
    init(model: LightningDiT, ema: LightningDiT, latents: LatentSet) {
        self.model = model
        self.ema = ema
        self.latents = latents
    }

    var items: [ModuleItem] { [.child("", model)] }

    func save(directory: URL) throws {
        try model.save(directory: directory)
        try ema.save(directory: directory.appendingPathComponent("ema"))
        try latents.statistics.save(to: directory.appendingPathComponent(LatentStatistics.fileName))
        try latents.info.save(to: directory)
    }
}
