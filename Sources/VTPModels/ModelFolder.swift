import Foundation
import VTPNN
import VTPTensor

/// A configuration stored as a model folder's `config.json`.
public protocol ModelFolderConfig {
    /// Reads and validates the file.
    static func load(from url: URL) throws -> Self
    /// Writes the file atomically.
    func save(to url: URL) throws
}

/// A model stored as a folder: `config.json` (its constructor arguments) and `model.safetensors` (its state dict,
/// F32). `LightningDiT` and `DomainClassifier` are; `VTPModel` has its own loader (sharded weights, towers).
public protocol ModelFolderModel: Module {
    associatedtype Config: ModelFolderConfig
    var config: Config { get }
    init(config: Config, seed: UInt64) throws
    /// Loads a state dict into the model strictly: every missing, unexpected or misshapen key named in one error.
    func loadWeights(from source: TensorSource) throws
}

extension ModelFolderModel {
    /// Loads `directory/config.json` and `directory/model.safetensors`.
    public static func load(directory: URL) throws -> Self {
        let config = try Config.load(from: directory.appendingPathComponent("config.json"))
        let model = try Self(config: config, seed: 0)
        let weights = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else { throw VTPError.missingFile(weights.path) }
        try model.loadWeights(from: try SafeTensorsFile(url: weights))
        return model
    }

    /// Writes `config.json` and `model.safetensors` (F32), each atomically.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try config.save(to: directory.appendingPathComponent("config.json"))
        try saveSafeTensors(to: directory.appendingPathComponent("model.safetensors"))
    }
}
