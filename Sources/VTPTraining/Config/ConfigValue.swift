import Foundation
import Yams

/// A configuration as a tree: what a YAML file is read into, what `key=value` overrides change, what the
/// defaults of a config type are encoded into (`init(encoding:)`), what `ConfigDecoder` reads a config type
/// from, and what the resolved YAML is written from.
///
/// Scalars keep their text as written and get their type from the field they land in (as YAML 1.1 does it:
/// `yes` is a boolean in a boolean field and a string in a string field), so one tree serves every config type.
/// Each node remembers where it came from, so that an error names the file line or the override.
public struct ConfigValue: Equatable, Sendable {
    public indirect enum Kind: Equatable, Sendable {
        /// A scalar as written; `plain` is false for quoted strings (which are never numbers).
        case scalar(String, plain: Bool)
        case list([ConfigValue])
        /// Keys in the order written.
        case map([ConfigEntry])
    }

    public var kind: Kind
    public var origin: ConfigOrigin

    public init(_ kind: Kind, origin: ConfigOrigin = .program) {
        self.kind = kind
        self.origin = origin
    }

    /// The `null` scalar.
    static func null(origin: ConfigOrigin = .program) -> ConfigValue { ConfigValue(.scalar("null", plain: true), origin: origin) }

    /// Whether this is YAML's null (`null`, `~`, an empty value).
    public var isNull: Bool {
        if case .scalar(let s, _) = kind { return NSNull.construct(from: Node.Scalar(s)) != nil }
        return false
    }

    /// The value at `key` of a mapping.
    public subscript(key: String) -> ConfigValue? {
        if case .map(let entries) = kind { return entries.first { $0.key == key }?.value }
        return nil
    }

    /// Keys of a mapping, in order.
    public var keys: [String] { if case .map(let e) = kind { return e.map(\.key) } else { return [] } }

    /// How an error message names this value (`'fast'`, `a list`, …).
    var described: String {
        switch kind {
        case .scalar(let s, let plain):
            if isNull && plain { return "null" }
            return plain ? "'\(s)'" : "the quoted string \"\(s)\""
        case .map: return "a mapping (key: value lines)"
        case .list: return "a list"
        }
    }
}

/// One key of a mapping and its value.
public struct ConfigEntry: Equatable, Sendable {
    public var key: String
    public var value: ConfigValue
}

/// Where a configuration value came from.
public enum ConfigOrigin: Equatable, Sendable {
    /// Written by the program (a default, or a value it encoded).
    case program
    /// A line of the YAML file.
    case line(Int)
    /// A `key=value` override (its text).
    case override(String)

    var isOverride: Bool { if case .override = self { return true } else { return false } }
}

// MARK: - Reading YAML

