import Foundation
import VTPTensor

extension SafeTensorsFile: TensorSource {
    public var tensorNames: [String] { names }
    public func tensorShape(_ name: String) throws -> [Int] { try info(name).shape }
    public func tensorFloats(_ name: String) throws -> [Float] { try floats(name) }
}

extension ShardedSafeTensors: TensorSource {
    public var tensorNames: [String] { names }
    public func tensorShape(_ name: String) throws -> [Int] { try info(name).shape }
    public func tensorFloats(_ name: String) throws -> [Float] { try floats(name) }
}

extension Module {
    /// Writes the state dict as one safetensors file (atomically), each tensor in its storage dtype.
    public func saveSafeTensors(to url: URL, metadata: [String: String] = ["format": "pt"], parameterDType: DType = .f32) throws {
        var w = SafeTensorsWriter(metadata: metadata)
        for (name, t, dtype) in stateDict(parameterDType: parameterDType) {
            try w.add(name: name, tensor: t, as: dtype)
        }
        try w.write(to: url)
    }
}
