// Repairs "mojibake": UTF-8 text that was decoded as Windows-1252 or Latin-1, such as
// "cafÃ©" for "café", "donâ€™t" for "don’t" or "ðŸ˜€" for "😀" (also when it happened twice).
//
// The behaviour is modelled on ftfy's fix_encoding (ftfy by Robyn Speer, Apache-2.0); this is an
// independent, smaller implementation with its own detection rules:
//
// 1. Every character is mapped back to the byte Windows-1252/Latin-1 would have decoded it from.
//    A *unit* is a run of such characters whose bytes form one well-formed UTF-8 sequence
//    (lead byte 0xC2...0xF4 and its continuation bytes 0x80...0xBF), e.g. "Ã©" = C3 A9 = "é".
//    Damaged forms are accepted as well: a space where the byte A0 was (no-break spaces turned into
//    spaces: "voilÃ le" -> "voilà le", "Ð Ð¾" -> "Ро"), and U+FFFD or '?' where a byte was lost
//    ("â€�" -> "�").
// 2. A unit is *convincing* (evidence of mojibake) when real text would hardly contain it:
//    - "Â", "Ã", "Î" or "Ð" followed by a continuation character (except ’ and …, and ¥ unless
//      after white space); "Ã " / "Â " only after a lower-case letter, another unit or at the start;
//    - three or four bytes with an odd continuation symbol (€ ™ © ½ ¸ Ÿ, C1 controls, ...; ordinary
//      punctuation … – — ’ “ ” « » · does not count); with a no-break space inside, only next to
//      another unit;
//    - two bytes with a symbol that never follows a capital letter (¨ ¯ ¸ † ‡ ‰ ¤ ¦ ¬ ° C1 ...), or
//      with an odd symbol inside a lower-case word or next to another unit ("Å›wiat", "byÄ‡").
//    Units with a lost byte are never evidence on their own.
// 3. With no convincing unit the text is left alone. If the whole text is ASCII plus units, all of it
//    is decoded; otherwise (mojibake mixed with correct accents, emoji, ...) each maximal run of
//    adjacent units is decoded if it holds a convincing unit or starts with "Ã " / "Â ".
// 4. This repeats until nothing changes (double-encoded mojibake).
//
// On the reference-generated corpus in Tests/VTPDataTests/Fixtures/tokenizer/corpus_cases.json the
// result matches ftfy 6.3.1 on all correct captions and on about 98% of the mojibake ones; the
// differences are mostly mojibake that ftfy leaves (partly) unfixed.

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
        var restoredSpace: Bool  // a space was read as the byte A0
        var hasNoBreakSpace: Bool  // a continuation byte is A0 (no-break space)
        var oddContinuation: Bool
        var lostByte: Bool  // a continuation byte was lost (U+FFFD or '?'); decodes to U+FFFD
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
                // A run is decoded if it has a convincing unit or starts with "Ã " / "Â " (the text as
                // a whole already shows mojibake).
                // A run right after a character that could itself be a continuation byte (other than
                // common punctuation) is left alone: where its sequence really starts is unclear.
                let first = units[runStart]
                let startsWithSpaceForm = first.restoredSpace && (first.lead == 0xC2 || first.lead == 0xC3)
                let ambiguousStart = first.start > 0 && (0x80...0xBF).contains(bytes[first.start - 1])
                    && !isPunctuation(text[first.start - 1])
                if !ambiguousStart && (startsWithSpaceForm || strong[runStart..<runEnd].contains(true)) {
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
        // A lost byte ("â€�") is decoded along with other mojibake but is no evidence by itself.
        if unit.lostByte { return false }
        if unit.restoredSpace {
            guard unit.lead == 0xC2 || unit.lead == 0xC3 else { return false }
            return unit.start == 0 || lowerBefore || touchesUnitBefore
        }
        switch unit.lead {
        case 0xC2, 0xC3, 0xCE, 0xD0:
            // "Â", "Ã", "Î", "Ð" before a continuation character; not before ’ or …, which may
            // follow a word in capitals ("IRMÃ’S", "NÃO…"), and before ¥ only after white space.
            switch text[unit.start + 1] {
            case "\u{2019}", "\u{2026}": return false
            case "\u{A5}": return unit.start > 0 && PythonText.isSpace(text[unit.start - 1])
            default: return true
            }
        default:
            break
        }
        guard unit.oddContinuation else { return false }
        if unit.byteLength >= 3 {
            // A no-break space after an accented letter is ordinary ("maçã\u{A0}½").
            return !unit.hasNoBreakSpace || touchesUnitBefore || touchesUnitAfter
        }
        // Two bytes: an accented capital (or ß) followed by a symbol that never follows a letter,
        // or followed by an odd symbol inside a lower-case word or next to other units ("Å›wiat", "byÄ‡").
        if isNeverAfterLetter(text[unit.start + 1]) { return true }
        return touchesUnitBefore || touchesUnitAfter || lowerAfter || (lowerBefore && unit.lead != 0xDF)
    }

    /// Continuation characters that real text does not put right after a capital letter: C1 controls,
    /// the spacing accents ¨ ¯ ¸ ˆ ˜, ¤ ¦ ¬ ° ƒ † ‡ ‰ ª º and U+FFFD.
    private static func isNeverAfterLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0xA4, 0xA6, 0xA8, 0xAA, 0xAC, 0xAF, 0xB0, 0xB8, 0xBA: return true
        case 0x0192, 0x02C6, 0x02DC, 0x2020, 0x2021, 0x2030, 0xFFFD: return true
        default: return false
        }
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
        guard start + continuationCount < bytes.count else { return nil }
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
        var restoredSpace = false
        var noBreakSpace = false
        for offset in 1...continuationCount {
            var byte = bytes[start + offset]
            if byte == 0x20 && !restoredSpace && spaceMayBeNoBreakSpace(lead: lead, offset: offset) {
                byte = 0xA0
                restoredSpace = true
            }
            if byte == lostByte {
                lost = true
            } else if (offset == 1 ? firstRange : 0x80...0xBF).contains(byte) {
                value = value << 6 | UInt32(byte & 0x3F)
                if byte == 0xA0 { noBreakSpace = true }
            } else if byte == 0x3F && lead == 0xE2 && offset == 2 && bytes[start + 1] == 0x80 {
                lost = true  // "â€?": a Windows-1252 punctuation mark whose last byte became '?'
            } else {
                return nil
            }
            if isOdd(text[start + offset]) { odd = true }
        }
        var length = continuationCount + 1
        var keepsSpace = false
        if restoredSpace && lead == 0xC3 {
            // "Ã x": the word "à" lost its A0 byte to the following space, which stays;
            // "Ã  x": the first of the two spaces was the A0 byte.
            keepsSpace = true
            if start + 2 < text.count && text[start + 2] == " " { length = 3 }
        }
        return Unit(start: start, length: length,
                    decoded: lost ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}",
                    keepsSpace: keepsSpace, restoredSpace: restoredSpace, hasNoBreakSpace: noBreakSpace,
                    oddContinuation: odd || lost, lostByte: lost, lead: lead, byteLength: continuationCount + 1)
    }

    /// Where a space may stand for a lost A0 byte: after the lead bytes of common two-byte mojibake
    /// (Â Ã Å Î Ð Ù), in the three-byte sequences of U+0800...U+3FFF, and in four-byte ones of plane 1.
    private static func spaceMayBeNoBreakSpace(lead: UInt8, offset: Int) -> Bool {
        switch lead {
        case 0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9: return true
        case 0xE0...0xE3: return true
        case 0xF0: return true
        default: return false
        }
    }

    /// Windows-1252 punctuation of the continuation range: ‚ „ … ‘ ’ “ ” • – —.
    private static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x201A, 0x201E, 0x2026, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014: return true
        default: return false
        }
    }

    /// Continuation characters that ordinary text rarely puts right after an accented letter.
    /// Ordinary punctuation (no-break space, ‚ „ … ‘ ’ “ ” • – — « » ·) does not count.
    private static func isOdd(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0xFFFD: return true
        case 0xA0, 0xAB, 0xB7, 0xBB: return false
        case 0xA1...0xBF: return true
        default: return !isPunctuation(scalar)  // € ƒ ˆ ‰ Š ‹ Œ Ž ˜ ™ š › œ ž Ÿ † ‡ are odd
        }
    }
}
