import Foundation

/// Contrastive image-text loss.
public enum ClipLossKind: String, ConfigChoice, Sendable {
    /// Softmax cross-entropy both ways (CLIP / open_clip).
    case clip
    /// Pairwise sigmoid loss (SigLIP).
    case siglip
}

/// How the DINO teacher's outputs are centred.
public enum Centering: String, ConfigChoice, Sendable {
    /// Subtract an EMA of the teacher's mean output (DINO v1).
    case ema
    /// Sinkhorn-Knopp normalisation over the batch (dinov2's default).
    case sinkhorn
}

/// Pixel loss of the reconstruction objective.
public enum PixelLossKind: String, ConfigChoice, Sendable {
    case l1, mse
}

/// Discriminator loss of the GAN objective.
public enum GANLossKind: String, ConfigChoice, Sendable {
    case hinge, vanilla
}

/// `objectives:` — the joint VTP objective: CLIP + DINO/iBOT + reconstruction (+ optional GAN).
public struct Objectives: Codable, Equatable, Sendable {
    public var clip = ClipObjective()
    public var dino = DinoObjective()
    public var reconstruction = ReconstructionObjective()
    public var gan = GANObjective()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case clip, dino, reconstruction, gan }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        clip = try r(.clip, d.clip); dino = try r(.dino, d.dino)
        reconstruction = try r(.reconstruction, d.reconstruction); gan = try r(.gan, d.gan)
    }

    /// Names of the enabled objectives (`clip`, `dino`, `ibot`, `reconstruction`, `gan`).
    public var enabledNames: [String] {
        var n: [String] = []
        if clip.enabled { n.append("clip") }
        if dino.enabled { n.append("dino") }
        if dino.enabled && dino.ibot.enabled { n.append("ibot") }
        if reconstruction.enabled { n.append("reconstruction") }
        if gan.enabled { n.append("gan") }
        return n
    }
}

/// `objectives.clip:` — image-text contrastive learning.
public struct ClipObjective: Codable, Equatable, Sendable {
    /// Default true.
    public var enabled = true
    /// Weight of this loss in the total. Default 1.0.
    public var weight = 1.0
    /// Image-text pairs per step (VTP uses a larger CLIP batch than for the other losses). When it differs from
    /// `schedule.batch_size`, CLIP reads its own stream of the training data (plain views, its own cursor) while
    /// self-supervision and reconstruction keep `schedule.batch_size`. Default 0: the schedule's `batch_size`.
    public var batchSize = 0
    /// `clip` (softmax) or `siglip` (sigmoid). Default clip.
    public var loss: ClipLossKind = .clip
    /// Sample-drop (stochastic depth) rate of the vision trunk for this objective's forward pass. Default 0.0.
    public var dropPath = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weight, batchSize = "batch_size", loss, dropPath = "drop_path"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        enabled = try r(.enabled, d.enabled); weight = try r(.weight, d.weight); batchSize = try r(.batchSize, d.batchSize)
        loss = try r(.loss, d.loss); dropPath = try r(.dropPath, d.dropPath)
    }
}

/// `objectives.dino:` — self-distillation (dinov2's DINO head and loss) with an EMA teacher.
public struct DinoObjective: Codable, Equatable, Sendable {
    /// Default true.
    public var enabled = true
    /// Weight of the DINO loss. Default 1.0.
    public var weight = 1.0
    /// Prototypes of the DINO head. Default 65536 (dinov2).
    public var outDim = 65536
    /// Hidden width of the head MLP. Default 2048 (dinov2).
    public var hiddenDim = 2048
    /// Bottleneck width before the weight-normalised last layer. Default 256 (dinov2).
    public var bottleneckDim = 256
    /// Layers of the head MLP. Default 3 (dinov2).
    public var headLayers = 3
    /// Student softmax temperature. Default 0.1.
    public var studentTemp = 0.1
    /// Teacher temperature at step 0 (linear warm-up to `teacher_temp_end`, then constant). Default 0.04.
    public var teacherTempStart = 0.04
    /// Teacher temperature after the warm-up. Default 0.07.
    public var teacherTempEnd = 0.07
    /// Length of the teacher-temperature warm-up. Default 3000 steps.
    public var teacherTempWarmupSteps = 3000
    /// `sinkhorn` (dinov2) or `ema`. Default sinkhorn.
    public var centering: Centering = .sinkhorn
    /// Momentum of the EMA centre (`centering: ema`). Default 0.9.
    public var centerMomentum = 0.9
    /// Weight of the KoLeo regulariser on the student CLS features. Default 0.1 (dinov2).
    public var koleoWeight = 0.1
    /// Sample-drop rate of the trunk for the student's forward passes. Default 0.1.
    public var dropPath = 0.1
    /// Masked-patch distillation.
    public var ibot = IBOTObjective()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weight, outDim = "out_dim", hiddenDim = "hidden_dim", bottleneckDim = "bottleneck_dim"
        case headLayers = "head_layers", studentTemp = "student_temp", teacherTempStart = "teacher_temp_start"
        case teacherTempEnd = "teacher_temp_end", teacherTempWarmupSteps = "teacher_temp_warmup_steps"
        case centering, centerMomentum = "center_momentum", koleoWeight = "koleo_weight", dropPath = "drop_path", ibot
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        enabled = try r(.enabled, d.enabled); weight = try r(.weight, d.weight); outDim = try r(.outDim, d.outDim)
        hiddenDim = try r(.hiddenDim, d.hiddenDim); bottleneckDim = try r(.bottleneckDim, d.bottleneckDim)
        headLayers = try r(.headLayers, d.headLayers); studentTemp = try r(.studentTemp, d.studentTemp)
        teacherTempStart = try r(.teacherTempStart, d.teacherTempStart)
        teacherTempEnd = try r(.teacherTempEnd, d.teacherTempEnd)
        teacherTempWarmupSteps = try r(.teacherTempWarmupSteps, d.teacherTempWarmupSteps)
        centering = try r(.centering, d.centering); centerMomentum = try r(.centerMomentum, d.centerMomentum)
        koleoWeight = try r(.koleoWeight, d.koleoWeight); dropPath = try r(.dropPath, d.dropPath)
        ibot = try r(.ibot, d.ibot)
    }
}

