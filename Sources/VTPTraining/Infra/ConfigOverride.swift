import Foundation
import Yams

/// One command-line override, `key.sub=value`.
///
/// The value is read with the type of the field it lands in: `optimizer.lr=3e-4` (number),
/// `objectives.dino.enabled=false` (boolean), `data.path=/x` (string), `optimizer.betas=[0.9,0.95]` or
/// `data.paths=/a.tar,/b.tar` (lists), `model.decoder_upscale_factor=null` (back to the default / none).
/// Missing sections along the path are created.
public struct ConfigOverride: Equatable, Sendable {
    /// The original text.
    public let text: String
    /// Key path, e.g. `["objectives", "dino", "enabled"]`.
    public let path: [String]
    /// The value as written.
    public let value: String

    public init(parsing text: String) throws {
        self.text = text
        guard let eq = text.firstIndex(of: "=") else {
            throw TrainConfigError.override(text, reason: "expected key=value (e.g. optimizer.lr=3e-4)")
        }
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        value = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if key.isEmpty || path.contains(where: \.isEmpty) {
            throw TrainConfigError.override(text, reason: "'\(key)' is not a key path (sections joined by dots, e.g. objectives.dino.enabled)")
        }
    }

    /// The value as a YAML node: flow lists / mappings (`[…]`, `{…}`) and quoted strings are parsed as YAML,
    /// anything else is one scalar taken literally.
    func valueNode() throws -> Node {
        if value.hasPrefix("[") || value.hasPrefix("{") || (value.count >= 2 && (value.hasPrefix("\"") || value.hasPrefix("'"))) {
            do {
                if let n = try Yams.compose(yaml: value) { return n }
            } catch {
                throw TrainConfigError.override(text, reason: "the value is not valid YAML (\(error))")
            }
        }
        return Node(value)
    }

    /// `root` with this override applied, and the config it decodes to. A scalar given for a list field is
    /// split at commas.
    func apply(to root: Node) throws -> (Node, TrainConfig) {
        let candidate = try set(try valueNode(), in: root)
        do {
            return (candidate, try TrainConfig.decode(candidate))
        } catch TrainConfigError.typeMismatch(let p, let expected, _, _)
                    where p == path.joined(separator: ".") && expected == Self.describeType(Node.Sequence.self) && !value.hasPrefix("[") {
            let items = value.isEmpty ? [] : value.split(separator: ",").map { Node(String($0).trimmingCharacters(in: .whitespaces)) }
            let listNode = try set(Node(items), in: root)
            do { return (listNode, try TrainConfig.decode(listNode)) } catch { throw wrap(error) }
        } catch {
            throw wrap(error)
        }
    }

    private func wrap(_ error: Error) -> Error {
        if let e = error as? TrainConfigError {
            // Line numbers refer to the file; the override has none.
            switch e {
            case .unknownKey(let p, let s, let v, _): return TrainConfigError.override(text, reason: TrainConfigError.unknownKey(path: p, suggestion: s, valid: v, line: nil).description)
            case .typeMismatch(let p, let x, _, _) where p == path.joined(separator: "."):
                return TrainConfigError.override(text, reason: TrainConfigError.typeMismatch(path: p, expected: x, found: "'\(value)'", line: nil).description)
            case .invalidChoice(let p, let v, let a, let s, _):
                return TrainConfigError.override(text, reason: TrainConfigError.invalidChoice(path: p, value: v, allowed: a, suggestion: s, line: nil).description)
            default: return TrainConfigError.override(text, reason: e.description)
            }
        }
        return TrainConfigError.override(text, reason: "\(error)")
    }

    /// Sets `value` at `path` in `root`, creating missing mappings.
    private func set(_ value: Node, in root: Node) throws -> Node {
        func go(_ node: Node?, _ depth: Int) throws -> Node {
            if depth == path.count { return value }
            var mapping: Node.Mapping
            switch node {
            case nil: mapping = Node.Mapping([])
            case .mapping(let m)?: mapping = m
            case .scalar(let s)? where NSNull.construct(from: s) != nil: mapping = Node.Mapping([])
            case let other?:
                throw TrainConfigError.override(text, reason: "'\(path[..<depth].joined(separator: "."))' is \(Self.describe(other)), not a section with keys")
            }
            mapping[path[depth]] = try go(mapping[path[depth]], depth + 1)
            return .mapping(mapping)
        }
        return try go(root, 0)
    }

    // MARK: Error explanations

    /// A `TrainConfigError` for any error thrown while decoding `root`, with the line of the offending node.
    static func explain(_ error: Error, in root: Node) -> Error {
        switch error {
        case let e as TrainConfigError:
            switch e {
            case .unknownKey(let p, let s, let v, nil): return TrainConfigError.unknownKey(path: p, suggestion: s, valid: v, line: line(of: p, in: root))
            case .invalidChoice(let p, let v, let a, let s, nil):
                return TrainConfigError.invalidChoice(path: p, value: v, allowed: a, suggestion: s, line: line(of: p, in: root))
            default: return e
            }
        case DecodingError.typeMismatch(let type, let ctx), DecodingError.valueNotFound(let type, let ctx):
            let p = dottedPath(ctx.codingPath)
            let n = node(at: ctx.codingPath, in: root)
            return TrainConfigError.typeMismatch(path: p, expected: describeType(type), found: n.map(describe) ?? "nothing",
                                                 line: n?.mark?.line)
        case DecodingError.dataCorrupted(let ctx):
            if let inner = ctx.underlyingError { return explain(inner, in: root) }
            return TrainConfigError.syntax("\(dottedPath(ctx.codingPath)): \(ctx.debugDescription)")
        case DecodingError.keyNotFound(let key, let ctx):
            return TrainConfigError.syntax("\(dottedPath(ctx.codingPath + [key])) is required")
        default:
            return TrainConfigError.syntax("\(error)")
        }
    }

    static func node(at path: [CodingKey], in root: Node) -> Node? {
        var cur: Node? = root
        for k in path {
            guard let n = cur else { return nil }
            switch n {
            case .mapping(let m): cur = m[k.stringValue]
            case .sequence(let s):
                guard let i = k.intValue, i >= 0, i < s.count else { return nil }
                cur = s[s.index(s.startIndex, offsetBy: i)]
            case .scalar: return nil
            }
        }
        return cur
    }

    static func line(of dotted: String, in root: Node) -> Int? {
        let keys = dotted.split(separator: ".").map { AnyCodingKey(String($0)) as CodingKey }
        return node(at: keys, in: root)?.mark?.line
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s):
            if NSNull.construct(from: s) != nil && s.style == .plain { return "null" }
            return s.style == .plain || s.style == .any ? "'\(s.string)'" : "the quoted string \"\(s.string)\""
        case .mapping: return "a mapping (key: value lines)"
        case .sequence: return "a list"
        }
    }

    static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type, is Optional<Double>.Type: return "a number"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Optional<Int>.Type: return "an integer"
        case is Bool.Type, is Optional<Bool>.Type: return "true or false"
        case is String.Type, is Optional<String>.Type: return "a string"
        case is Node.Mapping.Type: return "a mapping (a section of key: value lines)"
        case is Node.Sequence.Type: return "a list"
        case is Node.Scalar.Type: return "a single value (not a list or a mapping)"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array<") { return "a list" }
            if name.hasPrefix("Dictionary<") { return "a mapping" }
            return name
        }
    }
}
