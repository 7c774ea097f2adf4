import Foundation

/// `teacher:` — the EMA teacher of DINO / iBOT.
public struct TeacherSection: Codable, Equatable, Sendable {
    /// EMA momentum at step 0 (cosine to `momentum_end`). Default 0.992 (dinov2).
    public var momentumStart = 0.992
    /// EMA momentum at the last step. Default 1.0.
    public var momentumEnd = 1.0

    public init() {}

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet(((0...1).contains(momentumStart) && (0...1).contains(momentumEnd), "teacher.momentum_start and momentum_end must be in [0, 1]"))
    }
}
