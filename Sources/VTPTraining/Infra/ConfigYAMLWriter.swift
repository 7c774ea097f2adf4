import Foundation

/// A typed, ordered value tree: what `Encodable` values are turned into before they are written as YAML
/// (keys keep the order in which `encode(to:)` wrote them).
indirect enum ConfigValue: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case map([ConfigEntry])

    /// The value at `key` of a mapping.
    subscript(key: String) -> ConfigValue? {
        if case .map(let entries) = self { return entries.first { $0.key == key }?.value }
        return nil
    }

    /// Keys of a mapping, in order.
    var keys: [String] { if case .map(let e) = self { return e.map(\.key) } else { return [] } }

    /// Encodes any `Encodable` into a tree.
    static func encode<T: Encodable>(_ value: T) throws -> ConfigValue {
        let root = TreeNode()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        return root.value
    }
}

struct ConfigEntry: Equatable {
    var key: String
    var value: ConfigValue
}

// MARK: - YAML text

extension ConfigValue {
    /// Block-style YAML: nested mappings indented by two spaces, lists of scalars in flow style (`[0.9, 0.999]`).
    func yaml(indent: Int = 0) -> String {
        var out = ""
        emit(into: &out, indent: indent)
        return out
    }

    private func emit(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .map(let entries):
            if entries.isEmpty { out += pad + "{}\n"; return }
            for e in entries {
                let k = Self.scalarText(.string(e.key))
                switch e.value {
                case .map(let sub) where !sub.isEmpty:
                    out += pad + k + ":\n"
                    e.value.emit(into: &out, indent: indent + 2)
                case .list(let items) where items.contains(where: \.isContainer):
                    out += pad + k + ":\n"
                    for item in items {
                        let body = item.yaml(indent: indent + 4)
                        out += pad + "  - " + body.dropFirst(indent + 4)
                    }
                default:
                    out += pad + k + ": " + e.value.inlineText + "\n"
                }
            }
        default:
            out += pad + inlineText + "\n"
        }
    }

    private var isContainer: Bool {
        switch self {
        case .map(let e): return !e.isEmpty
        case .list(let l): return !l.isEmpty
        default: return false
        }
    }

    /// Flow-style text of a scalar, an empty container or a list of scalars.
    var inlineText: String {
        switch self {
        case .list(let items): return "[" + items.map(\.inlineText).joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.map { Self.scalarText(.string($0.key)) + ": " + $0.value.inlineText }.joined(separator: ", ") + "}"
        default: return Self.scalarText(self)
        }
    }

    static func scalarText(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return "\(i)"
        case .double(let d): return formatDouble(d)
        case .string(let s): return isPlainSafe(s) ? s : quoted(s)
        case .list, .map: return v.inlineText
        }
    }

    /// The shortest text that reads back as exactly `d`, spelled as YAML 1.1 floats are (`4.0`, `1.0e-06`).
    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d > 0 ? ".inf" : "-.inf" }
        var s = "\(d)"
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }), !s[..<e].contains(".") {
            s.insert(contentsOf: ".0", at: e)
        }
        return s
    }

    /// Whether `s` can be written unquoted and still read back as the same string.
    static func isPlainSafe(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, first != " ", last != " " else { return false }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) { return false }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return false }
        if s.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) || $0 == "\t" }) { return false }
        if s.contains(",") || s.contains("[") || s.contains("]") || s.contains("{") || s.contains("}") {
            return false
        }
        let lower = s.lowercased()
        if ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan"].contains(lower) { return false }
        let digitsOnly = s.replacingOccurrences(of: "_", with: "")
        if Double(digitsOnly) != nil || Int(digitsOnly) != nil { return false }
        if digitsOnly.hasPrefix("0x") || digitsOnly.hasPrefix("0o") || digitsOnly.hasPrefix("0b") { return false }
        if s.contains(":"), s.first!.isNumber { return false }  // sexagesimal numbers, times
        return true
    }

    /// A double-quoted YAML string with JSON-style escapes.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

// MARK: - Encoder producing the tree

/// A mutable node being filled by the encoder; turned into a `ConfigValue` at the end.
final class TreeNode {
    enum Kind { case unset, scalar(ConfigValue), map([(String, TreeNode)]), list([TreeNode]) }
    var kind: Kind = .unset

    var value: ConfigValue {
        switch kind {
        case .unset: return .null
        case .scalar(let v): return v
        case .map(let entries): return .map(entries.map { ConfigEntry(key: $0.0, value: $0.1.value) })
        case .list(let items): return .list(items.map(\.value))
        }
    }

    func child(forKey key: String) -> TreeNode {
        if case .map(var entries) = kind {
            if let existing = entries.first(where: { $0.0 == key }) { return existing.1 }
            let n = TreeNode()
            entries.append((key, n))
            kind = .map(entries)
            return n
        }
        let n = TreeNode()
        kind = .map([(key, n)])
        return n
    }

    func appendChild() -> TreeNode {
        let n = TreeNode()
        if case .list(var items) = kind { items.append(n); kind = .list(items) } else { kind = .list([n]) }
        return n
    }
}

struct TreeEncoder: Encoder {
    let node: TreeNode
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .map = node.kind {} else { node.kind = .map([]) }
        return KeyedEncodingContainer(KeyedTreeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .list = node.kind {} else { node.kind = .list([]) }
        return UnkeyedTreeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleTreeContainer(node: node, codingPath: codingPath) }
}

/// Turns a primitive into a tree scalar (`nil` for non-primitives, which encode themselves).
private func primitive<T>(_ value: T) -> ConfigValue? {
    switch value {
    case let v as Bool: return .bool(v)
    case let v as String: return .string(v)
    case let v as Double: return .double(v)
    case let v as Float: return .double(Double("\(v)") ?? Double(v))
    case let v as Int: return .int(v)
    case let v as Int64: return .int(Int(v))
    case let v as Int32: return .int(Int(v))
    case let v as UInt64: return v <= UInt64(Int.max) ? .int(Int(v)) : .string("\(v)")
    case let v as UInt32: return .int(Int(v))
    case let v as UInt: return v <= UInt(Int.max) ? .int(Int(v)) : .string("\(v)")
    default: return nil
    }
}

private func encodeValue<T: Encodable>(_ value: T, into node: TreeNode, path: [CodingKey]) throws {
    if let p = primitive(value) { node.kind = .scalar(p); return }
    try value.encode(to: TreeEncoder(node: node, codingPath: path))
}

private struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: TreeNode
    var codingPath: [CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).kind = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: node.child(forKey: key.stringValue), path: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> Encoder { TreeEncoder(node: node.child(forKey: "super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> Encoder {
        TreeEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedTreeContainer: UnkeyedEncodingContainer {
    let node: TreeNode
    var codingPath: [CodingKey]
    var count: Int { if case .list(let items) = node.kind { return items.count } else { return 0 } }

    mutating func encodeNil() throws { node.appendChild().kind = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = AnyCodingKey(intValue: count)!
        try encodeValue(value, into: node.appendChild(), path: codingPath + [index])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(node: node.appendChild(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        TreeEncoder(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> Encoder { TreeEncoder(node: node.appendChild(), codingPath: codingPath) }
}

private struct SingleTreeContainer: SingleValueEncodingContainer {
    let node: TreeNode
    var codingPath: [CodingKey]
    mutating func encodeNil() throws { node.kind = .scalar(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: node, path: codingPath) }
}