extension ConfigValue {
    /// Reads a YAML file and applies `overrides` (`key.sub=value`, in order) to it.
    public init(contentsOf url: URL, overrides: [String] = []) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainConfigError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                                              ? "not readable" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrainConfigError.unreadable(path: url.path, reason: "not UTF-8 text")
        }
        try self.init(yaml: text, overrides: overrides)
    }

    /// Parses YAML text and applies `overrides` (`key.sub=value`, in order) to it.
    public init(yaml: String, overrides: [String]) throws {
        try self.init(yaml: yaml)
        for text in overrides { try ConfigOverride(parsing: text).apply(to: &self) }
    }

    /// Parses YAML text: an empty document is an empty mapping; anything else must be a mapping.
    public init(yaml: String) throws {
        try Self.checkLimits(yaml)
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch { throw TrainConfigError.syntax("\(error)") }
        guard let node else { self.init(.map([])); return }
        self.init(node: node, origin: { n in n.mark.map { .line($0.line) } ?? .program })
        if isNull { self = ConfigValue(.map([])) }
        guard case .map = kind else {
            throw TrainConfigError.typeMismatch(path: "(top level)", expected: "a mapping of sections (model:, data:, …)",
                                                found: described, line: node.mark?.line)
        }
    }

    /// Limits checked on the text before the YAML parser sees it, so that a hostile file can neither exhaust the
    /// parser's stack (nesting: flow brackets deeper than 64, or block indentation beyond 256 columns) nor expand
    /// exponentially ("billion laughs": more than 32 alias references), and stays under 1 MiB.
    static func checkLimits(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.count <= 1 << 20 else { throw TrainConfigError.syntax("the configuration is \(bytes.count) bytes; the limit is 1 MiB") }
        var depth = 0, aliases = 0, line = 1, column = 0, indent = true
        var quote: UInt8? = nil, comment = false, previous: UInt8 = 10
        for b in bytes {
            defer { previous = b }
            if b == 10 { line += 1; column = 0; indent = true; comment = false; continue }
            column += 1
            if indent && b != 32 { indent = false }
            if indent && column > 256 { throw TrainConfigError.syntax("line \(line) is indented beyond 256 columns: nesting that deep is not a configuration") }
            if comment { continue }
            if let q = quote { if b == q { quote = nil }; continue }
            switch b {
            case 0x22, 0x27: quote = b
            case 0x23 where previous == 32 || previous == 10 || column == 1: comment = true
            case 0x5B, 0x7B:
                depth += 1
                if depth > 64 { throw TrainConfigError.syntax("line \(line): brackets nested deeper than 64") }
            case 0x5D, 0x7D: depth = max(depth - 1, 0)
            case 0x2A where [32, 10, 0x5B, 0x7B, 0x2C, 0x3A, 0x2D].contains(previous):
                aliases += 1
                if aliases > 32 { throw TrainConfigError.syntax("line \(line): more than 32 alias references (*name); a configuration needs far fewer") }
            default: break
            }
        }
    }

    /// Converts a Yams node tree, each node's origin given by `origin`.
    init(node: Node, origin: (Node) -> ConfigOrigin) {
        switch node {
        case .scalar(let s):
            self.init(.scalar(s.string, plain: s.style == .plain || s.style == .any), origin: origin(node))
        case .sequence(let items):
            self.init(.list(items.map { ConfigValue(node: $0, origin: origin) }), origin: origin(node))
        case .mapping(let pairs):
            self.init(.map(pairs.map { ConfigEntry(key: $0.key.string ?? "", value: ConfigValue(node: $0.value, origin: origin)) }),
                      origin: origin(node))
        }
    }
}

// MARK: - Writing YAML

extension ConfigValue {
    /// Block-style YAML: nested mappings indented by two spaces, lists of scalars in flow style (`[0.9, 0.999]`).
    public func yaml(indent: Int = 0) -> String {
        var out = ""
        emit(into: &out, indent: indent)
        return out
    }

    private func emit(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch kind {
        case .map(let entries):
            if entries.isEmpty { out += pad + "{}\n"; return }
            for e in entries {
                let k = Self.text(e.key, plain: false)
                switch e.value.kind {
                case .map(let sub) where !sub.isEmpty:
                    out += pad + k + ":\n"
                    e.value.emit(into: &out, indent: indent + 2)
                case .list(let items) where items.contains(where: \.isContainer):
                    out += pad + k + ":\n"
                    for item in items {
                        out += pad + "  - " + item.yaml(indent: indent + 4).dropFirst(indent + 4)
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
        switch kind {
        case .map(let e): return !e.isEmpty
        case .list(let l): return !l.isEmpty
        case .scalar: return false
        }
    }

    /// Flow-style text of a scalar, an empty container or a list of scalars.
    var inlineText: String {
        switch kind {
        case .scalar(let s, let plain): return Self.text(s, plain: plain)
        case .list(let items): return "[" + items.map(\.inlineText).joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.map { Self.text($0.key, plain: false) + ": " + $0.value.inlineText }.joined(separator: ", ") + "}"
        }
    }

    /// A plain scalar as it is; a string unquoted when it reads back as the same string, else double-quoted.
    private static func text(_ s: String, plain: Bool) -> String { plain || isPlainSafe(s) ? s : quoted(s) }

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
        if s.contains(where: { ",[]{}".contains($0) }) { return false }
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
