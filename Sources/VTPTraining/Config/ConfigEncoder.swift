import Foundation

extension ConfigValue {
    /// Encodes any `Encodable` into a tree, keys in snake_case (`configKey`), nil optionals as `null` (so that the
    /// tree of a default instance lists every field, optional ones included).
    public init<T: Encodable>(encoding value: T) throws {
        let root = TreeNode()
        try encodeTree(value, into: root)
        self = root.value
    }
}

/// The key a Swift name is written as: `minLR` → `min_lr`, `outputDir` → `output_dir`,
/// `localCropsNumber` → `local_crops_number`; snake_case names stay as they are.
func configKey(_ name: String) -> String {
    let chars = Array(name)
    var out = ""
    for (i, c) in chars.enumerated() {
        if c.isUppercase && i > 0 {
            let prev = chars[i - 1], next = i + 1 < chars.count ? chars[i + 1] : nil
            if prev.isLowercase || prev.isNumber || (prev.isUppercase && next?.isLowercase == true) { out += "_" }
        }
        out += c.lowercased()
    }
    return out
}

/// A node being filled by the encoder.
private final class TreeNode {
    enum Kind { case unset, value(ConfigValue), map([(String, TreeNode)]), list([TreeNode]) }
    var kind: Kind = .unset

    var value: ConfigValue {
        switch kind {
        case .unset: return .null()
        case .value(let v): return v
        case .map(let entries): return ConfigValue(.map(entries.map { ConfigEntry(key: $0.0, value: $0.1.value) }))
        case .list(let items): return ConfigValue(.list(items.map(\.value)))
        }
    }

    func child(_ key: String) -> TreeNode {
        var entries: [(String, TreeNode)] = []
        if case .map(let e) = kind { entries = e }
        if let existing = entries.first(where: { $0.0 == key }) { return existing.1 }
        let n = TreeNode()
        kind = .map(entries + [(key, n)])
        return n
    }

    func append() -> TreeNode {
        let n = TreeNode()
        if case .list(let items) = kind { kind = .list(items + [n]) } else { kind = .list([n]) }
        return n
    }
}

/// Scalars are written as their YAML text; a `ConfigValue` is put in as it is; anything else encodes itself.
private func encodeTree<T: Encodable>(_ value: T, into node: TreeNode) throws {
    let plain: String
    switch value {
    case let v as ConfigValue: node.kind = .value(v); return
    case let v as String: node.kind = .value(ConfigValue(.scalar(v, plain: false))); return
    case let v as Bool: plain = v ? "true" : "false"
    case let v as Double: plain = ConfigValue.formatDouble(v)
    case let v as Float: plain = ConfigValue.formatDouble(Double("\(v)") ?? Double(v))
    case let v as any BinaryInteger: plain = "\(v)"
    default: try value.encode(to: TreeEncoder(node: node)); return
    }
    node.kind = .value(ConfigValue(.scalar(plain, plain: true)))
}

/// Fills a `TreeNode` (coding paths are not tracked: encoding a config cannot fail on a value).
private struct TreeEncoder: Encoder {
    let node: TreeNode
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = node.kind {} else { node.kind = .map([]) }
        return KeyedEncodingContainer(Keyed<Key>(node: node))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .list = node.kind {} else { node.kind = .list([]) }
        return Unkeyed(node: node)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(node: node) }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: TreeNode
        var codingPath: [CodingKey] { [] }

        private func child(_ key: Key) -> TreeNode { node.child(configKey(key.stringValue)) }
        mutating func encodeNil(forKey key: Key) throws { child(key).kind = .value(.null()) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encodeTree(value, into: child(key)) }
        // nil optionals are written as null, so that every field of a default instance is in its tree (the scalar
        // types have requirements of their own, which the generic one does not replace).
        private mutating func orNull(_ v: (any Encodable)?, _ k: Key) throws {
            if let v { try encode(v, forKey: k) } else { try encodeNil(forKey: k) }
        }
        mutating func encodeIfPresent<T: Encodable>(_ v: T?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: Bool?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: String?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: Double?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: Int?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: Int64?, forKey k: Key) throws { try orNull(v, k) }
        mutating func encodeIfPresent(_ v: UInt64?, forKey k: Key) throws { try orNull(v, k) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: child(key)).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { TreeEncoder(node: child(key)).unkeyedContainer() }
        mutating func superEncoder() -> Encoder { TreeEncoder(node: node.child("super")) }
        mutating func superEncoder(forKey key: Key) -> Encoder { TreeEncoder(node: child(key)) }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: TreeNode
        var codingPath: [CodingKey] { [] }
        var count: Int { if case .list(let items) = node.kind { return items.count } else { return 0 } }

        mutating func encodeNil() throws { node.append().kind = .value(.null()) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encodeTree(value, into: node.append()) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: node.append()).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { TreeEncoder(node: node.append()).unkeyedContainer() }
        mutating func superEncoder() -> Encoder { TreeEncoder(node: node.append()) }
    }

    private struct Single: SingleValueEncodingContainer {
        let node: TreeNode
        var codingPath: [CodingKey] { [] }
        mutating func encodeNil() throws { node.kind = .value(.null()) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encodeTree(value, into: node) }
    }
}

/// A tree encodes as itself: the tree encoder puts it in as it is (other encoders get its flow-style YAML text).
extension ConfigValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(inlineText)
    }
}
