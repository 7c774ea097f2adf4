import Foundation
import VTPModels
import VTPNN

/// Where `model.init_from` points: a model folder, one checkpoint of a run, or a run folder.
///
/// ```
/// models/vtp-s/                              config.json + model.safetensors (official layout)
/// runs/fmnist-tiny/checkpoints/step-00000600 a checkpoint (it holds the model files too)
/// runs/fmnist-tiny                           a run: its newest complete checkpoint
/// ```
public enum InitialWeights {
    /// The folder holding `config.json` and the weights that `path` names.
    public static func modelDirectory(for path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw TrainConfigError.invalid(["model.init_from: \(path) does not exist (train that run first, or point model.init_from=… at a run, checkpoint or model folder)"])
        }
        guard isDir.boolValue else {
            throw TrainConfigError.invalid(["model.init_from: \(path) is a file; give the folder that holds config.json and model.safetensors (or a run folder)"])
        }
        if fm.fileExists(atPath: url.appendingPathComponent("config.json").path) { return url }
        if fm.fileExists(atPath: url.appendingPathComponent("checkpoints").path) {
            let manager = CheckpointManager(directory: url, keepLast: 1)
            manager.verifyHashes = false
            let latest: LoadedCheckpoint?
            do {
                latest = try manager.loadLatest()
            } catch {
                throw TrainConfigError.invalid(["model.init_from: \(path): \(error)"])
            }
            guard let latest else { throw TrainConfigError.invalid(["model.init_from: the run \(path) has no checkpoint yet"]) }
            return latest.directory
        }
        throw TrainConfigError.invalid(["model.init_from: \(path) has neither config.json (a model or checkpoint folder) nor checkpoints/ (a run folder)"])
    }

    /// The architecture of the model at `path` (its `config.json`).
    public static func config(from path: String) throws -> VTPConfig {
        let dir = try modelDirectory(for: path)
        do {
            return try VTPConfig.load(from: dir.appendingPathComponent("config.json"))
        } catch {
            throw TrainConfigError.invalid(["model.init_from: \(error)"])
        }
    }

    /// Loads the weights at `path` into `model` strictly (every missing, unexpected or misshapen key is named).
    public static func load(into model: VTPModel, from path: String) throws {
        let dir = try modelDirectory(for: path)
        do {
            try model.loadWeights(directory: dir)
        } catch {
            throw TrainConfigError.invalid(["model.init_from: cannot load \(dir.path) into the configured model: \(error)"])
        }
    }
}
