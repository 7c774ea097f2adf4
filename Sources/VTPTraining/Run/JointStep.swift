import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// The loss terms of one step, in a fixed order (for metrics and the NaN guard).
public struct StepLosses {
    public var total: Tensor
    public var terms: [(String, Float)]
}

/// One training step's forward pass: composes the enabled objectives into
/// L = λ_clip·L_clip + λ_dino·(L_dino + w_koleo·L_koleo) + λ_ibot·L_ibot + λ_rec·L_rec.
///
/// The plain view of each image feeds both CLIP (CLS → visual_proj, no bottleneck) and reconstruction
/// (bottleneck → pixel decoder) through one student forward (sample-drop rate of CLIP when it is on, else of
/// reconstruction). SSL: the EMA teacher sees the two global crops unmasked; the student sees them with iBOT
/// masks, and the local crops; DINO pairs every student crop with the other global crop of the teacher.
public final class JointStep {
    let config: TrainConfig
    let models: TrainModels
    let tokenizer: CLIPTokenizer?
    let reconstruction: ReconstructionLoss?
    /// Teacher centring states (EMA centring); unused with Sinkhorn-Knopp.
    public var dinoCenter: TeacherCentering
    public var ibotCenter: TeacherCentering

    public init(config: TrainConfig, models: TrainModels) throws {
        self.config = config
        self.models = models
        let o = config.objectives
        tokenizer = o.clip.enabled ? try CLIPTokenizer() : nil
        reconstruction = o.reconstruction.enabled ? try ReconstructionLoss(objective: o.reconstruction) : nil
        dinoCenter = TeacherCentering(prototypes: o.dino.outDim, momentum: Float(o.dino.centerMomentum))
        ibotCenter = TeacherCentering(prototypes: o.dino.outDim, momentum: Float(o.dino.centerMomentum))
    }

    /// The loss of one batch; records the graph for `backward()`.
    public func callAsFunction(_ batch: [TrainSample], teacherTemperature: Float, rng: inout RNG) throws -> StepLosses {
        let o = config.objectives
        let m = models.student
        var terms: [(String, Float)] = []
        var total: Tensor? = nil
        func add(_ name: String, _ loss: Tensor, weight: Double) {
            terms.append((name, loss.item))
            let w = loss * Float(weight)
            total = total.map { $0 + w } ?? w
        }
        let b = batch.count
        let s = config.data.imageSize
        if o.clip.enabled || o.reconstruction.enabled {
            let images = Tensor(batch.flatMap(\.plain), shape: [b, 3, s, s])
            let trunk = m.trunk
            let (tokens, h, w) = trunk.prepareTokens(images)
            let drop = Float(o.clip.enabled ? o.clip.dropPath : o.reconstruction.dropPath)
            let x = trunk.runBlocks(tokens, h: h, w: w, precision: m.ropePrecision, dropRatio: drop, rng: &rng)
            let (cls, patches) = trunk.finalNorm(x)
            if o.clip.enabled, let tokenizer, let proj = m.visualProj, let scale = m.logitScale {
                let pooled = m.config.visionClipFeat == "pooled" ? patches.mean(axis: 1) : cls
                let viaBottleneck = !m.config.visionBottleneckAeOnly
                let feats = proj(viaBottleneck ? (trunk.featureBottleneck.map { $0(pooled) } ?? pooled) : pooled).l2Normalized()
                let ids = tokenizer.tokenize(batch.map(\.caption), contextLength: m.config.textContextLength).flatMap { $0.map(Int.init) }
                let text = try m.clipTextFeatures(tokens: ids, rows: b)
                let loss = o.clip.loss == .siglip
                    ? SigLIPLoss.loss(imageFeatures: feats, textFeatures: text, logitScale: scale.value,
                                      logitBias: m.logitBias?.value ?? Tensor(scalar: 0))
                    : CLIPLoss.loss(imageFeatures: feats, textFeatures: text, logitScale: scale.value)
                add("clip", loss, weight: o.clip.weight)
            }
            if o.reconstruction.enabled, let reconstruction, let decoder = m.pixelDecoder {
                let lat = trunk.featureBottleneck.map { $0(patches) } ?? patches
                let latents = lat.permuted([0, 2, 1]).reshaped([b, m.config.latentChannels, h, w])
                let decoded = decoder(latents, precision: m.ropePrecision)
                let r = reconstruction(decoded: decoded, target: images)
                add("rec", r.total, weight: o.reconstruction.weight)
                terms.append(("rec_pixel", r.pixel.item))
                if let p = r.perceptual { terms.append(("rec_lpips", p.item)) }
            }
        }
        if o.dino.enabled, let teacher = models.teacher, let tHead = models.teacherHead, let sHead = models.studentHead {
            try selfSupervised(batch, teacher: teacher, teacherHead: tHead, studentHead: sHead,
                               temperature: teacherTemperature, rng: &rng, add: add)
        }
        guard let total else { throw TrainConfigError.invalid(["no objective is enabled"]) }
        return StepLosses(total: total, terms: [("loss", total.item)] + terms)
    }

