import Foundation

/// An ftfy-style `fix_text` (default configuration), the first step of CLIP's text cleaning.
///
/// Modelled on ftfy 6 (by Robyn Speer, Apache-2.0) and written independently. The text is fixed one
/// line at a time (each segment ends after a "\n"); on each segment these fixes are applied in this
/// order, repeatedly until the segment no longer changes:
///
/// 1. HTML entities with a semicolon (`HTMLEntities.unescapeStrict`), unless a '<' suggests real
///    HTML: once a segment contains '<', this and all later segments keep their entities;
/// 2. mojibake repair (`MojibakeFixer`);
/// 3. remaining C1 controls (U+0080...U+009F) read as Windows-1252;
/// 4. Latin ligatures (ﬁ -> fi, ĳ -> ij, ...);
/// 5. full-width / half-width forms -> normal width, ideographic space -> space;
/// 6. curly quotes -> straight quotes;
/// 7. CR LF, CR, NEL, LINE / PARAGRAPH SEPARATOR -> "\n";
/// 8. ANSI terminal escapes ("ESC [ 1;31 m") removed;
/// 9. invisible control characters removed (C0 controls except tab / LF / FF / CR, DEL, U+206A...U+206F,
///    byte order mark, U+FFF9...U+FFFC);
/// 10. Unicode NFC normalisation.
///
/// (Lone UTF-16 surrogates, which ftfy also repairs, cannot occur in a Swift String.)
struct TextFixer: Sendable {
    let entities: HTMLEntities

    func fix(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var unescapeHTML = true
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != "\n" { end += 1 }
            if end < text.count { end += 1 }
            let segment = Array(text[start..<end])
            if unescapeHTML && segment.contains("<") { unescapeHTML = false }
            result.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            start = end
        }
        return result
    }

    func fixSegment(_ segment: [Unicode.Scalar], unescapeHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        for _ in 0..<16 {
            let before = text
            if unescapeHTML { text = entities.unescapeStrict(text) }
            text = MojibakeFixer.fix(text)
            text = text.map(Self.c1AsWindows1252)
            text = Self.replaceLigatures(text)
            text = Self.normalizeWidth(text)
            text = text.map(Self.uncurlQuote)
            text = Self.normalizeLineBreaks(text)
            text = Self.removeTerminalEscapes(text)
            text = text.filter { !Self.isRemovedControl($0) }
            text = Self.nfc(text)
            if text == before { break }
        }
        return text
    }

    // MARK: - Individual fixes

    static func c1AsWindows1252(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        scalar.value >= 0x80 && scalar.value <= 0x9F ? CodePage1252.character(forByte: UInt8(scalar.value)) : scalar
    }

    /// Single-character Latin ligatures and digraphs, spelled out (their compatibility decompositions;
    /// ﬅ keeps its long s).
    private static let ligatures: [UInt32: [Unicode.Scalar]] = [
        0x0132: ["I", "J"], 0x0133: ["i", "j"], 0x0149: ["\u{02BC}", "n"],
        0x01C4: ["D", "\u{017D}"], 0x01C5: ["D", "\u{017E}"], 0x01C6: ["d", "\u{017E}"],
        0x01C7: ["L", "J"], 0x01C8: ["L", "j"], 0x01C9: ["l", "j"],
        0x01CA: ["N", "J"], 0x01CB: ["N", "j"], 0x01CC: ["n", "j"],
        0x01F1: ["D", "Z"], 0x01F2: ["D", "z"], 0x01F3: ["d", "z"],
        0xFB00: ["f", "f"], 0xFB01: ["f", "i"], 0xFB02: ["f", "l"], 0xFB03: ["f", "f", "i"],
        0xFB04: ["f", "f", "l"], 0xFB05: ["\u{017F}", "t"], 0xFB06: ["s", "t"],
    ]

    static func replaceLigatures(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { ligatures[$0.value] != nil }) else { return text }
        return text.flatMap { ligatures[$0.value] ?? [$0] }
    }

    /// U+3000 -> space; each character of the Halfwidth and Fullwidth Forms block (U+FF01...U+FFEF)
    /// -> its NFKC form.
    private static let widthMap: [UInt32: [Unicode.Scalar]] = {
        var table: [UInt32: [Unicode.Scalar]] = [0x3000: [" "]]
        for value in UInt32(0xFF01)...0xFFEF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let normalized = Array(String(Character(scalar)).precomposedStringWithCompatibilityMapping.unicodeScalars)
            if normalized != [scalar] { table[value] = normalized }
        }
        return table
    }()

    static func normalizeWidth(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { $0.value == 0x3000 || ($0.value >= 0xFF01 && $0.value <= 0xFFEF) }) else {
            return text
        }
        return text.flatMap { widthMap[$0.value] ?? [$0] }
    }

    static func uncurlQuote(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x02BC, 0x2018...0x201B: return "'"
        case 0x201C...0x201F: return "\""
        default: return scalar
        }
    }

    static func normalizeLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }) else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            switch text[index] {
            case "\r":
                result.append("\n")
                if index + 1 < text.count && text[index + 1] == "\n" { index += 1 }
            case "\u{85}", "\u{2028}", "\u{2029}":
                result.append("\n")
            default:
                result.append(text[index])
            }
            index += 1
        }
        return result
    }

    /// Removes "ESC [" + digits and semicolons + one ASCII letter.
    static func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var result: [Unicode.Scalar] = []
        var index = 0
        while index < text.count {
            if text[index] == "\u{1B}" && index + 1 < text.count && text[index + 1] == "[" {
                var end = index + 2
                while end < text.count && (text[end] == ";" || text[end].properties.generalCategory == .decimalNumber) {
                    end += 1
                }
                if end < text.count && (text[end].value | 0x20) >= 0x61 && (text[end].value | 0x20) <= 0x7A
                    && text[end].isASCII {
                    index = end + 1
                    continue
                }
            }
            result.append(text[index])
            index += 1
        }
        return result
    }

    static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    /// Canonical composition (NFC). Text made only of characters below U+0300 is already NFC.
    ///
    /// Foundation's NFC does not always put combining marks in canonical order when a character of
    /// combining class 0 decomposes into marks (Tibetan U+0F73 = U+0F71 U+0F72), so the text is
    /// decomposed (NFD), its marks are reordered here, and only then composed.
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { $0.value >= 0x300 }) else { return text }
        let decomposed = String(String.UnicodeScalarView(text)).decomposedStringWithCanonicalMapping
        var scalars = Array(decomposed.unicodeScalars)
        canonicalOrder(&scalars)
        return Array(String(String.UnicodeScalarView(scalars)).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// Stable-sorts every run of non-starters by canonical combining class.
    static func canonicalOrder(_ scalars: inout [Unicode.Scalar]) {
        var index = 0
        while index < scalars.count {
            guard scalars[index].properties.canonicalCombiningClass.rawValue != 0 else {
                index += 1
                continue
            }
            var end = index + 1
            while end < scalars.count && scalars[end].properties.canonicalCombiningClass.rawValue != 0 { end += 1 }
            if end - index > 1 {
                let sorted = scalars[index..<end].enumerated().sorted {
                    let left = $0.element.properties.canonicalCombiningClass.rawValue
                    let right = $1.element.properties.canonicalCombiningClass.rawValue
                    return left != right ? left < right : $0.offset < $1.offset
                }.map(\.element)
                scalars.replaceSubrange(index..<end, with: sorted)
            }
            index = end
        }
    }
}
