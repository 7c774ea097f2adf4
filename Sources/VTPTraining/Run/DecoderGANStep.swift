import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// One step of VTP's second stage: the pixel decoder is fine-tuned with the reconstruction loss plus an
/// adversarial term from a PatchGAN discriminator, while the encoder stays frozen. Both optimizers update inside
/// the step: the discriminator's right after its loss, the decoder's at the end.
///
/// ```
/// z   = encoder(x)                                   no gradient (trunk and bottleneck are frozen)
/// x̂   = decoder(z)
/// L   = λ_rec·L_rec(x̂, x) + f(step)·λ·L_G(D(u(x̂)))    λ = adaptive weight · gan.weight, or gan.weight
/// L_D = hinge or vanilla on D(u(x)) and D(u(x̂))      x̂ detached; from gan.start_step on, its own AdamW
/// ```
/// u maps ImageNet-normalised images to [−1, 1], the discriminator's input range in taming-transformers. The
/// discriminator step reuses this step's reconstructions (taming decodes again after the decoder update).
public final class DecoderGANStep: TrainStep {
    public let discriminator: PatchDiscriminator
    /// AdamW of the discriminator (β from `gan.betas`, no weight decay, constant `gan.lr`), checkpointed under
    /// `discriminator_optimizer`.
    public let discriminatorOptimizer: StepOptimizer
    /// The model being fine-tuned (everything but the pixel decoder is frozen).
    public let models: TrainModels
    /// AdamW of the decoder (the `optimizer:` section and its schedules).
    public let optimizer: StepOptimizer
    let model: VTPModel
    let decoder: PixelDecoder
    let decoderParameters: [Parameter]
    let reconstruction: ReconstructionLoss
    let weighting: AdversarialWeighting
    let objective: GANObjective
    let reconstructionWeight: Float
    let imageSize: Int
    let schedules: TrainingSchedules
    let loader: DataLoader<TrainSample>
    let precision: MatmulPrecision

    public init(config: TrainConfig, models: TrainModels, data: TrainingData) throws {
        let model = models.student
        guard let decoder = model.pixelDecoder else {
            throw TrainConfigError.invalid(["objectives.gan: the model has no pixel decoder (train_reconstruction is false)"])
        }
        let g = config.objectives.gan
        self.models = models
        self.model = model
        self.decoder = decoder
        decoderParameters = decoder.trainableParameters
        reconstruction = try ReconstructionLoss(objective: config.objectives.reconstruction)
        weighting = AdversarialWeighting(discriminatorWeight: Float(g.weight), startStep: g.startStep)
        objective = g
        reconstructionWeight = Float(config.objectives.reconstruction.weight)
        imageSize = config.data.imageSize
        var rng = RNG(seed: config.rngSeed &+ 0xD15C)
        discriminator = PatchDiscriminator(config: PatchDiscriminatorConfig(baseChannels: g.discChannels, layers: g.discLayers),
                                           rng: &rng)
        discriminatorOptimizer = StepOptimizer(named: discriminator.namedParameters(), lr: g.lr > 0 ? g.lr : config.optimizer.lr,
                                               weightDecay: 0, betas: g.betas, eps: config.optimizer.eps, gradClip: 0,
                                               prefix: "discriminator_optimizer")
        optimizer = StepOptimizer(named: models.trainable, section: config.optimizer)
        schedules = TrainingSchedules(config: config)
        loader = try data.stream(batchSize: config.schedule.batchSize, seed: config.rngSeed, multiCrop: nil)
        precision = config.precision == .bf16 ? .bf16 : .f32
    }

    public func run(step i: Int) throws -> StepRecord {
        let sched = schedules.values(at: i)
        let batch = try loader.next().samples.map(\.value)
        model.zeroGrad()
        let losses = try MatmulMode.with(precision) { try self(batch, step: i) }
        let gradNorm = try optimizer.update(step: i, lr: sched.lr, weightDecay: sched.weightDecay)
        return StepRecord(terms: losses.terms, lr: sched.lr, weightDecay: sched.weightDecay, gradNorm: gradNorm, samples: batch.count)
    }

