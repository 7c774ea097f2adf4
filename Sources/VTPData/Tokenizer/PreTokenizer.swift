// Splits cleaned text into the pieces that are BPE-encoded one by one. It matches, by hand, the
// case-insensitive pattern of the reference tokenizer (Python `regex` module):
//
//     <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// At each position the alternatives are tried in that order and the first one that matches wins;
// positions where none matches (white space) are skipped. Digits are single tokens.

enum PreTokenizer {
    /// The pieces of `text`, as ranges into it.
    static func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var index = 0
        let count = text.count
        while index < count {
            let scalar = text[index]
            if let length = specialTokenLength(text, at: index) ?? contractionLength(text, at: index) {
                pieces.append(index..<(index + length))
                index += length
                continue
            }
            switch kind(of: scalar) {
            case .letter:
                var end = index + 1
                while end < count && kind(of: text[end]) == .letter { end += 1 }
                pieces.append(index..<end)
                index = end
            case .number:
                pieces.append(index..<(index + 1))
                index += 1
            case .space:
                index += 1
            case .other:
                var end = index + 1
                while end < count && kind(of: text[end]) == .other { end += 1 }
                pieces.append(index..<end)
                index = end
            }
        }
        return pieces
    }

    enum Kind { case letter, number, space, other }

    /// `\p{L}`, `\p{N}`, `\s` (the `regex` module's white space: Unicode White_Space), or none of them.
    static func kind(of scalar: Unicode.Scalar) -> Kind {
        let value = scalar.value
        if value < 0x80 {
            switch value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .space
            default: return .other
            }
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            switch value {
            case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return .space
            default: return .other
            }
        }
    }

    private static let specialTokens: [[Unicode.Scalar]] = [
        Array(BPEVocabulary.startOfText.unicodeScalars), Array(BPEVocabulary.endOfText.unicodeScalars),
    ]
    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map {
        Array($0.unicodeScalars)
    }

    private static func specialTokenLength(_ text: [Unicode.Scalar], at index: Int) -> Int? {
        guard text[index] == "<" else { return nil }
        return specialTokens.first { matchesIgnoringCase(text, at: index, $0) }?.count
    }

    private static func contractionLength(_ text: [Unicode.Scalar], at index: Int) -> Int? {
        guard text[index] == "'" else { return nil }
        return contractions.first { matchesIgnoringCase(text, at: index, $0) }?.count
    }

    /// Case-insensitive comparison with an ASCII pattern, using simple case folding as the `regex`
    /// module does: besides the ASCII upper-case letter, 's' also matches 'ſ' (U+017F) and
    /// 'k' matches the Kelvin sign (U+212A).
    private static func matchesIgnoringCase(_ text: [Unicode.Scalar], at index: Int, _ pattern: [Unicode.Scalar]) -> Bool {
        guard index + pattern.count <= text.count else { return false }
        for (offset, expected) in pattern.enumerated() {
            let actual = text[index + offset]
            if actual == expected { continue }
            let lower = expected.value
            guard lower >= 0x61 && lower <= 0x7A else { return false }
            if actual.value == lower - 32 { continue }
            if lower == 0x73 && actual.value == 0x017F { continue }
            if lower == 0x6B && actual.value == 0x212A { continue }
            return false
        }
        return true
    }
}
