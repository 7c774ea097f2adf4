// The reversible byte <-> printable-character mapping of byte-level BPE (GPT-2 / CLIP).
//
// Bytes that are printable Latin-1 characters ('!'...'~', '¡'...'¬', '®'...'ÿ') stand for themselves;
// the other 68 bytes (controls, space, DEL, NBSP, soft hyphen, ...) are given the characters
// U+0100, U+0101, ... in increasing byte order. The vocabulary lists the 256 characters in the
// order "printable bytes first (in byte order), then the remapped ones", so a byte's base token id
// is its position in that list.

enum ByteEncoder {
    /// `character[b]`: the Unicode scalar value standing for byte `b`.
    static let character: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// `tokenID[b]`: the vocabulary id of the single-byte symbol for byte `b` (without `</w>`).
    /// The same symbol with `</w>` appended has id `tokenID[b] + 256`.
    static let tokenID: [Int32] = {
        var table = [Int32](repeating: 0, count: 256)
        var position: Int32 = 0
        for byte in 0..<256 where isPrintable(byte) {
            table[byte] = position
            position += 1
        }
        for byte in 0..<256 where !isPrintable(byte) {
            table[byte] = position
            position += 1
        }
        return table
    }()

    /// Inverse of `character`: scalar value -> byte, for scalars below 0x144; `nil` elsewhere.
    static func byte(forCharacter value: UInt32) -> UInt8? {
        guard value < UInt32(decodeTable.count) else { return nil }
        let byte = decodeTable[Int(value)]
        return byte < 0 ? nil : UInt8(byte)
    }

    private static let decodeTable: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for byte in 0..<256 {
            table[Int(character[byte])] = Int16(byte)
        }
        return table
    }()

    private static func isPrintable(_ byte: Int) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
