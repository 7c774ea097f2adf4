import Foundation
import VTPNN
import VTPTensor

/// A LightningDiT model folder: `config.json` (the `LightningDiT.__init__` arguments, official names) and
/// `model.safetensors` (`model.state_dict()`, official keys).
extension LightningDiT {
    /// Loads `directory/config.json` and `directory/model.safetensors`, strictly: every missing, unexpected or
    /// misshapen key is named in one error. The RoPE tables `feat_rope.freqs_cos/_sin` may be absent (recomputed).
    public static func load(directory: URL) throws -> LightningDiT {
        let config = try LightningDiTConfig.load(from: directory.appendingPathComponent("config.json"))
        let model = try LightningDiT(config: config)
        let weights = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else { throw VTPError.missingFile(weights.path) }
        try model.loadWeights(from: try SafeTensorsFile(url: weights))
        return model
    }

    /// Loads a state dict with the official keys into this model, strictly (see `load(directory:)`).
    public func loadWeights(from source: TensorSource) throws {
        try load(from: source, optionalBuffers: ["feat_rope.freqs_cos", "feat_rope.freqs_sin"])
    }

    /// Writes `config.json` and `model.safetensors` (F32, `format: pt`) that the official
    /// `LightningDiT(**config).load_state_dict(..., strict=True)` accepts unchanged. Files are written atomically.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try config.save(to: directory.appendingPathComponent("config.json"))
        try saveSafeTensors(to: directory.appendingPathComponent("model.safetensors"))
    }
}
