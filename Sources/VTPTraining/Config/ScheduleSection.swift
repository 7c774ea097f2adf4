import Foundation

/// `schedule:` — length of the run and how often to evaluate and log.
public struct ScheduleSection: Codable, Equatable, Sendable {
    /// Optimizer steps. Default 10000.
    public var steps = 10000
    /// Images per step (per objective unless the objective has its own batch size). Default 64.
    public var batchSize = 64
    /// Evaluate (reconstruction grid, loss-curve PNG, eval losses) every this many steps (0 = never). Default 1000.
    public var evalEvery = 1000
    /// Append a line to metrics.jsonl every this many steps. Default 10.
    public var logEvery = 10

    public init() {}

    /// Problems with these settings on their own.
    public func problems() -> [String] {
        unmet((steps > 0, "schedule.steps must be positive"),
              (batchSize > 0, "schedule.batch_size must be positive"),
              (evalEvery >= 0, "schedule.eval_every must be >= 0 (0 = never)"),
              (logEvery > 0, "schedule.log_every must be positive"))
    }
}
