import Foundation
import VTPModels

/// `model:` — which VTP to train.
///
/// Either `preset: tiny|small|base|large` (default `tiny`) or a full `vtp_config:` block of official
/// `VTPConfig` fields (missing fields take the official defaults), not both. Any official `VTPConfig` field may
/// also be given directly in the section to override the preset or the block, e.g.
///
/// ```yaml
/// model:
///   preset: tiny
///   image_size: 64
///   vision_patch_size: 8
///   decoder_upscale_factor: 8
/// ```
///
/// `train_clip` / `train_reconstruction` of the model are set from the enabled objectives by
/// `TrainConfig.architecture`, not here.
///
/// `init_from: PATH` starts from trained weights instead of a random initialisation: a model folder
/// (`config.json` + `model.safetensors`, e.g. an official checkpoint), one checkpoint of a run
/// (`runs/x/checkpoints/step-00000600`), or a run folder (its newest complete checkpoint). The architecture is
/// then the checkpoint's `config.json` (read once the command-line overrides are applied, and written into the
/// resolved config as a `vtp_config:` block so that a resumed run does not need the file again); field
/// overrides still apply, and `preset` is not allowed with it. The model keeps the checkpoint's towers.
public struct ModelSection: Codable, Equatable, Sendable, ConfigKeyList {
    /// Preset name (`tiny`, `small`, `base`, `large`); nil when `vtpConfig` gives the whole model.
    public private(set) var preset: String?
    /// The `vtp_config:` block as written (nil when a preset is used).
    public private(set) var vtpConfig: VTPConfig?
    /// Weights to start from (a model, checkpoint or run folder); nil for a random initialisation.
    public var initFrom: String?
    /// Field overrides (official field names, values as `VTPConfig` writes them), in the order of its fields.
    var overrides: [ConfigEntry] = []
    /// The preset or block with the overrides applied.
    public private(set) var resolved: VTPConfig

    /// The `tiny` preset, unchanged.
    public init() { self.init(preset: "tiny")! }

    /// A preset (nil for an unknown name).
    public init?(preset: String) {
        guard let c = VTPConfig.preset(preset) else { return nil }
        self.preset = preset
        resolved = c
    }

    /// A full model configuration.
    public init(vtpConfig: VTPConfig) {
        self.vtpConfig = vtpConfig
        resolved = vtpConfig
    }

    /// The official field names that may be overridden (every `VTPConfig` key).
    public static let vtpConfigKeys: [String] = {
        var c = VTPConfig()
        c.decoderUpscaleFactor = 16  // written only when set
        return (try? ConfigValue(encoding: c).keys) ?? []
    }()

    public static var configKeys: [String] { ["preset", "vtp_config", "init_from"] + vtpConfigKeys }

    private enum Key: String, CodingKey { case preset, vtpConfig = "vtp_config", initFrom = "init_from" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        preset = try c.decodeIfPresent(String.self, forKey: .preset)
        initFrom = try c.decodeIfPresent(String.self, forKey: .initFrom).flatMap { $0.isEmpty ? nil : $0 }
        vtpConfig = try c.decodeIfPresent(VTPConfig.self, forKey: .vtpConfig)
        if preset != nil && vtpConfig != nil {
            throw TrainConfigError.invalid(["model: give either 'preset' or a 'vtp_config' block, not both"])
        }
        // With init_from, the checkpoint's config.json is read (and a preset refused) once all overrides are in
        // (`resolveInitFrom`), so that command-line overrides may change or remove either.
        if preset == nil && vtpConfig == nil && initFrom == nil { preset = "tiny" }
        if let p = preset, VTPConfig.preset(p) == nil {
            throw configError(.invalidChoice(path: dottedPath(decoder.codingPath + [Key.preset]), value: p, allowed: VTPConfig.presetNames,
                                             suggestion: nearestName(to: p, in: VTPConfig.presetNames), line: nil),
                              in: try c.superDecoder(forKey: .preset))
        }
        // The field overrides are read by VTPConfig's own decoder (so they get its types), then picked out.
        let present = try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        let patch = try ConfigValue(encoding: try VTPConfig(from: decoder))
        overrides = Self.vtpConfigKeys.filter(present.contains).map { ConfigEntry(key: $0, value: patch[$0] ?? .null()) }
        resolved = try Self.resolve(base: vtpConfig ?? VTPConfig.preset(preset ?? "tiny")!, overrides: overrides)
    }

    /// Reads the architecture of `init_from` (its config.json) when the section has no `vtp_config` block, and
    /// applies the field overrides to it.
    mutating func resolveInitFrom() throws {
        guard let initFrom else { return }
        if preset != nil {
            throw TrainConfigError.invalid(["model: 'init_from' takes the architecture from the checkpoint's config.json; remove 'preset' (or give model.preset=null), and override single fields instead"])
        }
        guard vtpConfig == nil else { return }
        let base = try InitialWeights.config(from: initFrom)
        vtpConfig = base
        resolved = try Self.resolve(base: base, overrides: overrides)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        if let preset { try c.encode(preset, forKey: AnyCodingKey("preset")) }
        if let initFrom { try c.encode(initFrom, forKey: AnyCodingKey("init_from")) }
        if let vtpConfig { try c.encode(vtpConfig, forKey: AnyCodingKey("vtp_config")) }
        for e in overrides { try c.encode(e.value, forKey: AnyCodingKey(e.key)) }
    }

    /// `base` with the override values put in place of its own.
    static func resolve(base: VTPConfig, overrides: [ConfigEntry]) throws -> VTPConfig {
        guard !overrides.isEmpty, case .map(var entries) = try ConfigValue(encoding: base).kind else { return base }
        for o in overrides {
            if let i = entries.firstIndex(where: { $0.key == o.key }) { entries[i].value = o.value } else { entries.append(o) }
        }
        return try ConfigValue(.map(entries)).decode(VTPConfig.self)
    }
}

/// A `vtp_config:` block is read by `VTPConfig`'s own decoder; its keys are the official field names.
extension VTPConfig: ConfigKeyList {
    public static var configKeys: [String] { ModelSection.vtpConfigKeys }
}
