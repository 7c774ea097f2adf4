// Repairs "mojibake": UTF-8 text that was decoded as Windows-1252 or Latin-1, such as
// "cafÃ©" for "café", "donâ€™t" for "don’t" or "ðŸ˜€" for "😀" (also when it happened twice).
//
// The behaviour is modelled on ftfy's fix_encoding (ftfy by Robyn Speer, Apache-2.0); this is an
// independent, smaller implementation with its own detection rules:
//
// 1. Every character is mapped back to the byte Windows-1252/Latin-1 would have decoded it from.
//    A *unit* is a run of such characters whose bytes form one well-formed UTF-8 sequence
//    (lead byte 0xC2...0xF4 and its continuation bytes 0x80...0xBF), e.g. "Ã©" = C3 A9 = "é".
//    Two damaged forms are accepted as well: a space where the byte A0 was ("voilÃ le" -> "voilà le",
//    NBSP turned into a space), and U+FFFD where a byte was lost ("â€�" -> "�").
// 2. A unit is *convincing* when it is very unlikely in real text:
//    - it starts with "Â" or "Ã" (bytes C2/C3, the mojibake of U+0080...U+00FF); a trailing space
//      form only after a lower-case letter, another unit or at the start of the text;
//    - or one of its continuation characters is an odd symbol (€ ™ © ° ½ ¸ Ÿ, C1 controls, ...; not
//      ordinary punctuation such as … – — ’ “ ” « » ·) and it is either three or four bytes long,
//      or it touches a lower-case letter or another unit.
// 3. If the whole text is made of ASCII and units and at least one unit is convincing, the whole text
//    is decoded. Otherwise each maximal run of adjacent units containing a convincing unit is decoded
//    on its own (text mixing mojibake with correct accents or emoji).
// 4. This repeats until nothing changes (double-encoded mojibake).

enum MojibakeFixer {
    static func fix(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var current = text
        for _ in 0..<8 {
            let next = fixOnce(current)
            if next == current { break }
            current = next
        }
        return current
    }

    private struct Unit {
        var start: Int
        var length: Int        // characters of the original text covered
        var decoded: Unicode.Scalar
        var keepsSpace: Bool   // the "Ã " form: the space is kept after the decoded "à"
        var oddContinuation: Bool
        var lead: UInt8
        var byteLength: Int
        var end: Int { start + length }
    }

    /// Placeholder byte for U+FFFD (a byte lost before the text reached us).
    private static let lostByte: Int16 = -2
    private static let noByte: Int16 = -1

    static func fixOnce(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: { !$0.isASCII }) else { return text }
        let bytes = text.map { scalar -> Int16 in
            if scalar == "\u{FFFD}" { return lostByte }
            if scalar == "\u{1A}" { return noByte }
            return CodePage1252.byte(for: scalar).map(Int16.init) ?? noByte
        }
        let units = findUnits(text, bytes)
        guard !units.isEmpty else { return text }

        var strong = [Bool](repeating: false, count: units.count)
        for (index, unit) in units.enumerated() {
            let before = index > 0 && units[index - 1].end == unit.start
            let after = index + 1 < units.count && units[index + 1].start == unit.end
            strong[index] = isConvincing(unit, text, touchesUnitBefore: before, touchesUnitAfter: after)
        }
        guard strong.contains(true) else { return text }

        // Whole-text mode when every non-ASCII character belongs to a unit.
        var covered = 0
        for unit in units { covered += text[unit.start..<unit.end].lazy.filter { !$0.isASCII }.count }
        let wholeText = covered == text.lazy.filter { !$0.isASCII }.count

