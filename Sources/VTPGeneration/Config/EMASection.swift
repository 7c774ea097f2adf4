import Foundation
import VTPTraining

/// `ema:` — the exponential moving average of the weights that sampling uses.
public struct EMASection: Codable, Equatable, Sendable {
    /// θ_ema ← d·θ_ema + (1 − d)·θ every step from step 0. Default 0.9999 (official; small runs want less, e.g. 0.999).
    public var decay = 0.9999

    public init() {}

    public func problems() -> [String] { unmet((decay >= 0 && decay < 1, "ema.decay must be in [0, 1)")) }
}