    private func selfSupervised(_ batch: [TrainSample], teacher: VisionTransformer, teacherHead: DINOHead, studentHead: DINOHead,
                                temperature: Float, rng: inout RNG, add: (String, Tensor, Double) -> Void) throws {
        let o = config.objectives.dino
        let samples = batch.compactMap(\.crops)
        guard samples.count == batch.count else { throw TrainConfigError.invalid(["SSL is on but the batch has no crops"]) }
        let g = config.data.globalSize, p = config.vtpConfig.visionPatchSize
        let masking: MaskingSettings? = o.ibot.enabled
            ? MaskingSettings(generator: MaskingGenerator(height: g / p, width: g / p, maxNumPatches: 0.5 * Double((g / p) * (g / p))),
                              ratio: o.ibot.maskRatioMin...o.ibot.maskRatioMax, probability: o.ibot.maskProbability)
            : nil
        let crops = MultiCropCollate.collate(samples, masking: masking, rng: &rng)
        let b = batch.count
        let precision = models.student.ropePrecision
        // Teacher: both global crops, no mask, no drop.
        let (tCls, tPatches): (Tensor, Tensor) = withNoGrad {
            let out = teacher(crops.globalCrops, useBottleneck: false, precision: precision)
            return (out.clsToken, out.patchTokens)
        }
        let tLogits = withNoGrad { teacherHead(tCls) }
        let dinoTargets = o.centering == .sinkhorn
            ? SinkhornKnopp.targets(tLogits, temperature: temperature)
            : dinoCenter.targets(tLogits, temperature: temperature)
        // Student: global crops with masks (sample drop), then local crops.
        let flatMasks = crops.masks.map { $0.masks.flatMap { $0 } }
        let trunk = models.student.trunk
        let (tokens, h, w) = trunk.prepareTokens(crops.globalCrops, masks: flatMasks)
        let x = trunk.runBlocks(tokens, h: h, w: w, precision: precision, dropRatio: Float(o.dropPath), rng: &rng)
        let (sCls, sPatches) = trunk.finalNorm(x)
        let sLogits = studentHead(sCls)
        var local: [Tensor] = []
        if let lc = crops.localCrops {
            let (lt, lh, lw) = trunk.prepareTokens(lc)
            let lx = trunk.runBlocks(lt, h: lh, w: lw, precision: precision, dropRatio: Float(o.dropPath), rng: &rng)
            let ll = studentHead(trunk.finalNorm(lx).cls)
            local = ll.split(Array(repeating: b, count: lc.shape[0] / b), axis: 0)
        }
        let studentGlobal = sLogits.split([b, b], axis: 0), teacherGlobal = dinoTargets.split([b, b], axis: 0)
        let dino = DINOLoss.loss(studentGlobal: studentGlobal, studentLocal: local, teacher: teacherGlobal,
                                 studentTemperature: Float(o.studentTemp))
        add("dino", dino, o.weight)
        if o.koleoWeight > 0 {
            let koleo = sCls.split([b, b], axis: 0).map { KoLeoLoss.loss($0) }.reduce(Tensor(scalar: 0), +)
            add("koleo", koleo, o.weight * o.koleoWeight)
        }
        if o.ibot.enabled, let flatMasks, flatMasks.contains(true) {
            let sMasked = studentHead(IBOTPatchLoss.maskedRows(sPatches, masks: flatMasks))
            let tMaskedLogits = withNoGrad { teacherHead(IBOTPatchLoss.maskedRows(tPatches, masks: flatMasks)) }
            let targets = o.centering == .sinkhorn
                ? SinkhornKnopp.targets(tMaskedLogits, temperature: temperature)
                : ibotCenter.targets(tMaskedLogits, temperature: temperature)
            let ibot = IBOTPatchLoss.loss(student: sMasked, teacher: targets, masks: flatMasks, patchesPerImage: h * w,
                                          studentTemperature: Float(o.studentTemp))
            add("ibot", ibot, o.ibot.weight)
            if o.centering == .ema { ibotCenter = ibotCenter.updated(with: tMaskedLogits) }
        }
        if o.centering == .ema { dinoCenter = dinoCenter.updated(with: tLogits) }
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
            lpips = try LPIPS.load(url: URL(fileURLWithPath: o.lpipsWeightsPath))
            lpips?.setTrainable(false)
        }
        self.init(pixelLoss: o.loss == .mse ? .mse : .l1, perceptualWeight: Float(o.lpipsWeight), lpips: lpips)
    }
}
