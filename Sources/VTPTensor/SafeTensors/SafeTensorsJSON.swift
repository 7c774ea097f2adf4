// A small strict JSON (RFC 8259) reader and writer for safetensors headers and shard indexes.
// Foundation's JSONSerialization is not used: it loses key order and silently merges duplicate keys,
// and the writer must reproduce the reference library's exact bytes.

/// A parsed JSON value. Objects keep their keys in document order, duplicates included.
enum STJSON: Equatable {
    case object([(key: String, value: STJSON)])
    case array([STJSON])
    case string(String)
    /// The number's literal text, as written.
    case number(String)
    case bool(Bool)
    case null

    static func == (a: STJSON, b: STJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// For a number literal without fraction or exponent: its value, or nil when it does not fit an Int.
    /// `.notInteger` for anything else (fractions, exponents, other types).
    enum IntegerValue: Equatable { case value(Int), tooLarge, notInteger }

    var integerValue: IntegerValue {
        guard case let .number(text) = self else { return .notInteger }
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .notInteger }
        if let v = Int(text) { return .value(v) }
        return .tooLarge
    }

    /// The value written back as compact JSON text (used to show non-string index metadata).
    var compactText: String {
        var out: [UInt8] = []
        STJSONWriter.appendCompact(self, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

struct STJSONParseError: Error {
    let message: String
    let offset: Int
}

/// Parses one JSON value surrounded by optional whitespace (the header's space padding).
struct STJSONParser {
    private let bytes: UnsafeRawBufferPointer
    private var pos = 0
    private let maxDepth = 128

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> STJSON {
        var parser = STJSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.pos != bytes.count { throw parser.error("unexpected trailing characters") }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func error(_ message: String) -> STJSONParseError {
        STJSONParseError(message: message + " at byte \(pos)", offset: pos)
    }

    private var atEnd: Bool { pos >= bytes.count }
    private var current: UInt8 { bytes[pos] }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { pos += 1 } else { break }
        }
    }

    private mutating func parseValue(depth: Int) throws -> STJSON {
        guard !atEnd else { throw error("unexpected end of input") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(UnicodeScalar(current))'")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard bytes.count - pos >= n else { throw error("unexpected end of input") }
        for i in 0..<n where bytes[pos + i] != word.utf8Start[i] { throw error("invalid literal") }
        pos += n
    }

    private mutating func parseObject(depth: Int) throws -> STJSON {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        pos += 1
        var members: [(key: String, value: STJSON)] = []
        skipWhitespace()
        if !atEnd && current == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            guard !atEnd else { throw error("unterminated object") }
            if current == UInt8(ascii: ",") { pos += 1; continue }
            if current == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws -> STJSON {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        pos += 1
        var items: [STJSON] = []
        skipWhitespace()
        if !atEnd && current == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard !atEnd else { throw error("unterminated array") }
            if current == UInt8(ascii: ",") { pos += 1; continue }
            if current == UInt8(ascii: "]") { pos += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = pos
        if current == UInt8(ascii: "-") { pos += 1 }
        guard !atEnd, isDigit(current) else { throw error("invalid number") }
        if current == UInt8(ascii: "0") {
            pos += 1
            if !atEnd && isDigit(current) { throw error("leading zero in number") }
        } else {
            while !atEnd && isDigit(current) { pos += 1 }
        }
        if !atEnd && current == UInt8(ascii: ".") {
            pos += 1
            guard !atEnd, isDigit(current) else { throw error("invalid number fraction") }
            while !atEnd && isDigit(current) { pos += 1 }
        }
        if !atEnd && (current == UInt8(ascii: "e") || current == UInt8(ascii: "E")) {
            pos += 1
            if !atEnd && (current == UInt8(ascii: "+") || current == UInt8(ascii: "-")) { pos += 1 }
            guard !atEnd, isDigit(current) else { throw error("invalid number exponent") }
            while !atEnd && isDigit(current) { pos += 1 }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private mutating func parseString() throws -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard !atEnd else { throw error("unterminated string") }
            let c = current
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<pos]))
                pos += 1
                break
            }
            if c < 0x20 { throw error("unescaped control character in string") }
            if c != UInt8(ascii: "\\") { pos += 1; continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<pos]))
            pos += 1
            guard !atEnd else { throw error("unterminated escape") }
            let e = current
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard bytes.count - pos >= 2, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw error("lone surrogate in \\u escape") }
                    pos += 2
                    let low = try parseHex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("lone surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("invalid escape '\\\(UnicodeScalar(e))'")
            }
            runStart = pos
        }
        // The input was validated as UTF-8 before parsing, and escapes produce valid UTF-8.
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard bytes.count - pos >= 4 else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = current
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}

enum STJSONWriter {
    /// Appends a JSON string literal escaped exactly as serde_json (the reference writer) does:
    /// `"` `\` and control characters only; \b \f \n \r \t short forms; others as lowercase \u00xx; UTF-8 kept raw.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20: appendUnicodeEscape(UInt32(c), to: &out)
            default: out.append(c)
            }
        }
        out.append(0x22)
    }

    /// Appends a string escaped as Python's `json.dumps` with its default `ensure_ascii=True`.
    static func appendPythonASCIIString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x20..<0x7F: out.append(UInt8(v))
            case 0x10000...:
                let u = v - 0x10000
                appendUnicodeEscape(0xD800 + (u >> 10), to: &out)
                appendUnicodeEscape(0xDC00 + (u & 0x3FF), to: &out)
            default: appendUnicodeEscape(v, to: &out)
            }
        }
        out.append(0x22)
    }

    private static func appendUnicodeEscape(_ v: UInt32, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((v >> UInt32(shift)) & 0xF)]) }
    }

    static func appendInt(_ v: Int, to out: inout [UInt8]) {
        out.append(contentsOf: Array(String(v).utf8))
    }

    static func appendCompact(_ value: STJSON, to out: inout [UInt8]) {
        switch value {
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendCompact(m.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendCompact(v, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .string(s): appendString(s, to: &out)
        case let .number(text): out.append(contentsOf: Array(text.utf8))
        case let .bool(b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        }
    }
}
