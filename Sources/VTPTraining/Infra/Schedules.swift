import Foundation

/// dinov2's `CosineScheduler`: `freezeSteps` at 0, then a linear warm-up from `warmupStart` to `base` over
/// `warmupSteps` (numpy `linspace`, so its last step is exactly `base`), then a half cosine from `base` down
/// (or up) to `final` over the remaining steps; `final` from `totalSteps` on.
///
/// With `base == final` it is a linear warm-up followed by a constant (dinov2's teacher temperature).
public struct CosineSchedule: Equatable, Sendable {
    public var base: Double
    public var final: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var warmupStart: Double
    public var freezeSteps: Int

    public init(base: Double, final: Double, warmupSteps: Int = 0, totalSteps: Int, warmupStart: Double = 0, freezeSteps: Int = 0) {
        precondition(warmupSteps >= 0 && freezeSteps >= 0 && totalSteps >= warmupSteps + freezeSteps,
                     "CosineSchedule: warm-up (\(warmupSteps)) + freeze (\(freezeSteps)) must fit in \(totalSteps) steps")
        self.base = base
        self.final = final
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.warmupStart = warmupStart
        self.freezeSteps = freezeSteps
    }

    /// Linear warm-up from `start` to `value` over `warmupSteps`, then `value` for ever.
    public static func warmupThenConstant(value: Double, warmupStart: Double, warmupSteps: Int) -> CosineSchedule {
        CosineSchedule(base: value, final: value, warmupSteps: warmupSteps, totalSteps: warmupSteps, warmupStart: warmupStart)
    }

    /// The value at optimizer step `step` (0-based).
    public func callAsFunction(_ step: Int) -> Double { value(at: step) }

    /// The value at optimizer step `step` (0-based).
    public func value(at step: Int) -> Double {
        if step >= totalSteps { return final }
        if step < freezeSteps { return 0 }
        let s = step - freezeSteps
        if s < warmupSteps {
            // np.linspace(start, base, warmupSteps)[s]
            if warmupSteps == 1 { return warmupStart }
            return warmupStart + (base - warmupStart) * Double(s) / Double(warmupSteps - 1)
        }
        let n = totalSteps - warmupSteps - freezeSteps
        let i = s - warmupSteps
        return final + 0.5 * (base - final) * (1 + cos(Double.pi * Double(i) / Double(n)))
    }
}

/// The per-step values a training step needs, all from one `TrainConfig`.
public struct TrainingSchedules: Equatable, Sendable {
    /// Learning rate: warm-up from 0 to `optimizer.lr`, cosine to `min_lr`.
    public var lr: CosineSchedule
    /// Learning rate of the last layer of the DINO / iBOT heads: `lr`, but 0 for `freeze_last_layer_steps`.
    public var lastLayerLR: CosineSchedule
    /// Weight decay: cosine from `weight_decay` to `weight_decay_end`.
    public var weightDecay: CosineSchedule
    /// Teacher EMA momentum: cosine from `momentum_start` to `momentum_end`.
    public var teacherMomentum: CosineSchedule
    /// Teacher temperature: linear warm-up, then constant.
    public var teacherTemp: CosineSchedule

    public init(config: TrainConfig) {
        let steps = config.schedule.steps, o = config.optimizer, d = config.objectives.dino
        let warmup = min(o.warmupSteps, steps)
        lr = CosineSchedule(base: o.lr, final: o.minLR, warmupSteps: warmup, totalSteps: steps)
        lastLayerLR = lr
        lastLayerFreeze = min(o.freezeLastLayerSteps, steps)
        weightDecay = CosineSchedule(base: o.weightDecay, final: o.weightDecayEnd, totalSteps: steps)
        teacherMomentum = CosineSchedule(base: config.teacher.momentumStart, final: config.teacher.momentumEnd, totalSteps: steps)
        teacherTemp = .warmupThenConstant(value: d.teacherTempEnd, warmupStart: d.teacherTempStart, warmupSteps: d.teacherTempWarmupSteps)
    }

    /// Steps during which the last layer of the DINO / iBOT heads is frozen (`freeze_last_layer_steps`):
    /// dinov2 zeroes the first steps of the last-layer schedule (rather than shifting it).
    public private(set) var lastLayerFreeze: Int

    /// All values at `step`.
    public func values(at step: Int) -> ScheduleValues {
        ScheduleValues(lr: lr(step), lastLayerLR: step < lastLayerFreeze ? 0 : lastLayerLR(step),
                       weightDecay: weightDecay(step), teacherMomentum: teacherMomentum(step), teacherTemp: teacherTemp(step))
    }
}

/// Scheduled values at one step.
public struct ScheduleValues: Equatable, Sendable {
    public var lr: Double
    public var lastLayerLR: Double
    public var weightDecay: Double
    public var teacherMomentum: Double
    public var teacherTemp: Double
}
