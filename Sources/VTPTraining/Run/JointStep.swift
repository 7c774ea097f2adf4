import Foundation
import VTPData
import VTPDistributed
import VTPModels
import VTPNN
import VTPTensor

/// The loss terms of one step, in a fixed order (for metrics and the NaN guard).
public struct StepLosses {
    public var total: Tensor
    public var terms: [(String, Float)]
}

/// VTP pre-training, one step: composes the enabled objectives into
/// L = λ_clip·L_clip + λ_dino·(L_dino + w_koleo·L_koleo) + λ_ibot·L_ibot + λ_rec·L_rec,
/// back-propagates, clips and applies AdamW, then moves the EMA teacher.
///
/// The plain view of each image feeds both CLIP (CLS → visual_proj, no bottleneck) and reconstruction
/// (bottleneck → pixel decoder) through one student forward (sample-drop rate of CLIP when it is on, else of
/// reconstruction). SSL: the EMA teacher sees the two global crops unmasked; the student sees them with iBOT
/// masks, and the local crops; DINO pairs every student crop with the other global crop of the teacher.
///
/// Data-parallel (`parallel` over N ranks): every rank loads its shard of each global batch; the iBOT masks are
/// drawn for the global batch and sliced; CLIP/SigLIP and KoLeo see the global batch; the DINO/iBOT centres and
/// Sinkhorn-Knopp use global sums (`DataParallel`). With no sample drop (`drop_path: 0`) the steps equal one
/// process's with the same global batch; with sample drop each rank drops within its own shard (as dinov2 per GPU).
public final class JointStep: TrainStep {
    let config: TrainConfig
    public let models: TrainModels
    let tokenizer: CLIPTokenizer?
    let reconstruction: ReconstructionLoss?
    /// Teacher centring states (EMA centring); unused with Sinkhorn-Knopp.
    public var dinoCenter: TeacherCentering
    public var ibotCenter: TeacherCentering
    public let optimizer: StepOptimizer
    let schedules: TrainingSchedules
    /// The images of SSL and reconstruction (and of CLIP, unless it has its own stream).
    let loader: DataLoader<TrainSample>
    /// CLIP's own image-text stream when `objectives.clip.batch_size` differs from `schedule.batch_size`.
    let clipLoader: DataLoader<TrainSample>?
    /// Drop-path and mask randomness (data order and augmentation have their own seeded streams).
    var rng: RNG
    let precision: MatmulPrecision
    /// The ranks sharing each global batch (one process by default).
    public let parallel: DataParallel

    public init(config: TrainConfig, models: TrainModels, data: TrainingData, parallel: DataParallel = .single) throws {
        self.config = config
        self.models = models
        self.parallel = parallel
        let o = config.objectives
        if parallel.isDistributed {
            var unmet: [String] = []
            for (name, size) in [("schedule.batch_size", config.schedule.batchSize), ("objectives.clip.batch_size", o.clip.batchSize)]
            where size % parallel.size != 0 {
                unmet.append("\(name) \(size) does not divide over \(parallel.size) ranks (each rank takes an equal shard of the global batch)")
            }
            if !unmet.isEmpty { throw TrainConfigError.invalid(unmet) }
        }
        tokenizer = o.clip.enabled ? try CLIPTokenizer() : nil
        reconstruction = o.reconstruction.enabled ? try ReconstructionLoss(objective: o.reconstruction) : nil
        dinoCenter = TeacherCentering(prototypes: o.dino.outDim, momentum: Float(o.dino.centerMomentum))
        ibotCenter = TeacherCentering(prototypes: o.dino.outDim, momentum: Float(o.dino.centerMomentum))
        optimizer = StepOptimizer(named: models.trainable, section: config.optimizer)
        schedules = TrainingSchedules(config: config)
        let clipOnly = o.clip.enabled && !o.dino.enabled && !o.reconstruction.enabled
        let multiCrop = o.dino.enabled ? try MultiCropAugmentation(section: config.data) : nil
        let shard = parallel.isDistributed ? (index: parallel.rank, count: parallel.size) : nil
        loader = try data.stream(batchSize: clipOnly ? o.clip.batchSize : config.schedule.batchSize, seed: config.rngSeed,
                                 multiCrop: multiCrop, shard: shard)
        let ownCLIPStream = o.clip.enabled && !clipOnly && o.clip.batchSize != config.schedule.batchSize
        clipLoader = ownCLIPStream
            ? try data.stream(batchSize: o.clip.batchSize, seed: config.rngSeed &+ 0xC11B, multiCrop: nil, shard: shard) : nil
        rng = RNG(seed: config.rngSeed)
        precision = config.precision == .bf16 ? .bf16 : .f32
    }

