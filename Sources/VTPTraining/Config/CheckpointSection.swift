import Foundation

/// `checkpoint:` — how often to save and how many to keep.
public struct CheckpointSection: Codable, Equatable, Sendable {
    /// Save every this many steps (and at the end). Default 1000.
    public var every = 1000
    /// Keep this many most recent checkpoints. Default 3.
    public var keepLast = 3
    /// Resume from the newest complete checkpoint in `output_dir` when there is one. Default true.
    public var resume = true

    public init() {}

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet((every > 0, "checkpoint.every must be positive"),
              (keepLast >= 1, "checkpoint.keep_last must be at least 1"))
    }
}
