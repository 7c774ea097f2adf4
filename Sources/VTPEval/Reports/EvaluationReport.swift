import Foundation
import VTPTensor

/// How every evaluation writes its results: one JSON report (pretty, key-sorted) and a Markdown summary beside
/// it, both atomically; and a JSONL log that is rewritten whole at each line (small logs of short runs).
public enum EvaluationReport {
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(value) + Data("\n".utf8), to: url)
    }

    public static func writeMarkdown(_ text: String, to url: URL) throws {
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// A Markdown table: a header row and rows of cells.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { out += "| " + r.joined(separator: " | ") + " |\n" }
        return out
    }

    /// `value` with `digits` decimals, or "—" for nil.
    public static func cell(_ value: Double?, _ digits: Int = 4) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "—"
    }
}

/// A JSONL log of numeric records, kept whole on disk after every line (atomic rewrite).
public final class JSONLLog {
    public let url: URL
    private var lines: [String] = []

    public init(url: URL) { self.url = url }

    public func append(_ record: [String: Double]) throws {
        let body = record.keys.sorted().map { key -> String in
            let v = record[key]!
            let text = v.isFinite ? (v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)") : "null"
            return "\"\(key)\":\(text)"
        }
        lines.append("{" + body.joined(separator: ",") + "}")
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }
}
