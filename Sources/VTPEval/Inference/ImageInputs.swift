import Foundation
import VTPData
import VTPModels
import VTPTensor

/// How image files become model inputs.
public enum Preprocessing: String, CaseIterable, Sendable {
    /// ADM centre crop to the input size (the official reconstruction / encoding preprocessing).
    case adm
    /// Resize to size×size without keeping the aspect ratio (the official zero-shot / embedding preprocessing).
    case squash
}

/// Image files to run a model on, with their preprocessing and batch size.
public struct ImageInputs: Sendable {
    public var paths: [String]
    /// Square input side (a multiple of the patch size); nil: the model's `image_size`.
    public var size: Int?
    /// nil: the task's official preprocessing (`adm` for reconstruction/encoding/features, `squash` for CLIP).
    public var preprocessing: Preprocessing?
    /// Images per forward pass.
    public var batch: Int

    public init(paths: [String], size: Int? = nil, preprocessing: Preprocessing? = nil, batch: Int = 8) {
        self.paths = paths
        self.size = size
        self.preprocessing = preprocessing
        self.batch = max(batch, 1)
    }

    /// The preprocessing pipeline for `model`, with `task`'s default when none was chosen.
    public func pipeline(for model: VTPModel, default task: Preprocessing) throws -> Preprocess.Pipeline {
        let s = size ?? model.config.imageSize
        guard s > 0, s % model.config.visionPatchSize == 0 else {
            throw VTPError.invalidImageSize(height: s, width: s, patch: model.config.visionPatchSize)
        }
        return (preprocessing ?? task) == .squash ? .zeroShot(size: s) : .reconstruction(size: s)
    }

    /// Loads the images in batches and calls `body(paths, images [B, 3, S, S])` (ImageNet-normalised).
    public func forEachBatch(model: VTPModel, default task: Preprocessing, _ body: ([String], Tensor) throws -> Void) throws {
        let pipeline = try pipeline(for: model, default: task)
        for start in stride(from: 0, to: paths.count, by: batch) {
            let chunk = Array(paths[start..<min(start + batch, paths.count)])
            try body(chunk, try ImageTensors.load(chunk.map { URL(fileURLWithPath: $0) }, pipeline: pipeline))
        }
    }

    /// "photo.jpg" → "photo".
    public static func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
}

/// Output folders and tensor files shared by the inference API.
public enum OutputFiles {
    /// Creates `path` (and its parents) or says why it cannot.
    public static func directory(_ path: String) throws -> URL {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw VTPError.invalidInput("cannot create output folder \(path): \(error.localizedDescription)")
        }
        return URL(fileURLWithPath: path)
    }

    /// Writes named F32 tensors (in order) as safetensors, atomically.
    public static func writeTensors(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        var w = SafeTensorsWriter(metadata: ["format": "pt"].merging(metadata) { $1 })
        for (k, t) in tensors { try w.add(name: k, shape: t.shape, floats: t.scalars) }
        try w.write(to: url)
    }
}
