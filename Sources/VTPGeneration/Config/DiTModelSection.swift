import Foundation
import VTPModels
import VTPTraining

/// `model:` — the LightningDiT to train: a preset (`S/1`, `B/1`, `XL/1`, … or `T/1`, `T/2` for small machines)
/// with any constructor field overridden; the input size, input channels and class count come from the latents.
public struct DiTModelSection: Codable, Equatable, Sendable {
    /// Preset name (`LightningDiTConfig.presetNames`). Default "T/1".
    public var preset = "T/1"
    /// Overrides of the preset (null keeps the preset's value).
    public var hiddenSize: Int? = nil
    public var depth: Int? = nil
    public var numHeads: Int? = nil
    public var patchSize: Int? = nil
    public var mlpRatio: Double? = nil
    /// Probability of replacing the label by the null class (classifier-free guidance). Default (null): 0.1.
    public var classDropoutProb: Double? = nil
    public var learnSigma: Bool? = nil
    public var useQknorm: Bool? = nil
    /// VTP's configs: SwiGLU, RoPE and RMSNorm on (the default here too), no q/k norm.
    public var useSwiglu: Bool? = nil
    public var useRope: Bool? = nil
    public var useRmsnorm: Bool? = nil
    public var woShift: Bool? = nil

    public init() {}

    /// The constructor arguments for latents described by `info`.
    public func resolve(latents info: LatentSetInfo) throws -> LightningDiTConfig {
        var base = LightningDiTConfig.vtpLatents
        base.inputSize = info.height
        base.inChannels = info.channels
        base.numClasses = info.classNames.count
        guard var c = LightningDiTConfig.preset(preset, base: base) else {
            throw TrainConfigError.invalid(["model.preset '\(preset)' is not one of \(LightningDiTConfig.presetNames.joined(separator: ", "))"])
        }
        if let v = hiddenSize { c.hiddenSize = v }
        if let v = depth { c.depth = v }
        if let v = numHeads { c.numHeads = v }
        if let v = patchSize { c.patchSize = v }
        if let v = mlpRatio { c.mlpRatio = v }
        if let v = classDropoutProb { c.classDropoutProb = v }
        if let v = learnSigma { c.learnSigma = v }
        if let v = useQknorm { c.useQknorm = v }
        if let v = useSwiglu { c.useSwiglu = v }
        if let v = useRope { c.useRope = v }
        if let v = useRmsnorm { c.useRmsnorm = v }
        if let v = woShift { c.woShift = v }
        guard info.height == info.width else {
            throw TrainConfigError.invalid(["LightningDiT needs square latents, these are \(info.height)×\(info.width)"])
        }
        try c.validate()
        return c
    }

    public func problems() -> [String] {
        unmet((LightningDiTConfig.presetNames.contains(preset) || LightningDiTConfig.preset(preset) != nil,
               "model.preset '\(preset)' is not one of \(LightningDiTConfig.presetNames.joined(separator: ", "))"),
              ((classDropoutProb ?? 0.1) >= 0 && (classDropoutProb ?? 0.1) < 1, "model.class_dropout_prob must be in [0, 1)"))
    }
}
