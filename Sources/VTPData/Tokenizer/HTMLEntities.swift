import Foundation

/// HTML character references, resolved as Python does.
///
/// * `unescape` follows Python's `html.unescape`: named references from the HTML5 table (the
///   legacy ones also without ';', and the longest known prefix of an unknown name), decimal and
///   hexadecimal references with the HTML5 rules for invalid code points.
/// * `unescapeStrict` is the conservative variant a text fixer should apply to plain text: only
///   `&name;` / `&#...;` forms with a semicolon, plus all-caps spellings (`&EACUTE;`) of lower-case
///   entity names that are not entities themselves.
///
/// The HTML5 table is the bundled `html5_entities.json`, generated from Python's
/// `html.entities.html5` by `scripts/gen_html5_entities.py`.
final class HTMLEntities: Sendable {
    /// Name as written after '&' (with its ';' if any) -> replacement.
    private let html5: [String: [Unicode.Scalar]]
    /// Names ending in ';' that `unescapeStrict` replaces.
    private let strict: [String: [Unicode.Scalar]]

    static let resourceName = "html5_entities.json"

    /// The table in the VTPData bundle, loaded once.
    static let shared: Result<HTMLEntities, TokenizerError> = {
        guard let url = Bundle.module.url(forResource: "html5_entities", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let table = try? JSONSerialization.jsonObject(with: data) as? [String: String],
              !table.isEmpty
        else { return .failure(.bundledResourceMissing(name: resourceName)) }
        return .success(HTMLEntities(table: table))
    }()

    init(table: [String: String]) {
        var html5: [String: [Unicode.Scalar]] = [:]
        for (name, value) in table { html5[name] = Array(value.unicodeScalars) }
        self.html5 = html5

        var strict: [String: [Unicode.Scalar]] = [:]
        for (name, value) in html5 where name.hasSuffix(";") {
            strict[name] = value
        }
        for (name, value) in html5 where name.hasSuffix(";") && name == name.lowercased() {
            let upperName = name.uppercased()  // entity names are ASCII
            let reference = Array(("&" + upperName).unicodeScalars)
            if Self.unescape(reference, html5: html5) == reference && strict[upperName] == nil {
                strict[upperName] = PythonText.upper(value)
            }
        }
        self.strict = strict
    }

    /// Python's `html.unescape`.
    func unescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        Self.unescape(text, html5: html5)
    }

    /// Only unambiguous references `&name;`, `&NAME;` and `&#...;` (at most 24 letters/digits).
    func unescapeStrict(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            guard text[index] == "&" else {
                result.append(text[index])
                index += 1
                continue
            }
            let hasHash = index + 1 < text.count && text[index + 1] == "#"
            let start = index + (hasHash ? 2 : 1)
            var end = start
            while end < text.count && end - start <= 24 && Self.isASCIIAlphanumeric(text[end]) { end += 1 }
            let length = end - start
            guard length >= 1 && length <= 24 && end < text.count && text[end] == ";" else {
                result.append("&")
                index += 1
                continue
            }
            let reference = Array(text[index...end])
            if hasHash {
                let decoded = unescape(reference)
                result.append(contentsOf: decoded.contains(";") ? reference : decoded)
            } else if let value = strict[String(String.UnicodeScalarView(text[start...end]))] {
                result.append(contentsOf: value)
            } else {
                result.append(contentsOf: reference)
            }
            index = end + 1
        }
        return result
    }

    // MARK: - html.unescape

    private static func unescape(_ text: [Unicode.Scalar], html5: [String: [Unicode.Scalar]]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            if text[index] == "&", let (replacement, length) = reference(in: text, at: index, html5: html5) {
                result.append(contentsOf: replacement)
                index += length
            } else {
                result.append(text[index])
                index += 1
            }
        }
        return result
    }

    /// Matches `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` at `start` (an '&') and
    /// returns its replacement and the matched length.
    private static func reference(in text: [Unicode.Scalar], at start: Int,
                                  html5: [String: [Unicode.Scalar]]) -> ([Unicode.Scalar], Int)? {
        let count = text.count
        let afterAmpersand = start + 1
        guard afterAmpersand < count else { return nil }
        if text[afterAmpersand] == "#" {
            var digitsStart = afterAmpersand + 1
            var radix: UInt32 = 10
            if digitsStart < count && !isDigit(text[digitsStart], radix: 10)
                && (text[digitsStart] == "x" || text[digitsStart] == "X") {
                radix = 16
                digitsStart += 1
            }
            var end = digitsStart
            var value: UInt32 = 0
            while end < count && isDigit(text[end], radix: radix) {
                value = min(value * radix + digitValue(text[end]), 0x11_0000)  // saturate past the last code point
                end += 1
            }
            guard end > digitsStart else { return nil }
            if end < count && text[end] == ";" { end += 1 }
            return (numericReference(value), end - start)
        }
        var end = afterAmpersand
        while end < count && end - afterAmpersand < 32 && !isNameTerminator(text[end]) { end += 1 }
        guard end > afterAmpersand else { return nil }
        if end < count && text[end] == ";" { end += 1 }
        let name = Array(text[afterAmpersand..<end])
        return (namedReference(name, html5: html5), end - start)
    }

    private static func namedReference(_ name: [Unicode.Scalar], html5: [String: [Unicode.Scalar]]) -> [Unicode.Scalar] {
        if let value = html5[string(name[...])] { return value }
        // The longest known prefix (at least two characters): "&ampxyz" -> "&" + "xyz".
        var length = name.count - 1
        while length >= 2 {
            if let value = html5[string(name[..<length])] { return value + name[length...] }
            length -= 1
        }
        return ["&"] + name
    }

    /// Python's rules for `&#N;`: Windows-1252 for 0x80...0x9F, U+FFFD for NUL, surrogates and values
    /// past U+10FFFF, nothing for other control characters and non-characters.
    private static func numericReference(_ value: UInt32) -> [Unicode.Scalar] {
        switch value {
        case 0x00: return ["\u{FFFD}"]
        case 0x0D: return ["\r"]
        case 0x80...0x9F: return [CodePage1252.character(forByte: UInt8(value))]
        case 0xD800...0xDFFF, 0x11_0000...: return ["\u{FFFD}"]
        case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0xFDD0...0xFDEF: return []
        default:
            if value & 0xFFFE == 0xFFFE { return [] }  // U+xFFFE and U+xFFFF of every plane
            return [Unicode.Scalar(value)!]
        }
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(String.UnicodeScalarView(scalars))
    }

    private static func isNameTerminator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\u{0C}", " ", "<", "&", "#", ";": return true
        default: return false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar, radix: UInt32) -> Bool {
        switch scalar.value {
        case 0x30...0x39: return true
        case 0x41...0x46, 0x61...0x66: return radix == 16
        default: return false
        }
    }

    private static func digitValue(_ scalar: Unicode.Scalar) -> UInt32 {
        switch scalar.value {
        case 0x30...0x39: return scalar.value - 0x30
        case 0x41...0x46: return scalar.value - 0x41 + 10
        default: return scalar.value - 0x61 + 10
        }
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }
}
