import Foundation
import Yams

extension ConfigValue {
    /// Decodes a config type from this tree, filling in what the tree does not give from `defaults`.
    ///
    /// `defaults` is encoded into a tree; the keys of each mapping the user gave are checked against it (an
    /// unknown key is an error naming the nearest valid key), a missing or `null` key takes the default (`null`
    /// clears an optional), and a scalar takes the type of its field. So a config section is a plain struct whose
    /// fields are declared once with their default value, with synthesized `Codable`:
    ///
    /// ```swift
    /// struct Sampling: Codable { var steps = 250; var cfgScale = 4.0 }   // keys: steps, cfg_scale
    /// var tree = try ConfigValue(yaml: "steps: 50")
    /// try ConfigOverride(parsing: "cfg_scale=1.5").apply(to: &tree)
    /// let s = try tree.decode(defaults: Sampling())                      // steps 50, cfg_scale 1.5
    /// ```
    public func decode<T: Codable>(defaults: T) throws -> T {
        try ConfigDecoder(node: self, defaults: ConfigValue(encoding: defaults), validKeys: nil, codingPath: []).read(T.self)
    }

    /// Decodes a type from this tree alone (no defaults; for types that read their keys themselves).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ConfigDecoder(node: self, defaults: nil, validKeys: nil, codingPath: []).read(T.self)
    }
}

/// A type that reads its keys itself (a custom `init(from:)`), from the user's tree only: no defaults are filled
/// in from the default instance, and `configKeys` are the keys it accepts (e.g. `ModelSection`).
public protocol ConfigKeyList {
    static var configKeys: [String] { get }
}

/// `error` located where `decoder` reads: at its line in the file, or inside the override that wrote the value.
public func configError(_ error: TrainConfigError, in decoder: Decoder) -> TrainConfigError {
    (decoder as? ConfigDecoder).map { $0.locate(error, at: $0.value) } ?? error
}

/// Reads a `Decodable` from the user's tree (`node`) over the default tree (`defaults`), walking both together.
struct ConfigDecoder: Decoder {
    /// The user's value here (nil when not given).
    let node: ConfigValue?
    /// The default value here (nil when there is none).
    let defaults: ConfigValue?
    /// The keys a mapping here may have, when not those of `defaults`.
    let validKeys: [String]?
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The value read: the user's, or the default when the user's is absent or null.
    var value: ConfigValue? {
        if let node, !(node.isNull && defaults != nil) { return node }
        return defaults
    }

    private var path: String { dottedPath(codingPath) }

    /// The value of `key` of a mapping here.
    func child(_ key: String) -> ConfigDecoder {
        let user = node.flatMap { $0.isNull ? nil : $0 }
        return ConfigDecoder(node: user?[key], defaults: defaults?[key], validKeys: nil, codingPath: codingPath + [AnyCodingKey(key)])
    }

    func read<T: Decodable>(_ type: T.Type) throws -> T {
        if let own = T.self as? ConfigKeyList.Type {
            let mine = node.flatMap { $0.isNull ? nil : $0 } ?? ConfigValue(.map([]), origin: node?.origin ?? .program)
            return try T(from: ConfigDecoder(node: mine, defaults: nil, validKeys: own.configKeys, codingPath: codingPath))
        }
        switch T.self {
        case is String.Type: return try scalar("a string") { $0.string } as! T
        case is Bool.Type: return try scalar("true or false", Bool.construct) as! T
        case is Double.Type: return try scalar("a number", Double.construct) as! T
        case is Float.Type: return try scalar("a number", Float.construct) as! T
        case is Int.Type:
            // Integers also accept an integral floating-point spelling (`1e4`, `100.0`).
            return try scalar("an integer") { s in
                Int.construct(from: s) ?? Double.construct(from: s).flatMap { $0.rounded() == $0 && abs($0) < 9e15 ? Int($0) : nil }
            } as! T
        default: return try T(from: self)
        }
    }