    public func run(step i: Int) throws -> StepRecord {
        let sched = schedules.values(at: i)
        // This rank's shard of the global batches (the loaders read every sample, transform only the shard's).
        let batch = try loader.next().samples.map(\.value)
        let clipBatch = try clipLoader?.next().samples.map(\.value)
        models.student.zeroGrad()
        models.studentHead?.zeroGrad()
        let terms = try MatmulMode.with(precision) { () -> [(String, Float)] in
            let l = try self(batch, clipBatch: clipBatch, teacherTemperature: Float(sched.teacherTemp), rng: &rng)
            let terms = try parallel.averageTerms(l.terms)
            try NaNGuard.check(step: i + 1, terms: terms.map { ($0.0, Double($0.1)) }, gradNorm: nil)
            l.total.backward()
            return terms
        }
        _ = models.studentHead?.dropLastLayerGradients(iteration: i, freezeIterations: schedules.lastLayerFreeze)
        try parallel.allReduceGradients(optimizer.adamw.allParameters)
        let gradNorm = try optimizer.update(step: i, lr: sched.lr, weightDecay: sched.weightDecay)
        if let scale = models.student.logitScale { CLIPLoss.clampLogitScale(scale) }
        models.updateTeacher(momentum: Float(sched.teacherMomentum))
        return StepRecord(terms: terms, lr: sched.lr, weightDecay: sched.weightDecay, gradNorm: gradNorm,
                          samples: (batch.count + (clipBatch?.count ?? 0)) * parallel.size)
    }

    public func save(into s: inout TrainingState) {
        models.save(into: &s)
        optimizer.save(into: &s)
        if config.objectives.dino.enabled {
            s.tensors["dino_center"] = dinoCenter.center
            s.tensors["ibot_center"] = ibotCenter.center
        }
        s.set("rng", rng: rng)
        s.set("data", cursor: loader.cursor)
        if let clipLoader { s.set("clip_data", cursor: clipLoader.cursor) }
    }

    public func restore(from s: TrainingState) throws {
        try models.restore(from: s)
        try optimizer.restore(from: s)
        if config.objectives.dino.enabled {
            dinoCenter.center = try s.tensor("dino_center")
            ibotCenter.center = try s.tensor("ibot_center")
        }
        rng = try s.rng("rng")
        try loader.restore(try s.cursor("data"))
        if let clipLoader { try clipLoader.restore(try s.cursor("clip_data")) }
    }

    public var checkpointModel: any CheckpointModel { models.student }

    public var dataReport: String? {
        loader.issues.isEmpty ? nil : loader.issueReport()
    }

