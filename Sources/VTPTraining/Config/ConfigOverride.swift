import Foundation
import Yams

/// One command-line override, `key.sub=value`, applied to a configuration tree before it is decoded.
///
/// The value is read with the type of the field it lands in: `optimizer.lr=3e-4` (number),
/// `objectives.dino.enabled=false` (boolean), `data.path=/x` (string), `optimizer.betas=[0.9,0.95]` or
/// `data.paths=/a.tar,/b.tar` (lists: a scalar given for a list field is split at commas),
/// `model.decoder_upscale_factor=null` (back to the default / none). Missing sections along the path are created.
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

    /// The value as a tree: flow lists / mappings (`[…]`, `{…}`) and quoted strings are parsed as YAML, anything
    /// else is one scalar taken literally. Every node's origin is this override.
    func valueTree() throws -> ConfigValue {
        let origin = ConfigOrigin.override(text)
        if value.hasPrefix("[") || value.hasPrefix("{") || (value.count >= 2 && (value.hasPrefix("\"") || value.hasPrefix("'"))) {
            do {
                try ConfigValue.checkLimits(value)
                if let n = try Yams.compose(yaml: value) { return ConfigValue(node: n, origin: { _ in origin }) }
            } catch {
                throw TrainConfigError.override(text, reason: "the value is not valid YAML (\(error))")
            }
        }
        return ConfigValue(.scalar(value, plain: true), origin: origin)
    }

    /// Sets the value at `path` in `root`, creating missing mappings (a null on the way counts as missing).
    public func apply(to root: inout ConfigValue) throws {
        let value = try valueTree()
        func set(_ node: inout ConfigValue, _ depth: Int) throws {
            if depth == path.count { node = value; return }
            if node.isNull { node = ConfigValue(.map([]), origin: .override(text)) }
            guard case .map(var entries) = node.kind else {
                throw TrainConfigError.override(text, reason: "'\(path[..<depth].joined(separator: "."))' is \(node.described), not a section with keys")
            }
            let i = entries.firstIndex { $0.key == path[depth] } ?? {
                entries.append(ConfigEntry(key: path[depth], value: .null(origin: .override(text))))
                return entries.count - 1
            }()
            try set(&entries[i].value, depth + 1)
            node.kind = .map(entries)
        }
        try set(&root, 0)
    }
}