    private func scalar<V>(_ expected: String, _ construct: (Node.Scalar) -> V?) throws -> V {
        let v = try required()
        guard case .scalar(let s, let plain) = v.kind else {
            throw locate(.typeMismatch(path: path, expected: "a single value (not a list or a mapping)", found: v.described, line: nil), at: v)
        }
        guard let x = construct(Node.Scalar(s, .implicit, plain ? .plain : .doubleQuoted)) else {
            throw locate(.typeMismatch(path: path, expected: expected, found: v.described, line: nil), at: v)
        }
        return x
    }

    private func required() throws -> ConfigValue {
        guard let v = value else { throw TrainConfigError.syntax("\(path) is required") }
        return v
    }

    /// `error` with the line of `value` in the file, or wrapped in the override that wrote `value`.
    func locate(_ error: TrainConfigError, at value: ConfigValue?) -> TrainConfigError {
        switch value?.origin ?? .program {
        case .program: return error
        case .line(let line): return error.at(line: line)
        case .override(let text):
            var e = error
            // The override's own value is named as written.
            if case .typeMismatch(let p, let expected, _, _) = error, let o = try? ConfigOverride(parsing: text),
               p == o.path.joined(separator: ".") {
                e = .typeMismatch(path: p, expected: expected, found: "'\(o.value)'", line: nil)
            }
            return .override(text, reason: e.description)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let v = try required()
        guard case .map(let entries) = v.kind else {
            throw locate(.typeMismatch(path: path, expected: "a mapping (a section of key: value lines)", found: v.described, line: nil), at: v)
        }
        if let valid = validKeys ?? (defaults.flatMap { if case .map = $0.kind { return $0.keys } else { return nil } }) {
            for e in entries where !valid.contains(e.key) {
                throw locate(.unknownKey(path: dottedPath(codingPath + [AnyCodingKey(e.key)]), suggestion: nearestName(to: e.key, in: valid),
                                         valid: valid, line: nil), at: e.value)
            }
        }
        return KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        let v = try required()
        switch v.kind {
        case .list(let items): return Unkeyed(items: items, codingPath: codingPath)
        case .scalar(let s, _) where v.origin.isOverride:
            // An override's scalar given for a list is split at commas.
            let items = s.split(separator: ",").map { ConfigValue(.scalar($0.trimmingCharacters(in: .whitespaces), plain: true), origin: v.origin) }
            return Unkeyed(items: items, codingPath: codingPath)
        default:
            throw locate(.typeMismatch(path: path, expected: "a list", found: v.described, line: nil), at: v)
        }
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(decoder: self) }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: ConfigDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        var allKeys: [Key] {
            let user = decoder.node?.keys ?? [], defaults = decoder.defaults?.keys ?? []
            return (user + defaults.filter { !user.contains($0) }).compactMap { Key(stringValue: $0) }
        }

        private func child(_ key: Key) -> ConfigDecoder { decoder.child(configKey(key.stringValue)) }

        func contains(_ key: Key) -> Bool {
            let c = child(key)
            return c.node != nil || c.defaults != nil
        }
        /// The user's null clears an optional even where the default is not null.
        func decodeNil(forKey key: Key) throws -> Bool {
            let c = child(key)
            return (c.node ?? c.defaults)?.isNull ?? true
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).read(T.self) }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            try decodeNil(forKey: key) ? nil : child(key).read(T.self)
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> Decoder { child(key) }
    }

    private struct Unkeyed: UnkeyedDecodingContainer {
        let items: [ConfigValue]
        var codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        private mutating func next() throws -> ConfigDecoder {
            guard !isAtEnd else { throw TrainConfigError.syntax("\(dottedPath(codingPath)) has too few items") }
            defer { currentIndex += 1 }
            return ConfigDecoder(node: items[currentIndex], defaults: nil, validKeys: nil,
                                 codingPath: codingPath + [AnyCodingKey(intValue: currentIndex)!])
        }
        mutating func decodeNil() throws -> Bool {
            if !isAtEnd && items[currentIndex].isNull { currentIndex += 1; return true }
            return false
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().read(T.self) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { try next() }
    }

    private struct Single: SingleValueDecodingContainer {
        let decoder: ConfigDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { decoder.value?.isNull ?? true }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.read(T.self) }
    }
}
