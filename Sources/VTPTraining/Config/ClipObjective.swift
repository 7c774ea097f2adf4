import Foundation

/// Contrastive image-text loss.
public enum ClipLossKind: String, ConfigChoice, Sendable {
    /// Softmax cross-entropy both ways (CLIP / open_clip).
    case clip
    /// Pairwise sigmoid loss (SigLIP).
    case siglip
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

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet(weightCheck("clip", weight), dropPathCheck("clip", dropPath),
              (!enabled || batchSize >= 2, "objectives.clip.batch_size must be at least 2 (contrastive pairs), got \(batchSize)"))
    }
}
