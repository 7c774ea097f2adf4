import Foundation
import VTPData
import VTPNN
import VTPTensor

extension TorchCheckpoint: TensorSource {
    public var tensorNames: [String] { names }
    public func tensorShape(_ name: String) throws -> [Int] {
        guard let t = self[name] else { throw StateDictError.missingTensor(name) }
        return t.shape
    }
    public func tensorFloats(_ name: String) throws -> [Float] {
        guard let t = self[name] else { throw StateDictError.missingTensor(name) }
        return t.floats
    }
}

/// Weight files as they are published: safetensors, or PyTorch checkpoints (`.pt`, `.pth`, `.bin`, `.ckpt`) read by
/// the safe `TorchCheckpoint` reader.
public enum WeightFiles {
    /// The tensors of `url`, chosen by its content: a PyTorch zip or pickle, otherwise safetensors.
    public static func open(_ url: URL, key: String? = nil) throws -> TensorSource {
        guard FileManager.default.fileExists(atPath: url.path) else { throw FormatError.unreadable(file: url.path, reason: "no such file") }
        if isTorchCheckpoint(url) || key != nil {
            return try TorchCheckpoint(url: url, key: key)
        }
        return try SafeTensorsFile(url: url)
    }

    /// Whether `url` names a PyTorch checkpoint by its extension (`.pt`, `.pth`, `.bin`, `.ckpt`, `.tar`).
    public static func isTorchCheckpoint(_ url: URL) -> Bool {
        ["pt", "pth", "bin", "ckpt", "tar"].contains(url.pathExtension.lowercased())
    }

    /// Converts a PyTorch checkpoint to safetensors (tensors in their dtype, in checkpoint order); returns the
    /// checkpoint, whose `skipped` lists the non-tensor values left out.
    @discardableResult
    public static func convert(_ input: URL, to output: URL, key: String? = nil) throws -> TorchCheckpoint {
        let ckpt = try TorchCheckpoint(url: input, key: key)
        var w = SafeTensorsWriter(metadata: ["format": "pt", "source": input.lastPathComponent])
        for (name, t) in ckpt.tensors { try w.add(name: name, shape: t.shape, dtype: t.dtype, bytes: t.bytes) }
        try w.write(to: output)
        return ckpt
    }
}