    /// The loss of one batch (this rank's shard); records the graph for `backward()`.
    ///
    /// Data-parallel, `total` is what this rank back-propagates (per-sample means × 1/N, global losses whole) and
    /// `terms` are this rank's values (local means, global losses), whose average over ranks is the global batch's.
    ///
    /// `batch` feeds self-supervision and reconstruction (and CLIP when `clipBatch` is nil); `clipBatch` is CLIP's
    /// own image-text batch when `objectives.clip.batch_size` differs from `schedule.batch_size`. CLIP and
    /// reconstruction share one student forward when they see the same images with the same sample-drop rate.
    func callAsFunction(_ batch: [TrainSample], clipBatch: [TrainSample]? = nil, teacherTemperature: Float,
                               rng: inout RNG) throws -> StepLosses {
        let o = config.objectives
        var terms: [(String, Float)] = []
        var total: Tensor? = nil, weighted = 0.0
        /// `global`: the loss already covers the global batch (CLIP, KoLeo); else it is a mean over this rank's rows.
        func add(_ name: String, _ loss: Tensor, weight: Double, global: Bool = false) {
            let value = loss.item
            terms.append((name, value))
            weighted += weight * Double(value)
            let w = (global ? loss : parallel.local(loss)) * Float(weight)
            total = total.map { $0 + w } ?? w
        }
        let clipOn = o.clip.enabled && tokenizer != nil && models.student.visualProj != nil
        let recOn = o.reconstruction.enabled && reconstruction != nil && models.student.pixelDecoder != nil
        let shared = clipOn && recOn && clipBatch == nil && o.clip.dropPath == o.reconstruction.dropPath
        var recView: PlainView? = nil
        if clipOn {
            let view = plainForward(clipBatch ?? batch, dropRatio: o.clip.dropPath, rng: &rng)
            add("clip", try clipLoss(view, captions: (clipBatch ?? batch).map(\.caption)), weight: o.clip.weight, global: true)
            if shared { recView = view }
        }
        if recOn, let reconstruction {
            let view = recView ?? plainForward(batch, dropRatio: o.reconstruction.dropPath, rng: &rng)
            let r = reconstruction(decoded: try decode(view), target: view.images)
            add("rec", r.total, weight: o.reconstruction.weight)
            terms.append(("rec_pixel", r.pixel.item))
            if let p = r.perceptual { terms.append(("rec_lpips", p.item)) }
        }
        if o.dino.enabled, let teacher = models.teacher, let tHead = models.teacherHead, let sHead = models.studentHead {
            try selfSupervised(batch, teacher: teacher, teacherHead: tHead, studentHead: sHead,
                               temperature: teacherTemperature, rng: &rng, add: add)
        }
        guard let total else { throw TrainConfigError.invalid(["no objective is enabled"]) }
        return StepLosses(total: total, terms: [("loss", parallel.isDistributed ? Float(weighted) : total.item)] + terms)
    }

    /// The student's view of plain (un-cropped) images: final-normed CLS [B, D] and patch tokens [B, N, D].
    struct PlainView {
        var images: Tensor
        var cls: Tensor, patches: Tensor
        var h: Int, w: Int
    }

    func plainForward(_ samples: [TrainSample], dropRatio: Double, rng: inout RNG) -> PlainView {
        let m = models.student, s = config.data.imageSize
        let images = Tensor(samples.flatMap(\.plain), shape: [samples.count, 3, s, s])
        let f = m.trunk.features(images, precision: m.ropePrecision, dropRatio: Float(dropRatio), rng: &rng)
        return PlainView(images: images, cls: f.cls, patches: f.patches, h: f.height, w: f.width)
    }

    /// CLIP (or SigLIP) between the view's image features (`VTPModel.clipImageFeatures(cls:patches:)`) and the
    /// captions' text features, over the global batch (every rank's features gathered; gradients reach this rank's).
    func clipLoss(_ view: PlainView, captions: [String]) throws -> Tensor {
        let m = models.student
        guard let tokenizer, let scale = m.logitScale else {
            throw TrainConfigError.invalid(["objectives.clip needs the CLIP towers"])
        }
        let feats = try parallel.gatherRows(try m.clipImageFeatures(cls: view.cls, patches: view.patches))
        let ids = tokenizer.tokenize(captions, contextLength: m.config.textContextLength).flatMap { $0.map(Int.init) }
        let text = try parallel.gatherRows(try m.clipTextFeatures(tokens: ids, rows: captions.count))
        let logitScale = parallel.sharedParameter(scale.value)
        return config.objectives.clip.loss == .siglip
            ? SigLIPLoss.loss(imageFeatures: feats, textFeatures: text, logitScale: logitScale,
                              logitBias: m.logitBias.map { parallel.sharedParameter($0.value) } ?? Tensor(scalar: 0))
            : CLIPLoss.loss(imageFeatures: feats, textFeatures: text, logitScale: logitScale)
    }