    public func save(into s: inout TrainingState) {
        models.save(into: &s)
        optimizer.save(into: &s)
        s.add(module: discriminator, prefix: "discriminator")
        discriminatorOptimizer.save(into: &s)
        s.set("data", cursor: loader.cursor)
    }

    public func restore(from s: TrainingState) throws {
        try models.restore(from: s)
        try optimizer.restore(from: s)
        try s.restore(module: discriminator, prefix: "discriminator")
        try discriminatorOptimizer.restore(from: s)
        try loader.restore(try s.cursor("data"))
    }

    public var checkpointModel: any CheckpointModel { models.student }

    public var dataReport: String? { loader.issues.isEmpty ? nil : loader.issueReport() }

    /// The forward and backward of step `step` (counting from 0) on `batch`: leaves the decoder's gradient of L in
    /// its parameters' `.grad` (`run` clips and applies it) and, from `gan.start_step` on, updates the discriminator.
    /// Terms: `rec`, `rec_pixel`, `rec_lpips`, and when the GAN is on `gan_g` (L_G), `gan_weight` (λ), `gan_d`
    /// (L_D), `d_real`, `d_fake` (mean logits). Throws `NaNGuard`'s error before any update on a non-finite term.
    func callAsFunction(_ batch: [TrainSample], step: Int) throws -> StepLosses {
        let b = batch.count, s = imageSize
        let images = Tensor(batch.flatMap(\.plain), shape: [b, 3, s, s])
        let latents = try withNoGrad { try model.reconstructionLatents(images) }
        let decoded = decoder(latents, precision: model.ropePrecision)
        let r = reconstruction(decoded: decoded, target: images)
        let rec = r.total * reconstructionWeight
        var terms: [(String, Float)] = [("rec", r.total.item), ("rec_pixel", r.pixel.item)]
        if let p = r.perceptual { terms.append(("rec_lpips", p.item)) }
        func check() throws { try NaNGuard.check(step: step + 1, terms: terms.map { ($0.0, Double($0.1)) }, gradNorm: nil) }

        guard weighting.isActive(step: step) else {
            try check()
            rec.backward()
            return StepLosses(total: rec, terms: [("loss", rec.item)] + terms)
        }
        let fake = ReconstructionLoss.toSignedUnitRange(decoded)
        let generator: Tensor, lambda: Float
        do {
            // The generator pass differentiates through the discriminator but not into its weights.
            discriminator.setTrainable(false)
            defer { discriminator.setTrainable(true) }
            generator = HingeGANLoss.generatorLoss(fake: discriminator(fake))
            terms.append(("gan_g", generator.item))
            try check()
            if objective.adaptiveWeight {
                lambda = weighting.backward(reconstructionLoss: rec, generatorLoss: generator, lastLayer: decoder.projOut.weight,
                                            parameters: decoderParameters, step: step)
            } else {
                lambda = weighting.discriminatorWeight
                (rec + generator * lambda).backward()
            }
        }
        terms.append(("gan_weight", lambda))

        // The discriminator: real and (detached) decoded images in one batch.
        discriminator.zeroGrad()
        let both = Tensor.concat([ReconstructionLoss.toSignedUnitRange(images), fake.detached()], axis: 0)
        let logits = discriminator(both).split([b, b], axis: 0)
        let dLoss = objective.loss == .hinge
            ? HingeGANLoss.discriminatorLoss(real: logits[0], fake: logits[1])
            : VanillaGANLoss.discriminatorLoss(real: logits[0], fake: logits[1])
        terms += [("gan_d", dLoss.item), ("d_real", logits[0].mean().item), ("d_fake", logits[1].mean().item)]
        try check()
        dLoss.backward()
        try discriminatorOptimizer.update(step: step, lr: Double(discriminatorOptimizer.adamw.lr), weightDecay: 0)
        discriminator.zeroGrad()
        let total = rec.item + lambda * generator.item
        return StepLosses(total: Tensor(scalar: total), terms: [("loss", total)] + terms)
    }
}
