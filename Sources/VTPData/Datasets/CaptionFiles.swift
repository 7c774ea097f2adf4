import Foundation

/// One row of a caption index: the image file (relative to the dataset folder) and its caption, plus
/// where the row came from (for error messages).
public struct CaptionRecord: Sendable, Equatable {
    public var file: String
    public var caption: String
    /// 1-based line number in the caption file where the row starts.
    public var line: Int
}

/// Parsers for `captions.csv` and `captions.jsonl`. Rows that cannot be used (missing caption, wrong
/// field count, bad JSON) come back as `DataIssue`s; only structural damage to the whole file (an
/// unterminated quote, a missing header column) throws.
public enum CaptionFiles {
    /// RFC 4180 CSV: comma-separated fields, optionally in double quotes (`""` inside quotes is a quote;
    /// quoted fields may contain commas and line breaks), CRLF or LF line ends, optional UTF-8 BOM.
    /// Returns rows of fields, each with its 1-based starting line; blank lines are skipped. Throws for an
    /// unterminated quoted field, text after a closing quote (`"a"b`) or a quote inside an unquoted field
    /// (`a"b`), which RFC 4180 forbids.
    public static func parseCSV(_ text: String, source: String) throws -> [(fields: [String], line: Int)] {
        var rows: [(fields: [String], line: Int)] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        var rowHasContent = false

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRow() {
            endField()
            // A blank line (one empty unquoted field) is not a row.
            if rowHasContent { rows.append((fields, rowLine)) }
            fields.removeAll()
            rowHasContent = false
        }

        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                    i += 1
                    // After the closing quote only a separator, a line end or the end may follow.
                    if i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[i]) {
                        throw DatasetError.malformed(path: source,
                                                     reason: "line \(line): text after the closing quote of a quoted field")
                    }
                    continue
                }
                if c == UInt8(ascii: "\n") { line += 1 }
                field.append(c)
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: ","):
                rowHasContent = true
                endField()
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                if c == UInt8(ascii: "\r"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                endRow()
                line += 1
                rowLine = line
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw DatasetError.malformed(path: source,
                                                 reason: "line \(line): a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                inQuotes = true
                fieldWasQuoted = true
                rowHasContent = true
            default:
                field.append(c)
                rowHasContent = true
            }
            i += 1
        }
        if inQuotes {
            throw DatasetError.malformed(path: source, reason: "line \(rowLine): quoted field is not terminated before the end of the file")
        }
        if rowHasContent || !field.isEmpty { endRow() }
        return rows
    }

    /// Reads `captions.csv`: a header row naming at least the columns `file` and `caption` (any order,
    /// other columns ignored), then one row per image.
    public static func readCSV(_ url: URL) throws -> (records: [CaptionRecord], issues: [DataIssue]) {
        let text = try readText(url)
        let rows = try parseCSV(text, source: url.path)
        guard let header = rows.first else { throw DatasetError.empty(source: url.path, reason: "the CSV file is empty") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let fileColumn = names.firstIndex(of: "file"), let captionColumn = names.firstIndex(of: "caption") else {
            throw DatasetError.malformed(path: url.path,
                                         reason: "header \(header.fields) must name the columns 'file' and 'caption'")
        }
        var records: [CaptionRecord] = []
        var issues: [DataIssue] = []
        let name = url.lastPathComponent
        for row in rows.dropFirst() {
            let source = "\(name) line \(row.line)"
            guard row.fields.count == header.fields.count else {
                issues.append(DataIssue(source: source,
                                        reason: "\(row.fields.count) fields, the header has \(header.fields.count)"))
                continue
            }
            if let record = validated(file: row.fields[fileColumn], caption: row.fields[captionColumn],
                                      line: row.line, source: source, issues: &issues) {
                records.append(record)
            }
        }
        return (records, issues)
    }

    /// Reads `captions.jsonl`: one JSON object per line with string members `file` and `caption`.
    /// Blank lines are ignored; any other unusable line becomes an issue.
    public static func readJSONL(_ url: URL) throws -> (records: [CaptionRecord], issues: [DataIssue]) {
        let text = try readText(url)
        var records: [CaptionRecord] = []
        var issues: [DataIssue] = []
        let name = url.lastPathComponent
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let source = "\(name) line \(lineNumber)"
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
            } catch {
                issues.append(DataIssue(source: source, reason: "not valid JSON"))
                continue
            }
            guard let dictionary = object as? [String: Any] else {
                issues.append(DataIssue(source: source, reason: "not a JSON object"))
                continue
            }
            guard let file = dictionary["file"] as? String else {
                issues.append(DataIssue(source: source, reason: "no string member \"file\""))
                continue
            }
            let caption: String
            if let value = dictionary["caption"] as? String {
                caption = value
            } else if dictionary["caption"] == nil || dictionary["caption"] is NSNull {
                caption = ""
            } else {
                issues.append(DataIssue(source: source, reason: "member \"caption\" is not a string"))
                continue
            }
            if let record = validated(file: file, caption: caption, line: lineNumber, source: source, issues: &issues) {
                records.append(record)
            }
        }
        return (records, issues)
    }

    private static func validated(file: String, caption: String, line: Int, source: String,
                                  issues: inout [DataIssue]) -> CaptionRecord? {
        let file = file.trimmingCharacters(in: .whitespaces)
        let caption = caption.trimmingCharacters(in: .whitespacesAndNewlines)
        if file.isEmpty {
            issues.append(DataIssue(source: source, reason: "empty file name"))
            return nil
        }
        if file.hasPrefix("/") || file.split(separator: "/").contains("..") {
            issues.append(DataIssue(source: source, reason: "file '\(file)' must be a relative path inside the dataset folder"))
            return nil
        }
        if caption.isEmpty {
            issues.append(DataIssue(source: "\(source) (\(file))", reason: "missing caption"))
            return nil
        }
        return CaptionRecord(file: file, caption: caption, line: line)
    }

    /// Largest captions file read (it is held in memory as text; a million captions take about 100 MB).
    public static let maxFileBytes = 1 << 30

    static func readText(_ url: URL) throws -> String {
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > maxFileBytes {
            throw DatasetError.malformed(path: url.path, reason: "\(size) bytes, more than the \(maxFileBytes >> 30) GiB limit for a captions file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            if !FileManager.default.fileExists(atPath: url.path) { throw DatasetError.notFound(path: url.path) }
            throw DatasetError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.malformed(path: url.path, reason: "not valid UTF-8 text")
        }
        return text
    }
}
