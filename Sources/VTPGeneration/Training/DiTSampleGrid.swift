import Foundation
import VTPEval
import VTPModels
import VTPTraining

/// The evaluation hook of a DiT run: a grid of samples per class from the EMA weights
/// (`samples-step<N>.png`), drawn with the `sample:` settings and the same noise at every evaluation.
public final class DiTSampleGrid: EvaluationHook {
    let step: DiTTrainStep
    let tokenizer: VTPModel
    let settings: DiTSampleSection
    let seed: UInt64

    public init(step: DiTTrainStep, tokenizer: VTPModel, settings: DiTSampleSection, seed: UInt64) {
        self.step = step
        self.tokenizer = tokenizer
        self.settings = settings
        self.seed = seed
    }

    public func evaluate(step n: Int, directory: URL) throws -> String {
        guard settings.perClass > 0 else { return "step \(n)" }
        let sampling = ClassConditionalSampling(sampler: try settings.flowSampler(), guidance: settings.guidance(channels: step.model.config.inChannels),
                                                statistics: step.data.statistics)
        let names = step.data.info.classNames
        let labels = names.indices.flatMap { Array(repeating: $0, count: settings.perClass) }
        let images = try sampling.generate(model: settings.useEMA ? step.ema : step.model, labels: labels, seed: seed,
                                           decode: { try self.tokenizer.decode($0) }).images
        let rows = names.indices.map { Array(images[($0 * settings.perClass)..<(($0 + 1) * settings.perClass)]) }
        let url = directory.appendingPathComponent("samples-step\(n).png")
        try ImageGrid(rows: rows, rowLabels: names, title: "step \(n), \(settings.method) \(settings.steps) points, cfg \(settings.cfg)")
            .writePNG(to: url)
        return "samples: \(url.path)"
    }
}

extension DiTSampleSection {
    /// The ODE sampler these settings describe.
    public func flowSampler() throws -> FlowSampler {
        guard let m = ODEMethod(name: method) else { throw GenerationError.invalidSettings("sample.method must be euler, heun or dopri5") }
        return FlowSampler(method: m, steps: steps, shift: shift)
    }

    /// Guidance when `cfg` ≠ 1 (all channels for latents with more than 4, the official first-3 otherwise).
    public func guidance(channels: Int) -> Guidance? {
        cfg == 1 ? nil : Guidance(scale: Float(cfg), channels: .defaultFor(channels: channels), intervalStart: cfgIntervalStart.map(Float.init))
    }
}
