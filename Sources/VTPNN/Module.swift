import VTPTensor

/// A piece of a model whose parameters have checkpoint keys.
///
/// A module lists its parameters, persistent buffers and child modules once, each with its key, in `items`;
/// everything else (walking, strict loading, saving, freezing) is derived from that list. Keys join with
/// dots, and lists of children are numbered: `blocks.0.attn.qkv.weight`.
public protocol Module: AnyObject {
    /// Direct parameters, buffers and children, each with its checkpoint key.
    var items: [ModuleItem] { get }
}

/// One entry of `Module.items`.
public enum ModuleItem {
    /// A trainable tensor (`nil` when this configuration has none, e.g. a Linear without bias).
    case parameter(String, Parameter?)
    /// A saved, non-trainable tensor with the dtype it is written in (e.g. RoPE periods in BF16).
    case buffer(String, Buffer?)
    /// A child module.
    case child(String, Module?)
    /// Numbered children (`key.0`, `key.1`, …).
    case list(String, [Module])
}

/// A persistent non-trainable tensor.
public final class Buffer {
    public var value: Tensor
    /// The dtype the official checkpoint stores it in.
    public var storageDType: DType

    public init(_ value: Tensor, storageDType: DType = .f32) {
        self.value = value
        self.storageDType = storageDType
    }
}

extension Module {
    /// Every parameter with its full key, in declaration order.
    public func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        walk(prefix: prefix, parameter: { out.append(($0, $1)) }, buffer: { _, _ in })
        return out
    }

    /// Every persistent buffer with its full key.
    public func namedBuffers(prefix: String = "") -> [(String, Buffer)] {
        var out: [(String, Buffer)] = []
        walk(prefix: prefix, parameter: { _, _ in }, buffer: { out.append(($0, $1)) })
        return out
    }

    /// Parameters that currently require gradients.
    public var trainableParameters: [Parameter] { namedParameters().map(\.1).filter(\.requiresGrad) }

    /// Total number of parameter elements.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.1.value.count } }

    /// Sets `requiresGrad` on every parameter.
    public func setTrainable(_ on: Bool) { for (_, p) in namedParameters() { p.requiresGrad = on } }

    /// Drops accumulated gradients.
    public func zeroGrad() { for (_, p) in namedParameters() { p.zeroGrad() } }

    func walk(prefix: String, parameter: (String, Parameter) -> Void, buffer: (String, Buffer) -> Void) {
        // An empty key inlines a child's items at this level (the official text tower is flattened that way).
        func key(_ k: String) -> String { prefix.isEmpty ? k : (k.isEmpty ? prefix : prefix + "." + k) }
        for item in items {
            switch item {
            case .parameter(let k, let p?): parameter(key(k), p)
            case .buffer(let k, let b?): buffer(key(k), b)
            case .child(let k, let m?): m.walk(prefix: key(k), parameter: parameter, buffer: buffer)
            case .list(let k, let ms):
                for (i, m) in ms.enumerated() { m.walk(prefix: key(k) + ".\(i)", parameter: parameter, buffer: buffer) }
            default: break
            }
        }
    }
}