/// `objectives.dino.ibot:` — masked-patch distillation (iBOT, as in dinov2).
public struct IBOTObjective: Codable, Equatable, Sendable {
    /// Default true (only used when DINO is enabled).
    public var enabled = true
    /// Weight of the iBOT loss. Default 1.0.
    public var weight = 1.0
    /// Smallest fraction of patches masked in a masked image. Default 0.1 (dinov2).
    public var maskRatioMin = 0.1
    /// Largest fraction. Default 0.5 (dinov2).
    public var maskRatioMax = 0.5
    /// Fraction of global crops that are masked. Default 0.5 (dinov2).
    public var maskProbability = 0.5
    /// Use a separate head for patch tokens (else the DINO head is shared). Default false (dinov2).
    public var separateHead = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weight, maskRatioMin = "mask_ratio_min", maskRatioMax = "mask_ratio_max"
        case maskProbability = "mask_probability", separateHead = "separate_head"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        enabled = try r(.enabled, d.enabled); weight = try r(.weight, d.weight)
        maskRatioMin = try r(.maskRatioMin, d.maskRatioMin); maskRatioMax = try r(.maskRatioMax, d.maskRatioMax)
        maskProbability = try r(.maskProbability, d.maskProbability); separateHead = try r(.separateHead, d.separateHead)
    }
}

/// `objectives.reconstruction:` — pixel reconstruction through the latent bottleneck and the pixel decoder.
public struct ReconstructionObjective: Codable, Equatable, Sendable {
    /// Default true.
    public var enabled = true
    /// Weight of the pixel loss. Default 1.0.
    public var weight = 1.0
    /// `l1` or `mse`. Default l1.
    public var loss: PixelLossKind = .l1
    /// Weight of the LPIPS perceptual loss (0 = off; needs `lpips_weights_path`). Default 0.0.
    public var lpipsWeight = 0.0
    /// LPIPS network weights (a safetensors file). Default "" (none).
    public var lpipsWeightsPath = ""
    /// Sample-drop rate of the trunk for this objective's forward pass. Default 0.0.
    public var dropPath = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weight, loss, lpipsWeight = "lpips_weight", lpipsWeightsPath = "lpips_weights_path"
        case dropPath = "drop_path"
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        enabled = try r(.enabled, d.enabled); weight = try r(.weight, d.weight); loss = try r(.loss, d.loss)
        lpipsWeight = try r(.lpipsWeight, d.lpipsWeight); lpipsWeightsPath = try r(.lpipsWeightsPath, d.lpipsWeightsPath)
        dropPath = try r(.dropPath, d.dropPath)
    }
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weight, startStep = "start_step", loss, adaptiveWeight = "adaptive_weight"
        case discLayers = "disc_layers", discChannels = "disc_channels", lr, betas
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self()
        enabled = try r(.enabled, d.enabled); weight = try r(.weight, d.weight); startStep = try r(.startStep, d.startStep)
        loss = try r(.loss, d.loss); adaptiveWeight = try r(.adaptiveWeight, d.adaptiveWeight)
        discLayers = try r(.discLayers, d.discLayers); discChannels = try r(.discChannels, d.discChannels)
        lr = try r(.lr, d.lr); betas = try r(.betas, d.betas)
    }
}
