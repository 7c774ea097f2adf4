import Foundation
import VTPModels
import VTPTraining

extension Trainer {
    /// The LightningDiT run `config` describes: `DiTTrainStep` on the latents of `data.latents`, with a sample
    /// grid as its evaluation hook (decoded by `sample.tokenizer`, else the latents' tokenizer). Resumes from the
    /// newest checkpoint in `output_dir` with `checkpoint.resume`. Data-parallel over `parallel`'s ranks (rank 0
    /// writes and draws the sample grids).
    public convenience init(dit config: DiTTrainConfig, parallel: DataParallel = .world) throws {
        try config.validate()
        let data = try LatentSet.load(directory: URL(fileURLWithPath: config.data.latents))
        let checkpoints = CheckpointManager(directory: config.outputURL, keepLast: config.checkpoint.keepLast)
        let latest = config.checkpoint.resume ? try checkpoints.loadLatest() : nil
        let model = try latest.map { try LightningDiT.load(directory: $0.directory) }
        let step = try DiTTrainStep(config: config, data: data, model: model, parallel: parallel)
        var hooks: [any EvaluationHook] = []
        if config.sample.perClass > 0 && parallel.rank == 0 {
            let path = config.sample.tokenizer.isEmpty ? data.info.tokenizer : config.sample.tokenizer
            let tokenizer = try VTPModel.load(directory: try InitialWeights.modelDirectory(for: path))
            hooks.append(DiTSampleGrid(step: step, tokenizer: tokenizer, settings: config.sample, seed: config.rngSeed &+ 0x5A))
        }
        let settings = RunSettings(outputURL: config.outputURL, steps: config.schedule.steps, logEvery: config.schedule.logEvery,
                                   evalEvery: config.schedule.evalEvery, checkpointEvery: config.checkpoint.every,
                                   keepLast: config.checkpoint.keepLast, resume: config.checkpoint.resume,
                                   configYAML: config.resolvedYAML(), configFileName: "dit_config.yaml")
        try self.init(step: step, settings: settings, hooks: hooks, checkpoints: checkpoints, resumeFrom: latest,
                      communicator: parallel.communicator)
    }
}
