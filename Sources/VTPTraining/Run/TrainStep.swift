import Foundation
import VTPTensor

/// One optimisation step of a run — forward, backward, optimizer update(s) — with the state it needs to resume.
///
/// `Trainer` runs any `TrainStep` the same way (schedule of steps, checkpoints, metrics, progress, evaluation
/// hooks); what a step trains, on which data and with which optimizers is the step's own business:
/// `JointStep` (VTP pre-training: CLIP + DINO/iBOT/KoLeo + reconstruction), `DecoderGANStep` (the decoder
/// fine-tuning stage) and the latent-diffusion step of `VTPGeneration`.
public protocol TrainStep: AnyObject {
    /// Runs step `index` (counting from 0): reads the step's batch, computes the losses, back-propagates and
    /// updates the weights. Throws `NaNGuard`'s error, before any update, on a non-finite loss or gradient.
    func run(step index: Int) throws -> StepRecord
    /// Adds everything besides the model files that resuming needs (optimizer moments, EMA weights, heads,
    /// centres, random state, data cursors) to a checkpoint state.
    func save(into state: inout TrainingState)
    /// Restores what `save(into:)` wrote; a missing entry is an error naming it.
    func restore(from state: TrainingState) throws
    /// The model a checkpoint saves (refused while a parameter holds NaN or ±Inf).
    var checkpointModel: any CheckpointModel { get }
    /// What the step's data loaders skipped, for the end of the run (nil when nothing).
    var dataReport: String? { get }
}

/// What one step did, for metrics.jsonl and the progress line.
public struct StepRecord {
    /// Loss terms in a fixed order; the first is the total, named `loss`.
    public var terms: [(String, Float)]
    /// The learning rate and weight decay the step used.
    public var lr: Double
    public var weightDecay: Double
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    /// Samples (images, latents) the step consumed, for the rate.
    public var samples: Int

    public init(terms: [(String, Float)], lr: Double, weightDecay: Double, gradNorm: Double, samples: Int) {
        self.terms = terms
        self.lr = lr
        self.weightDecay = weightDecay
        self.gradNorm = gradNorm
        self.samples = samples
    }
}

/// Something run after a step when the schedule says so (`schedule.eval_every`, and after the last step):
/// held-out evaluation, sample grids, ….
public protocol EvaluationHook: AnyObject {
    /// Evaluates after `step` completed steps, writing its files under `directory` (the run folder); returns a
    /// one-line summary for the progress output.
    func evaluate(step: Int, directory: URL) throws -> String
}
