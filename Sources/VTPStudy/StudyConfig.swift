import Foundation
import VTPTraining

/// A tokenizer scaling study (`vtp study scaling`), read from YAML with the configuration machinery of
/// `TrainConfig` (strict keys, `key.sub=value` overrides). The grid is kinds × `tokenizer.steps` × `seeds`; every
/// cell trains a tokenizer from its kind's config at `tokenizer.steps[i]` steps (fixed batch), then the same DiT
/// recipe on its latents, samples, and the same evaluation.
///
/// ```yaml
/// kinds: [ae, vtp]
/// tokenizer: {ae: configs/fmnist-tiny-ae.yaml, vtp: configs/fmnist-tiny.yaml, steps: [50, 100, 200, 400, 800]}
/// seeds: [0, 1]
/// dit: {config: configs/dit/fmnist.yaml, overrides: [schedule.steps=600]}
/// quick: ["tokenizer.steps=[10,20,40,80,160]", "dit.overrides=[schedule.steps=100]"]
/// ```
public struct StudyConfig: Codable, Equatable, Sendable {
    /// `tokenizer:` — the two kinds' configs and the compute points.
    public struct TokenizerSection: Codable, Equatable, Sendable {
        /// The AE-only tokenizer config (reconstruction objective only). Default "".
        public var ae = ""
        /// The VTP tokenizer config (CLIP + SSL + reconstruction). Default "".
        public var vtp = ""
        /// Training steps of the compute points (the batch stays the config's). Default [].
        public var steps: [Int] = []
        /// Overrides applied to both kinds' configs (before the study's own: steps, seed, output_dir). Default [].
        public var overrides: [String] = []
        /// Overrides of the AE kind only, after `overrides` (e.g. turning objectives off in a shared config). Default [].
        public var aeOverrides: [String] = []
        /// Overrides of the VTP kind only, after `overrides`. Default [].
        public var vtpOverrides: [String] = []
        public init() {}
    }

    /// `dit:` — the fixed generation recipe.
    public struct DiTSection: Codable, Equatable, Sendable {
        /// The DiT config. Default "".
        public var config = ""
        /// Overrides applied to it (the study sets data.latents, output_dir and seed). Default [].
        public var overrides: [String] = []
        public init() {}
    }

    /// `data:` — the labelled images every cell uses.
    public struct DataSection: Codable, Equatable, Sendable {
        /// Training images: latents, k-NN / probe references, the domain classifier. Default "fmnist".
        public var train = "fmnist"
        /// Held-out images: zero-shot, k-NN / probe queries, reconstruction, the generation reference. Default "fmnist-test".
        public var test = "fmnist-test"
        /// Only the first N training images are encoded to latents (0 = all). Default 0.
        public var latentLimit = 0
        public init() {}
    }

    /// `eval:` — the fixed evaluation of every cell.
    public struct EvalSection: Codable, Equatable, Sendable {
        /// Images of each evaluation set (0 = all). Default 1000.
        public var limit = 1000
        /// Zero-shot templates: grayscale, photo, openai or simple. Default "grayscale".
        public var templates = "grayscale"
        /// Understanding metric besides zero-shot: knn (20-NN) or linear_probe. Default knn.
        public var understanding = "knn"
        /// Epochs of the linear probe. Default 5.
        public var probeEpochs = 5
        /// Generated images per class. Default 20.
        public var samplesPerClass = 20
        /// Euler grid points of the sampler. Default 50.
        public var sampleSteps = 50
        /// Domain classifier folder (`vtp eval train-classifier`); "" = train one for the study into
        /// output_dir/classifier. Default "".
        public var classifier = ""
        /// Epochs of the study's own domain classifier. Default 3.
        public var classifierEpochs = 3
        /// Training images of the study's own domain classifier (0 = all). Default 0.
        public var classifierLimit = 0
        public init() {}
    }

    /// Tokenizer kinds to run, each `ae` or `vtp`. Default [ae, vtp].
    public var kinds = ["ae", "vtp"]
    public var tokenizer = TokenizerSection()
    /// One cell per seed and compute point. Default [0].
    public var seeds = [0]
    public var dit = DiTSection()
    public var data = DataSection()
    public var eval = EvalSection()
    /// Overrides of this study config that `--quick` applies (before the command line's). Default [].
    public var quick: [String] = []
    /// The study folder: cells/, classifier/, study.json, study.csv, study.md, plots. Default "runs/study".
    public var outputDir = "runs/study"

    public init() {}

    public var outputURL: URL { URL(fileURLWithPath: outputDir) }

    /// Reads `url`; with `quick` applies the file's `quick` overrides, then `overrides`. Relative config paths
    /// inside are taken as given (relative to the working directory, as everywhere in vtp).
    public static func load(from url: URL, quick: Bool = false, overrides: [String] = []) throws -> StudyConfig {
        var c: StudyConfig = try ConfigValue(contentsOf: url).decode(defaults: StudyConfig())
        let all = (quick ? c.quick : []) + overrides
        if !all.isEmpty { c = try ConfigValue(contentsOf: url, overrides: all).decode(defaults: StudyConfig()) }
        try c.validate()
        return c
    }

    /// The config file of `kind`.
    public func tokenizerConfig(kind: String) -> String { kind == "ae" ? tokenizer.ae : tokenizer.vtp }

    /// Every problem with the settings (empty when usable).
    public func problems() -> [String] {
        var p = unmet((!kinds.isEmpty, "kinds must name at least one of ae, vtp"),
                      (Set(kinds).count == kinds.count, "kinds must not repeat"),
                      (!tokenizer.steps.isEmpty, "tokenizer.steps must list at least one compute point"),
                      (tokenizer.steps.allSatisfy { $0 > 0 }, "tokenizer.steps must be positive"),
                      (Set(tokenizer.steps).count == tokenizer.steps.count, "tokenizer.steps must not repeat"),
                      (!seeds.isEmpty && seeds.allSatisfy { $0 >= 0 }, "seeds must list at least one seed >= 0"),
                      (Set(seeds).count == seeds.count, "seeds must not repeat"),
                      (!dit.config.isEmpty, "dit.config must name a DiT config (e.g. configs/dit/fmnist.yaml)"),
                      (data.latentLimit >= 0, "data.latent_limit must be >= 0 (0 = all)"),
                      (eval.limit >= 0, "eval.limit must be >= 0 (0 = all)"),
                      (["grayscale", "photo", "openai", "simple"].contains(eval.templates), "eval.templates must be grayscale, photo, openai or simple"),
                      (["knn", "linear_probe"].contains(eval.understanding), "eval.understanding must be knn or linear_probe"),
                      (eval.probeEpochs >= 1, "eval.probe_epochs must be at least 1"),
                      (eval.samplesPerClass >= 2, "eval.samples_per_class must be at least 2"),
                      (eval.sampleSteps >= 2, "eval.sample_steps must be at least 2"),
                      (eval.classifierEpochs >= 1, "eval.classifier_epochs must be at least 1"),
                      (eval.classifierLimit == 0 || eval.classifierLimit >= 10, "eval.classifier_limit must be 0 (all) or at least 10"),
                      (!outputDir.isEmpty, "output_dir must not be empty"))
        for k in kinds where k != "ae" && k != "vtp" { p.append("kinds: unknown kind '\(k)' (ae or vtp)") }
        for k in kinds where tokenizerConfig(kind: k).isEmpty { p.append("tokenizer.\(k) must name the \(k) tokenizer config") }
        return p
    }

    public func validate() throws {
        let p = problems()
        if !p.isEmpty { throw TrainConfigError.invalid(p) }
    }
}
