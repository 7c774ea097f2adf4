import VTPNN
import VTPTensor

/// State an objective carries from step to step (e.g. the DINO teacher centre), saved and restored by the trainer
/// as named tensors next to the model's own.
public protocol ObjectiveState {
    /// The state as named tensors, each name starting with `prefix` + ".".
    func stateTensors(prefix: String) -> [String: Tensor]
    /// Restores the state written by `stateTensors(prefix:)`; throws when a tensor is missing or has another shape.
    mutating func loadState(from source: TensorSource, prefix: String) throws
}

/// Problems restoring objective state.
public enum ObjectiveStateError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case wrongShape(name: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missing(let n): return "objective state '\(n)' is not in the checkpoint"
        case .wrongShape(let n, let e, let f): return "objective state '\(n)' has shape \(f), expected \(e)"
        }
    }
}

extension ObjectiveState {
    /// Reads tensor `name` of the given shape from `source`.
    func readTensor(_ name: String, shape: [Int], from source: TensorSource) throws -> Tensor {
        guard source.tensorNames.contains(name) else { throw ObjectiveStateError.missing(name) }
        let found = try source.tensorShape(name)
        guard found == shape else { throw ObjectiveStateError.wrongShape(name: name, expected: shape, found: found) }
        return Tensor(try source.tensorFloats(name), shape: shape)
    }
}