    /// The pixel decoder's images [B, 3, H, W] from the view's patch tokens (through the bottleneck).
    func decode(_ view: PlainView) throws -> Tensor {
        let m = models.student
        return try m.decode(m.latents(patchTokens: view.patches, height: view.h, width: view.w))
    }

    private func selfSupervised(_ batch: [TrainSample], teacher: VisionTransformer, teacherHead: DINOHead, studentHead: DINOHead,
                                temperature: Float, rng: inout RNG, add: (String, Tensor, Double, Bool) -> Void) throws {
        let o = config.objectives.dino
        let samples = batch.compactMap(\.crops)
        guard samples.count == batch.count else { throw TrainConfigError.invalid(["SSL is on but the batch has no crops"]) }
        let g = config.data.globalSize, p = config.architecture.visionPatchSize
        let masking: MaskingSettings? = o.ibot.enabled
            ? MaskingSettings(generator: MaskingGenerator(height: g / p, width: g / p, maxNumPatches: 0.5 * Double((g / p) * (g / p))),
                              ratio: o.ibot.maskRatioMin...o.ibot.maskRatioMax, probability: o.ibot.maskProbability)
            : nil
        let (crops, masks) = collate(samples, masking: masking, rng: &rng)
        let b = batch.count
        let precision = models.student.ropePrecision
        // Teacher: both global crops, no mask, no drop.
        let (tCls, tPatches): (Tensor, Tensor) = withNoGrad {
            let out = teacher(crops.globalCrops, useBottleneck: false, precision: precision)
            return (out.clsToken, out.patchTokens)
        }
        let tLogits = withNoGrad { teacherHead(tCls) }
        let dinoTargets = o.centering == .sinkhorn
            ? try parallel.sinkhornTargets(tLogits, temperature: temperature)
            : dinoCenter.targets(tLogits, temperature: temperature)
        // Student: global crops with masks (sample drop), then local crops.
        let flatMasks = masks.map { $0.local.flatMap { $0 } }
        let trunk = models.student.trunk
        let student = trunk.features(crops.globalCrops, masks: flatMasks, precision: precision, dropRatio: Float(o.dropPath), rng: &rng)
        let (sCls, sPatches, h, w) = (student.cls, student.patches, student.height, student.width)
        let sLogits = studentHead(sCls)
        var local: [Tensor] = []
        if let lc = crops.localCrops {
            let ll = studentHead(trunk.features(lc, precision: precision, dropRatio: Float(o.dropPath), rng: &rng).cls)
            local = ll.split(Array(repeating: b, count: lc.shape[0] / b), axis: 0)
        }
        let studentGlobal = sLogits.split([b, b], axis: 0), teacherGlobal = dinoTargets.split([b, b], axis: 0)
        let dino = DINOLoss.loss(studentGlobal: studentGlobal, studentLocal: local, teacher: teacherGlobal,
                                 studentTemperature: Float(o.studentTemp))
        add("dino", dino, o.weight, false)
        if o.koleoWeight > 0 {
            // KoLeo's nearest neighbours are searched in the global batch of each crop (dinov2: per GPU).
            let koleo = try sCls.split([b, b], axis: 0).map { KoLeoLoss.loss(try parallel.gatherRows($0)) }.reduce(Tensor(scalar: 0), +)
            add("koleo", koleo, o.weight * o.koleoWeight, true)
        }
        if o.ibot.enabled, let flatMasks, let masks, masks.anyMasked {
            // A rank whose shard has no masked patch adds 0 but still takes part in the global centre / Sinkhorn sums.
            let here = flatMasks.contains(true)
            let tMaskedLogits = here ? withNoGrad { teacherHead(IBOTPatchLoss.maskedRows(tPatches, masks: flatMasks)) } : nil
            let targets = o.centering == .sinkhorn
                ? try parallel.sinkhornTargets(tMaskedLogits, prototypes: o.outDim, temperature: temperature)
                : tMaskedLogits.map { ibotCenter.targets($0, temperature: temperature) }
            let ibot = targets.map { ibotLoss(studentHead, sPatches, targets: $0, masks: flatMasks, patches: h * w) } ?? Tensor(scalar: 0)
            add("ibot", ibot, o.ibot.weight, false)
            if o.centering == .ema { ibotCenter = try parallel.updated(ibotCenter, with: tMaskedLogits) }
        }
        if o.centering == .ema { dinoCenter = try parallel.updated(dinoCenter, with: tLogits) }
    }

