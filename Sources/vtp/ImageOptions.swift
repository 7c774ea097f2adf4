import ArgumentParser
import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// How input images are turned into model tensors.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "Square input size (a multiple of the patch size); default: the model's image_size.")
    var size: Int?

    @Option(name: .long, help: "Preprocessing: adm (centre crop, as the official reconstruction), squash (resize to size×size, as zero-shot).")
    var preprocess: String?

    @Option(name: .long, help: "Images per forward pass.")
    var batch: Int = 8

    func validate() throws {
        if let p = preprocess, !["adm", "squash"].contains(p) { throw ValidationError("--preprocess must be adm or squash") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let size, size < 1 { throw ValidationError("--size must be positive") }
    }

    func pipeline(for model: VTPModel, default kind: String) throws -> Preprocess.Pipeline {
        let s = size ?? model.config.imageSize
        guard s % model.config.visionPatchSize == 0 else {
            throw VTPError.invalidImageSize(height: s, width: s, patch: model.config.visionPatchSize)
        }
        return (preprocess ?? kind) == "squash" ? .zeroShot(size: s) : .reconstruction(size: s)
    }

    /// Loads `paths` in batches and calls `body(paths, batchTensor)`.
    func forEachBatch(_ paths: [String], pipeline: Preprocess.Pipeline, _ body: ([String], Tensor) throws -> Void) throws {
        for start in stride(from: 0, to: paths.count, by: batch) {
            let chunk = Array(paths[start..<min(start + batch, paths.count)])
            let images = try ImageTensors.load(chunk.map { URL(fileURLWithPath: $0) }, pipeline: pipeline)
            try body(chunk, images)
        }
    }
}

extension ModelOptions {
    /// Loads the model with the chosen RoPE precision.
    func load() throws -> VTPModel {
        let m = try VTPModel.load(directory: URL(fileURLWithPath: model))
        m.ropePrecision = RopePrecision(rawValue: ropePrecision) ?? .bf16
        return m
    }
}

/// "photo.jpg" → "photo".
func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

func ensureDirectory(_ path: String) throws {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
        throw ValidationError("cannot create output folder \(path): \(error.localizedDescription)")
    }
}
