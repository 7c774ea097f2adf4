import Foundation

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

    /// Problems with the masking settings when iBOT is on (its weight is checked with DINO's).
    public func problems() -> [String] {
        guard enabled else { return [] }
        return unmet((0 <= maskRatioMin && maskRatioMin <= maskRatioMax && maskRatioMax < 1,
                      "objectives.dino.ibot needs 0 <= mask_ratio_min <= mask_ratio_max < 1, got \(maskRatioMin)...\(maskRatioMax)"),
                     (maskProbability >= 0 && maskProbability <= 1, "objectives.dino.ibot.mask_probability must be in [0, 1]"))
    }
}
