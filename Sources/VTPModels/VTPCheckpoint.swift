import Foundation
import VTPNN
import VTPTensor

/// Reading and writing models in the official Hugging Face layout: `config.json` + `model.safetensors`
/// (or `model.safetensors.index.json` with shards).
extension VTPModel {
    /// Loads `directory/config.json` and the weights, strictly: every missing, unexpected or misshapen key is
    /// named in one error. RoPE `periods` may be absent (they are recomputed).
    public static func load(directory: URL) throws -> VTPModel {
        let config = try VTPConfig.load(from: directory.appendingPathComponent("config.json"))
        let model = try VTPModel(config: config)
        try model.loadWeights(directory: directory)
        return model
    }

    /// Loads the weights of `directory` (`model.safetensors` or a sharded index) into this model, strictly; its
    /// `config.json` is not read, so the model's own architecture must match the file.
    public func loadWeights(directory: URL) throws {
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        let source: TensorSource
        if FileManager.default.fileExists(atPath: single.path) {
            source = try SafeTensorsFile(url: single)
        } else if FileManager.default.fileExists(atPath: index.path) {
            source = try ShardedSafeTensors(indexURL: index)
        } else {
            throw VTPError.missingFile("\(single.path) (or model.safetensors.index.json)")
        }
        let optional: Set<String> = ["trunk.rope_embed.periods", "pixel_decoder.rope_embed.periods"]
        try load(from: source, optionalBuffers: optional)
        trunk.ropeEmbed.invalidate()
        pixelDecoder?.ropeEmbed.invalidate()
    }

    /// Writes `config.json` and `model.safetensors` (F32 parameters, BF16 RoPE periods, `format: pt`) so that
    /// the official `VTPModel.from_pretrained(directory)` loads them unchanged. Files are written atomically.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try config.save(to: directory.appendingPathComponent("config.json"))
        try saveSafeTensors(to: directory.appendingPathComponent("model.safetensors"))
    }
}

extension VTPConfig {
    /// Reads and validates a `config.json`.
    public static func load(from url: URL) throws -> VTPConfig {
        let config = try ConfigJSON.read(VTPConfig.self, from: url, what: "VTP")
        try config.validate()
        return config
    }

    /// Writes the config as pretty, key-sorted JSON (atomically).
    public func save(to url: URL) throws {
        try ConfigJSON.write(self, to: url)
    }
}
