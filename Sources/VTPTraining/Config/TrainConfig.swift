import Foundation
import VTPModels

/// Everything a pre-training run needs, read from YAML with snake_case keys (see each section for its fields
/// and documented defaults; an empty file is a valid config of all defaults). Each section is a plain struct
/// whose fields are declared once with their default; `ConfigValue.decode(defaults:)` reads them (field
/// `minLR` is key `min_lr`), and the section's `problems()` checks it.
///
/// ```swift
/// let config = try TrainConfig.load(from: url, overrides: ["optimizer.lr=3e-4", "objectives.dino.enabled=false"])
/// try config.save(to: outputDir.appendingPathComponent("train_config.yaml"))   // the full resolved config
/// ```
///
/// Reading is strict: an unknown key is an error naming the nearest valid key, a wrong type names the key and
/// the expected type, a wrong choice lists the choices. Settings that default to 0 meaning "inherit" are
/// resolved when the config is read (`resolveInherited()`), so `resolvedYAML()` writes concrete values and
/// reading it back gives an equal config.
public struct TrainConfig: Codable, Equatable, Sendable {
    /// The model to train.
    public var model = ModelSection()
    /// Images and crops.
    public var data = DataSection()
    /// Losses and their settings.
    public var objectives = Objectives()
    /// AdamW and its schedules.
    public var optimizer = OptimizerSection()
    /// The EMA teacher.
    public var teacher = TeacherSection()
    /// Steps, batch size, evaluation and logging intervals.
    public var schedule = ScheduleSection()
    /// Matmul precision. Default fp32.
    public var precision: Precision = .fp32
    /// Seed of every random choice (initialisation, data order, augmentation, masks). Default 0.
    public var seed = 0
    /// Run directory: checkpoints/, metrics.jsonl, plots. Default "runs/vtp".
    public var outputDir = "runs/vtp"
    /// Checkpoint interval and retention.
    public var checkpoint = CheckpointSection()

    /// All defaults (the `tiny` preset), with inherited values resolved.
    public init() { resolveInherited() }

    /// All defaults with the "0 = inherit" settings still 0 (what reading starts from: `parse` resolves them
    /// after the overrides, from the model that was read, not from the default one).
    private init(unresolved: Void) {}

    /// Replaces the "0 = inherit" settings by what they inherit: `data.image_size` ← the model's `image_size`,
    /// `data.global_size` ← `data.image_size`, `objectives.clip.batch_size` ← `schedule.batch_size`.
    public mutating func resolveInherited() {
        if data.imageSize == 0 { data.imageSize = model.resolved.imageSize }
        if data.globalSize == 0 { data.globalSize = data.imageSize }
        if objectives.clip.batchSize == 0 { objectives.clip.batchSize = schedule.batchSize }
    }

    /// The model to build: `model.resolved` with `train_clip` set when the CLIP objective is on and
    /// `train_reconstruction` when reconstruction or GAN is on (so the model has exactly the towers the
    /// objectives use). With `model.init_from` the model keeps the checkpoint's towers instead (the ones no
    /// objective uses are frozen). With `clip.loss: siglip` and no logit scale/bias given, SigLIP's initial values
    /// (scale log 10, bias −10) are used.
    public var architecture: VTPConfig {
        var c = model.resolved
        if model.initFrom == nil {
            c.trainClip = objectives.clip.enabled
            c.trainReconstruction = objectives.reconstruction.enabled || objectives.gan.enabled
        }
        if objectives.clip.enabled && objectives.clip.loss == .siglip {
            if c.initLogitScale == nil { c.initLogitScale = Foundation.log(10.0) }
            if c.initLogitBias == nil { c.initLogitBias = -10 }
        }
        return c
    }

    /// `seed` as the RNG seed.
    public var rngSeed: UInt64 { UInt64(bitPattern: Int64(seed)) }

    /// `output_dir` as a URL.
    public var outputURL: URL { URL(fileURLWithPath: outputDir) }

    // MARK: Reading

    /// Reads `url`, applies `overrides` (`key.sub=value`, in order) and, when `validate`, checks the combination.
    public static func load(from url: URL, overrides: [String] = [], validate: Bool = true) throws -> TrainConfig {
        try read(ConfigValue(contentsOf: url, overrides: overrides), validate: validate)
    }

