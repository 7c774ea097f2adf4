import Foundation
import VTPData
import VTPNN
import VTPTensor

/// A JSON value (for the scalar part of a training state).
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// What a trainer saves besides the model: named F32 tensors (teacher weights, heads, optimizer moments,
/// centres, …) and JSON scalars (step, RNG states, data cursor, …). The trainer decides what goes in;
/// `CheckpointManager` writes tensors to `training_state.safetensors` and scalars to `training_state.json`.
public struct TrainingState: @unchecked Sendable {
    /// Completed optimizer steps (a resumed run continues with this step).
    public var step: Int
    /// Named tensors, saved as F32.
    public var tensors: [String: Tensor]
    /// Named JSON scalars.
    public var scalars: [String: JSONValue]

    public init(step: Int = 0, tensors: [String: Tensor] = [:], scalars: [String: JSONValue] = [:]) {
        self.step = step
        self.tensors = tensors
        self.scalars = scalars
    }

    // MARK: Tensors

    /// The tensor `name`, or an error naming it and what the state has.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw CheckpointError.stateMismatch("training state has no tensor '\(name)' (it has \(tensors.count): "
                                                + tensors.keys.sorted().prefix(8).joined(separator: ", ") + (tensors.count > 8 ? ", …)" : ")"))
        }
        return t
    }

    /// Tensors whose names start with `prefix + "."`, with the prefix removed.
    public func tensors(withPrefix prefix: String) -> [String: Tensor] {
        let p = prefix + "."
        var out: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(p) { out[String(k.dropFirst(p.count))] = v }
        return out
    }

    /// Stores every parameter and buffer of `module` as `prefix.key` (copies, so later updates do not leak in).
    public mutating func add(module: Module, prefix: String) {
        for (k, p) in module.namedParameters() { tensors["\(prefix).\(k)"] = p.value.copy() }
        for (k, b) in module.namedBuffers() { tensors["\(prefix).\(k)"] = b.value.copy() }
    }

    /// Loads `module` strictly from the `prefix.*` tensors (every key must match, shapes included).
    public func restore(module: Module, prefix: String) throws {
        try module.load(from: TensorDictionary(tensors(withPrefix: prefix)))
    }

    /// Stores AdamW's moments as `prefix.m.<name>` / `prefix.v.<name>` and its step as the scalar `prefix.step`.
    /// `names` label the optimizer's parameters in `allParameters` order (default: their indices).
    public mutating func add(optimizer: AdamW, prefix: String, names: [String]? = nil) {
        let labels = names ?? optimizer.m.indices.map { "\($0)" }
        precondition(labels.count == optimizer.m.count, "add(optimizer:): \(labels.count) names for \(optimizer.m.count) parameters")
        for (i, label) in labels.enumerated() {
            tensors["\(prefix).m.\(label)"] = optimizer.m[i].copy()
            tensors["\(prefix).v.\(label)"] = optimizer.v[i].copy()
        }
        scalars["\(prefix).step"] = .int(optimizer.step)
    }

    /// Restores AdamW's moments and step saved by `add(optimizer:prefix:names:)`.
    public func restore(optimizer: AdamW, prefix: String, names: [String]? = nil) throws {
        let labels = names ?? optimizer.m.indices.map { "\($0)" }
        guard labels.count == optimizer.m.count else {
            throw CheckpointError.stateMismatch("\(labels.count) names for \(optimizer.m.count) optimizer parameters")
        }
        var m: [Tensor] = [], v: [Tensor] = []
        for (i, label) in labels.enumerated() {
            let tm = try tensor("\(prefix).m.\(label)"), tv = try tensor("\(prefix).v.\(label)")
            guard tm.shape == optimizer.m[i].shape, tv.shape == optimizer.v[i].shape else {
                throw CheckpointError.stateMismatch("optimizer moment '\(prefix).m.\(label)' has shape \(tm.shape), the parameter \(optimizer.m[i].shape)")
            }
            m.append(tm.copy()); v.append(tv.copy())
        }
        optimizer.m = m
        optimizer.v = v
        optimizer.restore(step: try int("\(prefix).step"))
    }

    // MARK: Scalars

    /// The integer `name`.
    public func int(_ name: String) throws -> Int {
        switch scalars[name] {
        case .int(let i)?: return i
        case .double(let d)? where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: throw scalarError(name, "an integer")
        }
    }

    /// The number `name` (integers included).
    public func double(_ name: String) throws -> Double {
        switch scalars[name] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        case .string(let s)? where ["nan", "inf", "-inf"].contains(s): return Double(s)!
        default: throw scalarError(name, "a number")
        }
    }

    /// The string `name`.
    public func string(_ name: String) throws -> String {
        if case .string(let s)? = scalars[name] { return s }
        throw scalarError(name, "a string")
    }

    /// The boolean `name`.
    public func bool(_ name: String) throws -> Bool {
        if case .bool(let b)? = scalars[name] { return b }
        throw scalarError(name, "true or false")
    }

    /// Stores a number; non-finite values are kept as the strings "nan", "inf", "-inf" (JSON has no such numbers).
    public mutating func set(_ name: String, double value: Double) {
        scalars[name] = value.isFinite ? .double(value) : .string(value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }

    /// Stores a generator's state (four 64-bit words, as hex strings so that JSON keeps every bit).
    public mutating func set(_ name: String, rng: RNG) {
        scalars[name] = .array(rng.stateWords.map { .string(String($0, radix: 16)) })
    }

    /// The generator stored by `set(_:rng:)`.
    public func rng(_ name: String) throws -> RNG {
        guard case .array(let words)? = scalars[name], words.count == 4 else { throw scalarError(name, "an RNG state (4 hex words)") }
        var state: [UInt64] = []
        for w in words {
            guard case .string(let s) = w, let v = UInt64(s, radix: 16) else { throw scalarError(name, "an RNG state (4 hex words)") }
            state.append(v)
        }
        return RNG(state: state)
    }

    /// Stores a data loader's position as the scalars `<prefix>_epoch` and `<prefix>_position`.
    public mutating func set(_ prefix: String, cursor: DataCursor) {
        set(prefix + "_epoch", double: Double(cursor.epoch))
        set(prefix + "_position", double: Double(cursor.position))
    }

    /// The position stored by `set(_:cursor:)`.
    public func cursor(_ prefix: String) throws -> DataCursor {
        DataCursor(epoch: try int(prefix + "_epoch"), position: try int(prefix + "_position"))
    }

    private func scalarError(_ name: String, _ expected: String) -> CheckpointError {
        if let v = scalars[name] { return .stateMismatch("training state scalar '\(name)' is \(v), expected \(expected)") }
        return .stateMismatch("training state has no scalar '\(name)' (it has: \(scalars.keys.sorted().joined(separator: ", ")))")
    }
}
