import Foundation
import VTPTensor

/// Where `load` reads tensors from: a safetensors file, a sharded checkpoint, or memory.
public protocol TensorSource {
    /// All tensor names.
    var tensorNames: [String] { get }
    /// Shape of a tensor.
    func tensorShape(_ name: String) throws -> [Int]
    /// Values of a tensor converted to F32 (row-major).
    func tensorFloats(_ name: String) throws -> [Float]
}

/// Tensors held in memory by name (tests, conversions, training state).
public struct TensorDictionary: TensorSource {
    public var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    public var tensorNames: [String] { tensors.keys.sorted() }
    public func tensorShape(_ name: String) throws -> [Int] {
        guard let t = tensors[name] else { throw StateDictError.missingTensor(name) }
        return t.shape
    }
    public func tensorFloats(_ name: String) throws -> [Float] {
        guard let t = tensors[name] else { throw StateDictError.missingTensor(name) }
        return t.scalars
    }
}

/// Problems found while loading a state dict; strict loading reports all of them in one error.
public enum StateDictError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case mismatch(missing: [String], unexpected: [String], wrongShape: [String])

    public var description: String {
        switch self {
        case .missingTensor(let n): return "tensor '\(n)' is not in the checkpoint"
        case .mismatch(let missing, let unexpected, let wrongShape):
            var lines = ["checkpoint does not match the model:"]
            if !missing.isEmpty { lines.append("  missing keys (\(missing.count)): " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { lines.append("  unexpected keys (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
            if !wrongShape.isEmpty { lines.append("  wrong shapes (\(wrongShape.count)): " + wrongShape.joined(separator: ", ")) }
            return lines.joined(separator: "\n")
        }
    }
}

extension Module {
    /// Loads every parameter and buffer from `source`.
    ///
    /// Strict by default: keys the model has but the source lacks, keys the source has but the model lacks
    /// (except those in `ignoring`) and shape mismatches are all collected and reported in one error, and
    /// nothing is changed unless everything matches. Optional buffers listed in `optionalBuffers` may be
    /// absent (they keep their computed value).
    public func load(from source: TensorSource, strict: Bool = true, ignoring: Set<String> = [],
                     optionalBuffers: Set<String> = []) throws {
        let params = namedParameters(), buffers = namedBuffers()
        let available = Set(source.tensorNames)
        var missing: [String] = [], wrongShape: [String] = []
        var plan: [(String, [Int], (Tensor) -> Void)] = []
        for (k, p) in params {
            plan.append((k, p.shape, { p.value = $0 }))
        }
        for (k, b) in buffers {
            if !available.contains(k) && optionalBuffers.contains(k) { continue }
            plan.append((k, b.value.shape, { b.value = $0 }))
        }
        var resolved: [(Tensor, (Tensor) -> Void)] = []
        for (k, shape, assign) in plan {
            guard available.contains(k) else { missing.append(k); continue }
            let s = try source.tensorShape(k)
            if s != shape { wrongShape.append("\(k) (checkpoint \(s), model \(shape))"); continue }
            resolved.append((Tensor(try source.tensorFloats(k), shape: s), assign))
        }
        let known = Set(plan.map(\.0)).union(optionalBuffers).union(ignoring)
        let unexpected = strict ? source.tensorNames.filter { !known.contains($0) }.sorted() : []
        if !missing.isEmpty || !wrongShape.isEmpty || !unexpected.isEmpty {
            throw StateDictError.mismatch(missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        }
        for (t, assign) in resolved { assign(t) }
    }

    /// Every parameter and buffer with the dtype it is saved in (parameters: `parameterDType`).
    public func stateDict(parameterDType: DType = .f32) -> [(name: String, tensor: Tensor, dtype: DType)] {
        namedParameters().map { ($0.0, $0.1.value, parameterDType) } + namedBuffers().map { ($0.0, $0.1.value, $0.1.storageDType) }
    }
}
