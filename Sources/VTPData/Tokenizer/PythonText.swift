// Python `str` behaviour the reference tokenizer relies on, over arrays of Unicode scalars:
// `str.isspace` / `strip` / `split`, `str.lower` (with the Final_Sigma rule) and `str.upper`.

enum PythonText {
    /// Python's `str.isspace()` for one character: Unicode White_Space plus the information
    /// separators U+001C...U+001F (bidirectional class B or S).
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `" ".join(text.split())`: drops leading/trailing whitespace and replaces every whitespace run
    /// by one ASCII space (this also performs `strip()`).
    static func collapseWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var pendingSpace = false
        for scalar in text {
            if isSpace(scalar) {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(scalar)
            }
        }
        return result
    }

    /// The Unicode version of the reference's Python (3.11: Unicode 14.0). Characters assigned later
    /// are unassigned there, so `lower()` leaves them alone.
    static let unicodeVersion = (major: 14, minor: 0)

    /// Python's `str.lower()`: the full lower-case mapping of every character, except that a capital
    /// sigma becomes final sigma (ς) when it ends a word (Unicode's Final_Sigma condition).
    static func lower(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for (index, scalar) in text.enumerated() {
            if scalar.isASCII {
                result.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else if scalar.value == 0x03A3 {
                result.append(isFinalSigma(text, at: index) ? "\u{03C2}" : "\u{03C3}")
            } else if isKnownToReference(scalar) {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    private static func isKnownToReference(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= unicodeVersion
    }

    /// Python's `str.upper()`: the full (context-free) upper-case mapping of every character.
    static func upper(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for scalar in text {
            if scalar.isASCII {
                result.append(scalar.value >= 0x61 && scalar.value <= 0x7A ? Unicode.Scalar(scalar.value - 32)! : scalar)
            } else {
                result.append(contentsOf: scalar.properties.uppercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    /// Final_Sigma: preceded by a cased letter and not followed by one, skipping case-ignorable
    /// characters in both directions.
    private static func isFinalSigma(_ text: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0 && text[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0 && text[before].properties.isCased else { return false }
        var after = index + 1
        while after < text.count && text[after].properties.isCaseIgnorable { after += 1 }
        return after == text.count || !text[after].properties.isCased
    }
}
