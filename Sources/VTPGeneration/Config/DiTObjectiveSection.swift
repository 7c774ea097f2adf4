import Foundation
import VTPTraining

/// How training draws the flow time t.
public enum TimeSamplingKind: String, ConfigChoice, Sendable {
    /// t = sigmoid(n), n ~ N(μ, σ²) (official VTP).
    case logitNormal = "logit_normal"
    /// t ~ U(0, 1).
    case uniform
}

/// `objective:` — rectified flow (Linear path, velocity prediction) with MSE + cosine loss.
public struct DiTObjectiveSection: Codable, Equatable, Sendable {
    /// Default logit_normal.
    public var timeSampling: TimeSamplingKind = .logitNormal
    /// μ of the logit-normal t. Default −0.5 (official VTP-S/B; −0.75 for L).
    public var timeMu = -0.5
    /// σ of the logit-normal t. Default 1.25 (official VTP-S/B; 1.0 for L).
    public var timeSigma = 1.25
    /// Weight of the cosine loss next to the MSE (0 = MSE only). Default 1.0 (official).
    public var cosineWeight = 1.0

    public init() {}

    public var timeDistribution: TimeDistribution {
        timeSampling == .uniform ? .uniform : .logitNormal(mu: timeMu, sigma: timeSigma)
    }

    public func problems() -> [String] {
        unmet((timeSigma > 0 && timeSigma.isFinite && timeMu.isFinite, "objective.time_sigma must be positive and time_mu finite"),
              (cosineWeight >= 0 && cosineWeight.isFinite, "objective.cosine_weight must be >= 0"))
    }
}
