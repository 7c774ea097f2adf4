import Foundation

/// `optimizer:` — AdamW with cosine schedules (dinov2 style).
public struct OptimizerSection: Codable, Equatable, Sendable {
    /// Peak learning rate, reached at the end of the warm-up. Default 3e-4.
    public var lr = 3e-4
    /// Learning rate at the end of the cosine decay. Default 1e-6.
    public var minLR = 1e-6
    /// Linear warm-up from 0 to `lr`, in steps. Default 1000.
    public var warmupSteps = 1000
    /// Weight decay at step 0 (cosine to `weight_decay_end`). Default 0.04 (dinov2).
    public var weightDecay = 0.04
    /// Weight decay at the last step. Default 0.2 (dinov2).
    public var weightDecayEnd = 0.2
    /// AdamW (β₁, β₂). Default [0.9, 0.999].
    public var betas = [0.9, 0.999]
    /// AdamW ε. Default 1e-8.
    public var eps = 1e-8
    /// Clip the global gradient norm to this (0 = no clipping). Default 3.0 (dinov2).
    public var gradClip = 3.0
    /// Keep the last layer of the DINO / iBOT heads frozen (lr 0) for this many steps. Default 1000.
    public var freezeLastLayerSteps = 1000

    public init() {}

    /// Problems with these settings on their own (`warmup_steps` is checked against the schedule by `TrainConfig`).
    public func problems() -> [String] {
        unmet((lr > 0 && lr.isFinite, "optimizer.lr must be positive, got \(lr)"),
              (minLR >= 0 && minLR <= lr, "optimizer.min_lr must be in [0, lr], got \(minLR)"),
              (weightDecay >= 0 && weightDecayEnd >= 0, "optimizer.weight_decay and weight_decay_end must be >= 0"),
              betasCheck(betas, "optimizer.betas"),
              (eps > 0, "optimizer.eps must be positive"),
              (gradClip >= 0, "optimizer.grad_clip must be >= 0 (0 = off)"),
              (freezeLastLayerSteps >= 0, "optimizer.freeze_last_layer_steps must be >= 0"))
    }
}

/// AdamW's (β₁, β₂) must be two numbers in [0, 1).
func betasCheck(_ b: [Double], _ name: String) -> (Bool, String) {
    (b.count == 2 && b.allSatisfy { $0 >= 0 && $0 < 1 }, "\(name) must be two numbers in [0, 1), got \(b)")
}
