import Foundation
import VTPModels
import Yams

/// Everything a pre-training run needs, read from YAML with snake_case keys (see each section for its fields
/// and documented defaults; an empty file is a valid config of all defaults).
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, data, objectives, optimizer, teacher, schedule, precision, seed, outputDir = "output_dir", checkpoint
    }

    public init(from decoder: Decoder) throws {
        let r = try SectionReader(decoder, CodingKeys.self), d = Self(unresolved: ())
        model = try r(.model, d.model); data = try r(.data, d.data); objectives = try r(.objectives, d.objectives)
        optimizer = try r(.optimizer, d.optimizer); teacher = try r(.teacher, d.teacher)
        schedule = try r(.schedule, d.schedule); precision = try r(.precision, d.precision); seed = try r(.seed, d.seed)
        outputDir = try r(.outputDir, d.outputDir); checkpoint = try r(.checkpoint, d.checkpoint)
    }

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
    public var vtpConfig: VTPConfig {
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
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainConfigError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                                              ? "not readable" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrainConfigError.unreadable(path: url.path, reason: "not UTF-8 text")
        }
        return try parse(yaml: text, overrides: overrides, validate: validate)
    }

    /// Reads YAML text, applies `overrides` and, when `validate`, checks the combination.
    public static func parse(yaml: String, overrides: [String] = [], validate: Bool = true) throws -> TrainConfig {
        var node: Node
        do {
            node = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
        } catch {
            throw TrainConfigError.syntax("\(error)")
        }
        if case .scalar(let s) = node, s.string.isEmpty || NSNull.construct(from: s) != nil { node = Node([(Node, Node)]()) }
        guard case .mapping = node else {
            throw TrainConfigError.typeMismatch(path: "(top level)", expected: "a mapping of sections (model:, data:, …)",
                                                found: ConfigOverride.describe(node), line: node.mark?.line)
        }
        var config = try decode(node)
        for text in overrides {
            let o = try ConfigOverride(parsing: text)
            (node, config) = try o.apply(to: node)
        }
        // Files named by the config are read, and inherited values filled in, once every override is in.
        try config.model.resolveInitFrom()
        config.resolveInherited()
        if validate { try config.validate() }
        return config
    }

    /// This config with `overrides` applied (and validated when `validate`).
    public func applying(overrides: [String], validate: Bool = true) throws -> TrainConfig {
        try Self.parse(yaml: resolvedYAML(), overrides: overrides, validate: validate)
    }

    /// Decodes a YAML node tree, turning decoding errors into `TrainConfigError`s with the key, the expected
    /// type, what was found, and the line (when the node came from a file).
    static func decode(_ node: Node) throws -> TrainConfig {
        let text: String
        do { text = try Yams.serialize(node: node) } catch { throw TrainConfigError.syntax("\(error)") }
        do {
            return try YAMLDecoder().decode(TrainConfig.self, from: text)
        } catch {
            throw ConfigOverride.explain(error, in: node)
        }
    }

    // MARK: Writing

    /// The complete configuration as YAML: every field, defaults and inherited values included.
    public func resolvedYAML() -> String {
        let tree: ConfigValue
        do { tree = try ConfigValue.encode(self) } catch { preconditionFailure("TrainConfig is always encodable: \(error)") }
        return "# SwiftVTP training configuration (resolved: every field, defaults included)\n" + tree.yaml()
    }

    /// Writes `resolvedYAML()` atomically.
    public func save(to url: URL) throws {
        try Data(resolvedYAML().utf8).write(to: url, options: .atomic)
    }
}
