import Foundation

/// Discriminator loss of the GAN objective.
public enum GANLossKind: String, ConfigChoice, Sendable {
    case hinge, vanilla
}

/// `objectives.gan:` — adversarial loss on reconstructions (taming-transformers' PatchGAN).
public struct GANObjective: Codable, Equatable, Sendable {
    /// Default false.
    public var enabled = false
    /// Weight of the generator's adversarial loss. Default 0.1.
    public var weight = 0.1
    /// First step at which the discriminator trains and its loss counts. Default 5000.
    public var startStep = 5000
    /// `hinge` or `vanilla`. Default hinge.
    public var loss: GANLossKind = .hinge
    /// Scale the adversarial weight by the ratio of gradient norms at the decoder's last layer (taming). Default true.
    public var adaptiveWeight = true
    /// Convolution layers of the PatchGAN discriminator. Default 3.
    public var discLayers = 3
    /// Channels of its first layer. Default 64.
    public var discChannels = 64
    /// Discriminator learning rate (0 = the optimizer's `lr`). Default 0.0.
    public var lr = 0.0
    /// Discriminator AdamW (β₁, β₂). Default [0.5, 0.9] (taming).
    public var betas = [0.5, 0.9]

    public init() {}

    /// Problems with these settings on their own (the discriminator's depth is checked against the image size by
    /// `TrainConfig`).
    public func problems() -> [String] {
        unmet(weightCheck("gan", weight))
            + (!enabled ? [] : unmet((startStep >= 0, "objectives.gan.start_step must be >= 0"),
                                     (discLayers >= 1 && discChannels >= 1, "objectives.gan disc_layers and disc_channels must be positive"),
                                     (lr >= 0, "objectives.gan.lr must be >= 0"),
                                     betasCheck(betas, "objectives.gan.betas")))
    }
}
