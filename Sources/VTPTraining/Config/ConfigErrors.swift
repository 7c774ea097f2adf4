import Foundation

/// Problems with a training configuration (the YAML file, a `key=value` override or the combination of
/// settings), each naming the key so that the user can fix it.
public enum TrainConfigError: Error, CustomStringConvertible, Equatable {
    /// `key` (full dotted path) is not a field of its section. `suggestion` is the nearest valid key.
    case unknownKey(path: String, suggestion: String?, valid: [String], line: Int?)
    /// The value at `path` has the wrong type.
    case typeMismatch(path: String, expected: String, found: String, line: Int?)
    /// The value at `path` is not one of `allowed`.
    case invalidChoice(path: String, value: String, allowed: [String], suggestion: String?, line: Int?)
    /// The YAML text could not be parsed.
    case syntax(String)
    /// The configuration file is missing or unreadable.
    case unreadable(path: String, reason: String)
    /// A `key=value` override is malformed, or applying it failed (`reason` carries the underlying error).
    case override(String, reason: String)
    /// The settings are readable but do not make sense together (every problem found, one per line).
    case invalid([String])

    public var description: String {
        func at(_ line: Int?) -> String { line.map { " (line \($0))" } ?? "" }
        switch self {
        case .unknownKey(let path, let suggestion, let valid, let line):
            let (section, key) = Self.split(path)
            var s = "unknown key '\(key)'" + (section.isEmpty ? "" : " in '\(section)'") + at(line)
            if let suggestion { s += "; did you mean '\(suggestion)'?" }
            return s + " (valid keys: \(valid.joined(separator: ", ")))"
        case .typeMismatch(let path, let expected, let found, let line):
            return "'\(path)'\(at(line)) must be \(expected), found \(found)"
        case .invalidChoice(let path, let value, let allowed, let suggestion, let line):
            var s = "'\(path)'\(at(line)): '\(value)' is not one of \(allowed.joined(separator: " | "))"
            if let suggestion { s += "; did you mean '\(suggestion)'?" }
            return s
        case .syntax(let message): return "the configuration is not valid YAML: \(message)"
        case .unreadable(let path, let reason): return "cannot read the configuration \(path): \(reason)"
        case .override(let text, let reason): return "override '\(text)': \(reason)"
        case .invalid(let problems): return "invalid training configuration:\n  " + problems.joined(separator: "\n  ")
        }
    }

    /// This error with `line` filled in where it names none.
    func at(line: Int) -> TrainConfigError {
        switch self {
        case .unknownKey(let p, let s, let v, nil): return .unknownKey(path: p, suggestion: s, valid: v, line: line)
        case .typeMismatch(let p, let x, let f, nil): return .typeMismatch(path: p, expected: x, found: f, line: line)
        case .invalidChoice(let p, let v, let a, let s, nil): return .invalidChoice(path: p, value: v, allowed: a, suggestion: s, line: line)
        default: return self
        }
    }

    private static func split(_ path: String) -> (String, String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a plausible typo
/// (at most a third of the word's length, and at least 2, edits; a candidate containing `word`, or contained
/// in it, also counts).
func nearestName(to word: String, in candidates: [String]) -> String? {
    let w = word.lowercased()
    var best: (String, Int)? = nil
    for c in candidates {
        let d = editDistance(w, c.lowercased())
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (name, distance) = best else { return nil }
    if distance <= max(2, w.count / 3) { return name }
    if let sub = candidates.first(where: { w.count >= 3 && ($0.lowercased().contains(w) || w.contains($0.lowercased())) }) {
        return sub
    }
    return nil
}

/// Levenshtein distance (insertions, deletions, substitutions; an adjacent swap counts 1, as a typo does).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev2 = [Int](repeating: 0, count: y.count + 1)
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[y.count]
}

/// A coding key made from any string (for listing the keys a YAML mapping actually has).
struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s; intValue = nil }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

/// The dotted form of a coding path (`objectives.dino.ibot.enabled`; list elements as `[i]`).
func dottedPath(_ path: [CodingKey]) -> String {
    var s = ""
    for k in path {
        if let i = k.intValue, k.stringValue == "\(i)" || k.stringValue.hasPrefix("Index") { s += "[\(i)]"; continue }
        s += s.isEmpty ? k.stringValue : "." + k.stringValue
    }
    return s
}

/// A string-valued setting with a fixed set of choices; a wrong value is an error listing them.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension ConfigChoice {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        let allowed = Self.allCases.map(\.rawValue)
        guard let v = Self(rawValue: s) ?? Self(rawValue: s.lowercased()) else {
            throw configError(.invalidChoice(path: dottedPath(decoder.codingPath), value: s, allowed: allowed,
                                             suggestion: nearestName(to: s, in: allowed), line: nil), in: decoder)
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The messages of the checks that fail: `unmet((lr > 0, "optimizer.lr must be positive"), …)`.
public func unmet(_ checks: (Bool, String)...) -> [String] { checks.filter { !$0.0 }.map(\.1) }
