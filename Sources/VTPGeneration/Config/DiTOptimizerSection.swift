import Foundation
import VTPTraining

/// `optimizer:` — AdamW with a constant learning rate (official LightningDiT: no warm-up, no decay).
public struct DiTOptimizerSection: Codable, Equatable, Sendable {
    /// Default 2e-4 (official).
    public var lr = 2e-4
    /// Default [0.9, 0.95] (official).
    public var betas = [0.9, 0.95]
    /// Default 0 (official).
    public var weightDecay = 0.0
    /// Default 1e-8.
    public var eps = 1e-8
    /// Clip the global gradient norm to this (0 = off, the official setting). Default 0.
    public var gradClip = 0.0

    public init() {}

    public func problems() -> [String] {
        unmet((lr > 0 && lr.isFinite, "optimizer.lr must be positive"),
              (betas.count == 2 && betas.allSatisfy { $0 >= 0 && $0 < 1 }, "optimizer.betas must be two numbers in [0, 1), got \(betas)"),
              (weightDecay >= 0, "optimizer.weight_decay must be >= 0"), (eps > 0, "optimizer.eps must be positive"),
              (gradClip >= 0, "optimizer.grad_clip must be >= 0 (0 = off)"))
    }
}
