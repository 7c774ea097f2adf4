import VTPTensor

/// Exponential moving average of weights (the DINO teacher, or EMA weights for evaluation):
/// θ_target ← m·θ_target + (1 − m)·θ_source for every parameter with the same key.
public enum EMA {
    /// Updates `target` in place from `source`; both must have the same keys and shapes.
    public static func update(target: Module, source: Module, momentum: Float) {
        let src = Dictionary(uniqueKeysWithValues: source.namedParameters())
        for (key, p) in target.namedParameters() {
            guard let s = src[key] else { preconditionFailure("EMA: source has no parameter \(key)") }
            OptimizerKernels.ema(target: p.value, source: s.value, momentum: momentum)
        }
    }

    /// Copies every parameter value of `source` into `target` (fresh buffers, so later in-place updates of one
    /// never touch the other).
    public static func copy(from source: Module, to target: Module) {
        let src = Dictionary(uniqueKeysWithValues: source.namedParameters())
        for (key, p) in target.namedParameters() {
            guard let s = src[key] else { preconditionFailure("EMA: source has no parameter \(key)") }
            p.value = s.value.copy()
        }
    }
}
