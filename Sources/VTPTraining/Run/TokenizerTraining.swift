import Foundation
import VTPDistributed
import VTPEval
import VTPModels
import VTPTensor

extension Trainer {
    /// The VTP tokenizer run `config` describes: stage 1 (`JointStep`: CLIP + DINO/iBOT/KoLeo + reconstruction,
    /// any subset) or, with `objectives.gan`, the decoder fine-tuning stage (`DecoderGANStep`), with held-out
    /// evaluation (`HeldOutEvaluation`) as its hook. With `checkpoint.resume` (the default) the run continues
    /// from the newest complete checkpoint in `output_dir`.
    ///
    /// With a `communicator` of several ranks (`Distributed.world` under `mpirun`) stage 1 runs data-parallel
    /// (`JointStep`, `DataParallel`); the GAN stage runs in one process only.
    public convenience init(config: TrainConfig, communicator: any Communicator = Distributed.world) throws {
        try config.validate()
        if communicator.size > 1 && config.objectives.gan.enabled {
            throw TrainConfigError.invalid(["objectives.gan (decoder fine-tuning) runs in one process only, not under mpirun with \(communicator.size) ranks"])
        }
        let checkpoints = CheckpointManager(directory: config.outputURL, keepLast: config.checkpoint.keepLast)
        let latest = config.checkpoint.resume ? try checkpoints.loadLatest() : nil
        let data = try TrainingData(config: config)
        let models = try TrainModels(config: config, model: try latest?.loadModel())
        let step: any TrainStep = config.objectives.gan.enabled
            ? try DecoderGANStep(config: config, models: models, data: data)
            : try JointStep(config: config, models: models, data: data, parallel: DataParallel(communicator: communicator))
        // Rank 0 evaluates (the others would only wait for it).
        let evaluation = communicator.isRoot ? try HeldOutEvaluation(model: models.student, data: data, images: config.data.evalImages) : nil
        let settings = RunSettings(outputURL: config.outputURL, steps: config.schedule.steps, logEvery: config.schedule.logEvery,
                                   evalEvery: config.schedule.evalEvery, checkpointEvery: config.checkpoint.every,
                                   keepLast: config.checkpoint.keepLast, resume: config.checkpoint.resume,
                                   configYAML: config.resolvedYAML())
        try self.init(step: step, settings: settings, hooks: evaluation.map { [$0] } ?? [], checkpoints: checkpoints, resumeFrom: latest,
                      communicator: communicator)
    }

    /// The held-out evaluations of a tokenizer run so far (empty for other runs).
    public var evaluations: [EvaluationResult] { hooks.compactMap { $0 as? HeldOutEvaluation }.first?.results ?? [] }

    /// The tokenizer being trained, for a tokenizer run.
    public var models: TrainModels? { (step as? JointStep)?.models ?? (step as? DecoderGANStep)?.models }
}
