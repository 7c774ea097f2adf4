import Foundation
import VTPTensor

/// A loss term or the gradient norm became NaN or ±Inf.
public struct NonFiniteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The step at which it happened.
    public let step: Int
    /// The offending terms and their values, in the order checked.
    public let terms: [String]
    public let values: [Double]

    public var description: String {
        let list = zip(terms, values).map { "\($0.0) = \(ProgressLine.number($0.1))" }.joined(separator: ", ")
        return "step \(step): non-finite \(list); training stopped without saving (the last checkpoint is kept). "
            + "Try a lower optimizer.lr, a smaller optimizer.grad_clip, or precision fp32."
    }
}

/// Checks each loss term and the gradient norm of a step before the update is applied and before anything is
/// saved. On NaN or ±Inf it throws `NonFiniteError` naming the step and every offending term; the trainer
/// stops without writing a checkpoint, so the last good one stays the newest.
public enum NaNGuard {
    /// - Parameters:
    ///   - terms: each loss term (and the total) by name, in the order they should be reported.
    ///   - gradNorm: the global gradient norm, reported as `grad_norm`.
    public static func check(step: Int, terms: [(String, Double)], gradNorm: Double?) throws {
        var bad = terms.filter { !$0.1.isFinite }
        if let g = gradNorm, !g.isFinite { bad.append(("grad_norm", g)) }
        if !bad.isEmpty { throw NonFiniteError(step: step, terms: bad.map(\.0), values: bad.map(\.1)) }
    }
}
