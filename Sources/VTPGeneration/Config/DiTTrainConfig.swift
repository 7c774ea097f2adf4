import Foundation
import VTPModels
import VTPTraining

/// A latent-diffusion run (`vtp dit train`), read from YAML with the same machinery, overrides and strictness as
/// the tokenizer's `TrainConfig`; the defaults are the official LightningDiT recipe of VTP (AdamW 2e-4,
/// β (0.9, 0.95), no weight decay, constant LR, EMA 0.9999, class dropout 0.1, MSE + cosine loss, logit-normal t).
///
/// ```yaml
/// model: {preset: S/1}               # LightningDiT preset, fields override it; size/channels/classes from the latents
/// data: {latents: runs/fmnist-latents}
/// schedule: {steps: 4000, batch_size: 128, eval_every: 1000}
/// sample: {tokenizer: runs/fmnist-tiny, per_class: 8}
/// ```
public struct DiTTrainConfig: Codable, Equatable, Sendable {
    public var model = DiTModelSection()
    public var data = DiTDataSection()
    public var objective = DiTObjectiveSection()
    public var optimizer = DiTOptimizerSection()
    public var ema = EMASection()
    /// Steps, batch size (latents per step), sample-grid (`eval_every`) and logging intervals.
    public var schedule = ScheduleSection()
    /// The sample grid drawn at every evaluation step.
    public var sample = DiTSampleSection()
    public var checkpoint = CheckpointSection()
    /// Matmul precision. Default fp32.
    public var precision: Precision = .fp32
    /// Seed of initialisation, data order, flips, label dropout, t and noise. Default 0.
    public var seed = 0
    /// Run directory. Default "runs/dit".
    public var outputDir = "runs/dit"

    public init() {}

    public var rngSeed: UInt64 { UInt64(bitPattern: Int64(seed)) }
    public var outputURL: URL { URL(fileURLWithPath: outputDir) }

    /// Reads `url` and applies `overrides` (`key.sub=value`), then checks the settings.
    public static func load(from url: URL, overrides: [String] = [], validate: Bool = true) throws -> DiTTrainConfig {
        let c: DiTTrainConfig = try ConfigValue(contentsOf: url, overrides: overrides).decode(defaults: DiTTrainConfig())
        if validate { try c.validate() }
        return c
    }

    /// Reads YAML text and applies `overrides`, then checks the settings.
    public static func parse(yaml: String, overrides: [String] = [], validate: Bool = true) throws -> DiTTrainConfig {
        let c: DiTTrainConfig = try ConfigValue(yaml: yaml, overrides: overrides).decode(defaults: DiTTrainConfig())
        if validate { try c.validate() }
        return c
    }

    /// Every field as YAML.
    public func resolvedYAML() -> String {
        let tree = (try? ConfigValue(encoding: self)) ?? ConfigValue(.map([]))
        return "# SwiftVTP LightningDiT training configuration (resolved: every field, defaults included)\n" + tree.yaml()
    }

    /// Every problem with the settings (empty when usable).
    public func problems() -> [String] {
        model.problems() + data.problems() + objective.problems() + optimizer.problems() + ema.problems() + schedule.problems()
            + sample.problems() + checkpoint.problems()
            + unmet((seed >= 0, "seed must be >= 0"), (!outputDir.isEmpty, "output_dir must not be empty"))
    }

    public func validate() throws {
        let p = problems()
        if !p.isEmpty { throw TrainConfigError.invalid(p) }
    }
}