    /// Reads YAML text, applies `overrides` and, when `validate`, checks the combination.
    public static func parse(yaml: String, overrides: [String] = [], validate: Bool = true) throws -> TrainConfig {
        try read(ConfigValue(yaml: yaml, overrides: overrides), validate: validate)
    }

    /// Decodes the tree (once, over the defaults), then reads the files the config names and fills in the
    /// inherited values, which depend on every override.
    private static func read(_ tree: ConfigValue, validate: Bool) throws -> TrainConfig {
        var config = try tree.decode(defaults: TrainConfig(unresolved: ()))
        try config.model.resolveInitFrom()
        config.resolveInherited()
        if validate { try config.validate() }
        return config
    }

    /// This config with `overrides` applied (and validated when `validate`).
    public func applying(overrides: [String], validate: Bool = true) throws -> TrainConfig {
        try Self.parse(yaml: resolvedYAML(), overrides: overrides, validate: validate)
    }

    // MARK: Writing

    /// The complete configuration as YAML: every field, defaults and inherited values included.
    public func resolvedYAML() -> String {
        // The tree encoder throws only for values it cannot represent, and a TrainConfig has none.
        let tree = (try? ConfigValue(encoding: self)) ?? ConfigValue(.map([]))
        return "# SwiftVTP training configuration (resolved: every field, defaults included)\n" + tree.yaml()
    }

    /// Writes `resolvedYAML()` atomically.
    public func save(to url: URL) throws {
        try Data(resolvedYAML().utf8).write(to: url, options: .atomic)
    }
}

/// Arithmetic precision of the forward and backward matmuls.
public enum Precision: String, ConfigChoice, Sendable {
    case fp32, bf16
}

extension TrainConfig {
    /// Every problem with the settings (empty when the config is usable): each section's own, then the checks
    /// that involve several sections.
    public func problems() -> [String] {
        let o = objectives, m = architecture, patch = m.visionPatchSize
        let reconstructs = o.reconstruction.enabled || o.gan.enabled
        var p = o.problems()
        p += unmet((!o.gan.enabled || model.initFrom != nil,
                    "objectives.gan fine-tunes the decoder of a trained encoder: set model.init_from to the first stage's run folder or checkpoint"),
                   (model.initFrom == nil || !o.clip.enabled || m.trainClip,
                    "objectives.clip needs the CLIP towers, but the model.init_from checkpoint has none (train_clip: false)"),
                   (model.initFrom == nil || !reconstructs || m.trainReconstruction,
                    "objectives.reconstruction needs a pixel decoder, but the model.init_from checkpoint has none (train_reconstruction: false)"),
                   (!reconstructs || m.upscaleFactor == patch,
                    "objectives.reconstruction needs model decoder_upscale_factor (\(m.upscaleFactor)) == vision_patch_size (\(patch)) so that reconstructions have the input size; set model.decoder_upscale_factor=\(patch)"),
                   (!o.gan.enabled || PatchDiscriminator.outputSize(inputSize: data.imageSize, layers: o.gan.discLayers) >= 1,
                    "objectives.gan.disc_layers (\(o.gan.discLayers)) is too deep for \(data.imageSize)-pixel images (the discriminator's output would be empty); use fewer layers"))
        do { try m.validate() } catch let VTPError.invalidConfig(list) {
            p += list.map { "model: \($0)" }
        } catch { p.append("model: \(error)") }
        p += data.problems()
        p += unmet((patch > 0 && data.imageSize > 0 && data.imageSize % patch == 0,
                    "data.image_size (\(data.imageSize)) must be a positive multiple of vision_patch_size (\(patch))"))
        if o.dino.enabled && patch > 0 { p += data.cropProblems(patchSize: patch) }
        p += optimizer.problems()
        p += unmet((optimizer.warmupSteps >= 0 && optimizer.warmupSteps <= schedule.steps,
                    "optimizer.warmup_steps (\(optimizer.warmupSteps)) must be in [0, schedule.steps (\(schedule.steps))]"))
        p += teacher.problems() + schedule.problems()
        p += unmet((seed >= 0, "seed must be >= 0"), (!outputDir.isEmpty, "output_dir must not be empty"))
        return p + checkpoint.problems()
    }

    /// Throws `TrainConfigError.invalid` listing every problem.
    public func validate() throws {
        let p = problems()
        if !p.isEmpty { throw TrainConfigError.invalid(p) }
    }
}