    /// The iBOT loss of the student's masked patch tokens against the teacher's targets.
    private func ibotLoss(_ head: DINOHead, _ patches: Tensor, targets: Tensor, masks: [Bool], patches n: Int) -> Tensor {
        IBOTPatchLoss.loss(student: head(IBOTPatchLoss.maskedRows(patches, masks: masks)), teacher: targets, masks: masks,
                           patchesPerImage: n, studentTemperature: Float(config.objectives.dino.studentTemp))
    }

    /// The iBOT masks of this rank's images (per global-crop image, crop-major as `MultiCropCollate`) and whether
    /// any image of the global batch is masked.
    struct ShardMasks {
        var local: [[Bool]]
        var anyMasked: Bool
    }

    /// Collates this rank's multi-crop samples. Data-parallel, the masks are drawn for the global batch (the same
    /// draws as one process) and this rank's rows are kept.
    private func collate(_ samples: [MultiCropSample], masking: MaskingSettings?, rng: inout RNG) -> (MultiCropBatch, ShardMasks?) {
        guard parallel.isDistributed, let masking else {
            let crops = MultiCropCollate.collate(samples, masking: masking, rng: &rng)
            return (crops, crops.masks.map { ShardMasks(local: $0.masks, anyMasked: $0.masks.contains { $0.contains(true) }) })
        }
        let crops = MultiCropCollate.collate(samples, masking: nil, rng: &rng)
        let b = samples.count, globalB = b * parallel.size, nG = samples[0].globalCrops.count
        let all = IBOTMasking.sample(imageCount: nG * globalB, generator: masking.generator, ratio: masking.ratio,
                                     probability: masking.probability, rng: &rng).masks
        let mine = parallel.shardRange(of: globalB)
        let local = (0..<nG).flatMap { k in all[(k * globalB + mine.lowerBound)..<(k * globalB + mine.upperBound)] }
        return (crops, ShardMasks(local: local, anyMasked: all.contains { $0.contains(true) }))
    }
}

extension ReconstructionLoss {
    /// The loss `objectives.reconstruction` describes; the LPIPS network is loaded (frozen) when its weight is > 0.
    init(objective o: ReconstructionObjective) throws {
        var lpips: LPIPS? = nil
        if o.lpipsWeight > 0 {
            guard !o.lpipsWeightsPath.isEmpty else {
                throw TrainConfigError.invalid(["objectives.reconstruction.lpips_weight > 0 needs lpips_weights_path (see scripts/convert_lpips_weights.py)"])
            }
            do {
                lpips = try LPIPS.load(url: URL(fileURLWithPath: o.lpipsWeightsPath))
            } catch {
                throw TrainConfigError.invalid(["objectives.reconstruction.lpips_weights_path: \(error) (make the file with scripts/convert_lpips_weights.py, or set lpips_weight: 0)"])
            }
            lpips?.setTrainable(false)
        }
        self.init(pixelLoss: o.loss == .mse ? .mse : .l1, perceptualWeight: Float(o.lpipsWeight), lpips: lpips)
    }
}
