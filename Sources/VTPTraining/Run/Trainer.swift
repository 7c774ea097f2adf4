import Foundation
import VTPDistributed
import VTPTensor

/// How a run is scheduled and where it writes: the parts of a configuration `Trainer` itself reads.
public struct RunSettings: Sendable {
    /// The run folder: checkpoints/, metrics.jsonl, loss.png, the resolved configuration.
    public var outputURL: URL
    /// Total optimizer steps.
    public var steps: Int
    /// Progress line (and metrics flush) interval.
    public var logEvery: Int
    /// Evaluation hooks run every this many steps (0 = only after the last step).
    public var evalEvery: Int
    /// Checkpoint interval (and after the last step) and how many checkpoints to keep.
    public var checkpointEvery: Int
    public var keepLast: Int
    /// Continue from the newest complete checkpoint in `outputURL` when there is one.
    public var resume: Bool
    /// The resolved configuration, saved as `config_file_name` in the run folder and in every checkpoint.
    public var configYAML: String
    public var configFileName: String

    public init(outputURL: URL, steps: Int, logEvery: Int, evalEvery: Int, checkpointEvery: Int, keepLast: Int, resume: Bool,
                configYAML: String, configFileName: String = CheckpointManager.configFile) {
        self.outputURL = outputURL
        self.steps = steps
        self.logEvery = logEvery
        self.evalEvery = evalEvery
        self.checkpointEvery = checkpointEvery
        self.keepLast = keepLast
        self.resume = resume
        self.configYAML = configYAML
        self.configFileName = configFileName
    }
}

/// Runs a `TrainStep` to the end of its schedule: checkpoints (atomic, resumable), metrics.jsonl every step,
/// a progress line with rate and ETA, the loss-curve PNG, and the evaluation hooks.
///
/// ```swift
/// let trainer = try Trainer(config: try TrainConfig.load(from: url))   // VTP pre-training (TokenizerTraining.swift)
/// try trainer.run()
/// ```
/// With `settings.resume` a run continues from the newest complete checkpoint in its folder and reproduces the
/// per-step losses of an uninterrupted run.
///
/// Data-parallel (a `communicator` of N ranks, the step built with the same `DataParallel`), every rank runs the
/// steps; rank 0 alone writes the run folder (configuration, metrics, checkpoints, plots) and runs the evaluation
/// hooks, and prints. Every rank resumes from the same checkpoint, whatever N was when it was written.
public final class Trainer {
    public let step: any TrainStep
    public let settings: RunSettings
    public let hooks: [any EvaluationHook]
    let checkpoints: CheckpointManager
    /// The last completed step.
    public private(set) var completedSteps = 0
    /// Per-step loss terms of this process (tests compare them across resumed runs).
    public private(set) var history: [[(String, Float)]] = []
    /// Stops after this many steps even if `settings.steps` is larger (simulates a crash in tests).
    public var stopAfter: Int?
    /// Write a checkpoint when stopping at `stopAfter` (a planned stop, e.g. a job's time limit) rather than end as
    /// a crash would.
    public var checkpointAtStop = false
    /// Prints progress and messages (stderr); tests silence it.
    public var verbose = true
    /// The ranks running this trainer (rank 0 writes and prints).
    public let communicator: any Communicator

    /// - Parameter resumeFrom: the checkpoint the step's models were built from (`checkpoints.loadLatest()`);
    ///   the step's state is restored from it and the run continues after its step.
    public init(step: any TrainStep, settings: RunSettings, hooks: [any EvaluationHook] = [],
                checkpoints: CheckpointManager, resumeFrom latest: LoadedCheckpoint?,
                communicator: any Communicator = SingleProcess()) throws {
        self.communicator = communicator
        self.step = step
        self.settings = settings
        self.hooks = hooks
        self.checkpoints = checkpoints
        if let latest {
            try step.restore(from: latest.state)
            completedSteps = latest.step
            for w in latest.warnings { note("warning: \(w)") }
            note("resumed from \(latest.directory.path) at step \(latest.step)")
        }
    }

    func note(_ s: String) { if verbose && communicator.isRoot { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) } }

    /// Trains until `settings.steps` (or `stopAfter`), checkpointing, logging and evaluating on the way.
    public func run() throws {
        let out = settings.outputURL
        let root = communicator.isRoot
        let metricsURL = out.appendingPathComponent("metrics.jsonl")
        var metrics: MetricsLogger? = nil
        if root {
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try DurableFiles.writeAtomically(Data(settings.configYAML.utf8), to: out.appendingPathComponent(settings.configFileName))
            metrics = try MetricsLogger(url: metricsURL, resumingAt: completedSteps)
        }
        defer { metrics?.close() }
        let total = settings.steps
        let printing = verbose && root
        let progress = ProgressLine(totalSteps: total, interactive: printing ? nil : false, everySteps: settings.logEvery,
                                    output: printing ? { FileHandle.standardError.write($0.data(using: .utf8)!) } : { _ in })
        let start = Date()
        while completedSteps < total {
            if let stopAfter, completedSteps >= stopAfter {
                if checkpointAtStop && communicator.isRoot && completedSteps % max(settings.checkpointEvery, 1) != 0 {
                    try saveCheckpoint()
                }
                break
            }
            let t0 = Date()
            if Profiler.isEnabled { Profiler.mark() }
            let r = try step.run(step: completedSteps)
            completedSteps += 1
            history.append(r.terms)
            let dt = Date().timeIntervalSince(t0)
            var terms: [String: Double] = [:]
            for (k, v) in r.terms.dropFirst() { terms[k] = Double(v) }
            let loss = Double(r.terms.first?.1 ?? .nan)
            try metrics?.log(MetricsRecord(step: completedSteps, loss: loss, terms: terms, lr: r.lr, weightDecay: r.weightDecay,
                                          gradNorm: r.gradNorm, imagesPerSecond: Double(r.samples) / max(dt, 1e-9),
                                          elapsed: Date().timeIntervalSince(start)))
            progress.update(step: completedSteps, loss: loss, images: r.samples)
            let last = completedSteps == total
            guard root else { continue }
            if completedSteps % max(settings.checkpointEvery, 1) == 0 || last { try saveCheckpoint() }
            if (settings.evalEvery > 0 && completedSteps % settings.evalEvery == 0) || last {
                for hook in hooks { progress.message(try hook.evaluate(step: completedSteps, directory: out)) }
                try? TrainingPlots.writeLossCurves(metricsURL: metricsURL, to: out.appendingPathComponent("loss.png"))
            }
        }
        progress.finish()
        if let report = step.dataReport { note(report) }
    }

    private func saveCheckpoint() throws {
        var state = TrainingState(step: completedSteps)
        step.save(into: &state)
        try checkpoints.save(step: completedSteps, model: step.checkpointModel, state: state, configYAML: settings.configYAML)
    }
}
