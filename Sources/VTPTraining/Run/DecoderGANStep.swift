import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// One step of VTP's second stage: the pixel decoder is fine-tuned with the reconstruction loss plus an
/// adversarial term from a PatchGAN discriminator, while the encoder stays frozen.
///
/// ```
/// z   = encoder(x)                                   no gradient (trunk and bottleneck are frozen)
/// x̂   = decoder(z)
/// L   = λ_rec·L_rec(x̂, x) + f(step)·λ·L_G(D(u(x̂)))    λ = adaptive weight · gan.weight, or gan.weight
/// L_D = hinge or vanilla on D(u(x)) and D(u(x̂))      x̂ detached; from gan.start_step on, its own AdamW
/// ```
/// u maps ImageNet-normalised images to [−1, 1], the discriminator's input range in taming-transformers. The
/// discriminator step reuses this step's reconstructions (taming decodes again after the decoder update).
public final class DecoderGANStep {
    public let discriminator: PatchDiscriminator
    /// AdamW of the discriminator (β from `gan.betas`, no weight decay, constant `gan.lr`).
    public let discriminatorOptimizer: AdamW
    /// The discriminator's parameter names in optimizer order (the checkpoint keys of its moments).
    public let discriminatorNames: [String]
    let model: VTPModel
    let decoder: PixelDecoder
    let decoderParameters: [Parameter]
    let reconstruction: ReconstructionLoss
    let weighting: AdversarialWeighting
    let objective: GANObjective
    let reconstructionWeight: Float
    let imageSize: Int

    public init(config: TrainConfig, model: VTPModel) throws {
        guard let decoder = model.pixelDecoder else {
            throw TrainConfigError.invalid(["objectives.gan: the model has no pixel decoder (train_reconstruction is false)"])
        }
        let g = config.objectives.gan
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
        let named = discriminator.namedParameters()
        discriminatorNames = named.map(\.0)
        discriminatorOptimizer = AdamW(groups: [.init(named.map(\.1), weightDecay: 0)], lr: Float(g.lr > 0 ? g.lr : config.optimizer.lr),
                                       beta1: Float(g.betas[0]), beta2: Float(g.betas[1]), eps: Float(config.optimizer.eps))
    }

    /// Runs step `step` (counting from 0) on `batch`: leaves the decoder's gradient of L in its parameters'
    /// `.grad` (the caller clips and applies it) and, from `gan.start_step` on, updates the discriminator.
    /// Terms: `rec`, `rec_pixel`, `rec_lpips`, and when the GAN is on `gan_g` (L_G), `gan_weight` (λ), `gan_d`
    /// (L_D), `d_real`, `d_fake` (mean logits). Throws `NaNGuard`'s error before any update on a non-finite term.
    public func callAsFunction(_ batch: [TrainSample], step: Int) throws -> StepLosses {
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
        discriminatorOptimizer.update()
        discriminator.zeroGrad()
        let total = rec.item + lambda * generator.item
        return StepLosses(total: Tensor(scalar: total), terms: [("loss", total)] + terms)
    }
}
