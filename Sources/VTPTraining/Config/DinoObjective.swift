import Foundation

/// How the DINO teacher's outputs are centred.
public enum Centering: String, ConfigChoice, Sendable {
    /// Subtract an EMA of the teacher's mean output (DINO v1).
    case ema
    /// Sinkhorn-Knopp normalisation over the batch (dinov2's default).
    case sinkhorn
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

    /// Problems with these settings on their own (the head and iBOT settings only matter when DINO is on).
    public func problems() -> [String] {
        unmet(weightCheck("dino", weight), weightCheck("dino.ibot", ibot.weight), weightCheck("dino.koleo_weight", koleoWeight),
              dropPathCheck("dino", dropPath))
            + (!enabled ? [] : unmet(
                (outDim > 0 && hiddenDim > 0 && bottleneckDim > 0, "objectives.dino out_dim, hidden_dim and bottleneck_dim must be positive"),
                (headLayers >= 1, "objectives.dino.head_layers must be at least 1"),
                (studentTemp > 0 && teacherTempStart > 0 && teacherTempEnd > 0, "objectives.dino temperatures must be positive"),
                (teacherTempWarmupSteps >= 0, "objectives.dino.teacher_temp_warmup_steps must be >= 0"),
                (centerMomentum >= 0 && centerMomentum <= 1, "objectives.dino.center_momentum must be in [0, 1]"))
                + ibot.problems())
    }
}
