// Windows-1252 ("ANSI" Western European), the code page most UTF-8 mojibake comes from.
// Bytes 0xA0...0xFF coincide with Latin-1; the five bytes 1252 leaves unassigned in 0x80...0x9F
// (0x81, 0x8D, 0x8F, 0x90, 0x9D) are read as the Latin-1 C1 control of the same value, which is
// also what browsers and Python's html module do.

enum CodePage1252 {
    /// Characters of bytes 0x80...0x9F.
    private static let controlsRange: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // € . ‚ ƒ „ … † ‡
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // ˆ ‰ Š ‹ Œ . Ž .
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // . ‘ ’ “ ” • – —
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // ˜ ™ š › œ . ž Ÿ
    ]

    /// The character byte `byte` stands for.
    static func character(forByte byte: UInt8) -> Unicode.Scalar {
        if byte >= 0x80 && byte <= 0x9F { return Unicode.Scalar(controlsRange[Int(byte - 0x80)])! }
        return Unicode.Scalar(byte)
    }

    /// The byte that, read as Windows-1252 or as Latin-1, gives `scalar` (so C1 controls map to
    /// themselves as in Latin-1); `nil` for characters neither code page has.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 0x100 { return UInt8(value) }
        return fromCharacter[value]
    }

    private static let fromCharacter: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for (offset, value) in controlsRange.enumerated() where value >= 0x100 {
            table[value] = UInt8(0x80 + offset)
        }
        return table
    }()
}