        var decode = [Bool](repeating: wholeText, count: units.count)
        if !wholeText {
            var runStart = 0
            while runStart < units.count {
                var runEnd = runStart + 1
                while runEnd < units.count && units[runEnd].start == units[runEnd - 1].end { runEnd += 1 }
                if strong[runStart..<runEnd].contains(true) {
                    for index in runStart..<runEnd { decode[index] = true }
                }
                runStart = runEnd
            }
        }

        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var position = 0
        for (index, unit) in units.enumerated() where decode[index] {
            result.append(contentsOf: text[position..<unit.start])
            result.append(unit.decoded)
            if unit.keepsSpace { result.append(" ") }
            position = unit.end
        }
        result.append(contentsOf: text[position...])
        return result
    }

    private static func isConvincing(_ unit: Unit, _ text: [Unicode.Scalar],
                                      touchesUnitBefore: Bool, touchesUnitAfter: Bool) -> Bool {
        let lowerBefore = unit.start > 0 && text[unit.start - 1].properties.isLowercase
        let lowerAfter = unit.end < text.count && text[unit.end].properties.isLowercase
        if unit.lead == 0xC2 || unit.lead == 0xC3 {
            let spaceForm = text[unit.start + 1] == " "
            if !spaceForm { return true }
            return unit.start == 0 || lowerBefore || touchesUnitBefore
        }
        guard unit.oddContinuation else { return false }
        if unit.byteLength >= 3 { return true }
        return lowerBefore || lowerAfter || touchesUnitBefore || touchesUnitAfter
    }

    /// Finds units left to right without overlaps.
    private static func findUnits(_ text: [Unicode.Scalar], _ bytes: [Int16]) -> [Unit] {
        var units: [Unit] = []
        var index = 0
        while index < bytes.count {
            if let unit = unit(at: index, text, bytes) {
                units.append(unit)
                index = unit.end
            } else {
                index += 1
            }
        }
        return units
    }

    private static func unit(at start: Int, _ text: [Unicode.Scalar], _ bytes: [Int16]) -> Unit? {
        let leadByte = bytes[start]
        guard leadByte >= 0xC2 && leadByte <= 0xF4 else { return nil }
        let lead = UInt8(leadByte)
        let continuationCount = lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3
        guard start + continuationCount < bytes.count else {
            return spaceForm(at: start, lead: lead, text, bytes)
        }
        // Allowed range of the first continuation byte (no overlongs, surrogates or > U+10FFFF).
        let firstRange: ClosedRange<Int16>
        switch lead {
        case 0xE0: firstRange = 0xA0...0xBF
        case 0xED: firstRange = 0x80...0x9F
        case 0xF0: firstRange = 0x90...0xBF
        case 0xF4: firstRange = 0x80...0x8F
        default: firstRange = 0x80...0xBF
        }
        var value = UInt32(lead) & (lead < 0xE0 ? 0x1F : lead < 0xF0 ? 0x0F : 0x07)
        var lost = false
        var odd = false
        for offset in 1...continuationCount {
            let byte = bytes[start + offset]
            if byte == lostByte {
                lost = true
            } else if (offset == 1 ? firstRange : 0x80...0xBF).contains(byte) {
                value = value << 6 | UInt32(byte & 0x3F)
            } else if byte == 0x3F && lead == 0xE2 && offset == 2 && bytes[start + 1] == 0x80 {
                lost = true  // "â€?": a Windows-1252 punctuation mark whose last byte became '?'
            } else {
                return offset == 1 ? spaceForm(at: start, lead: lead, text, bytes) : nil
            }
            if isOdd(text[start + offset]) { odd = true }
        }
        return Unit(start: start, length: continuationCount + 1,
                    decoded: lost ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}",
                    keepsSpace: false, oddContinuation: odd || lost, lead: lead, byteLength: continuationCount + 1)
    }

    /// "Ã " for "à" and "Â " for a no-break space, after A0 bytes were turned into spaces.
    private static func spaceForm(at start: Int, lead: UInt8, _ text: [Unicode.Scalar], _ bytes: [Int16]) -> Unit? {
        guard lead == 0xC2 || lead == 0xC3, start + 1 < text.count, text[start + 1] == " " else { return nil }
        if lead == 0xC2 {
            return Unit(start: start, length: 2, decoded: "\u{A0}", keepsSpace: false,
                        oddContinuation: false, lead: lead, byteLength: 2)
        }
        // "Ã  x" (two spaces): the first space was the A0 byte; "Ã x": the word "à" lost its byte.
        let doubled = start + 2 < text.count && text[start + 2] == " "
        return Unit(start: start, length: doubled ? 3 : 2, decoded: "\u{E0}", keepsSpace: true,
                    oddContinuation: false, lead: lead, byteLength: 2)
    }

    /// Continuation characters that ordinary text rarely puts right after an accented letter.
    /// Ordinary punctuation (no-break space, ‚ „ … ‘ ’ “ ” • – — « » ·) does not count.
    private static func isOdd(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0xFFFD: return true
        case 0xA0, 0xAB, 0xB7, 0xBB: return false
        case 0xA1...0xBF: return true
        case 0x201A, 0x201E, 0x2026, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014: return false
        default: return true  // € ƒ ˆ ‰ Š ‹ Œ Ž ˜ ™ š › œ ž Ÿ † ‡
        }
    }
}
