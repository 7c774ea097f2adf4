import Foundation

/// The CLIP byte-level BPE vocabulary and merge table, and the merge algorithm itself.
///
/// Vocabulary order (49408 ids): the 256 byte symbols, the same 256 with `</w>`, one symbol per merge
/// (the two parts joined, in merge order), `<start_of_text>`, `<end_of_text>`.
/// Symbols are handled as ids throughout; a merge is keyed by the ids of its two parts.
struct BPEVocabulary: Sendable {
    /// Merge lines 1 ..< 48895 of the file (the first line is a header).
    static let mergeCount = 49152 - 256 - 2
    static let startOfText = "<start_of_text>"
    static let endOfText = "<end_of_text>"

    /// UTF-8 bytes of every vocabulary string (byte-unicode characters, maybe ending in `</w>`).
    let symbols: [[UInt8]]
    /// Merge table: (left id << 32 | right id) -> (rank << 32 | merged symbol id).
    private let merges: [UInt64: UInt64]
    let startID: Int32
    let endID: Int32

    var count: Int { symbols.count }

    /// Parses the text of a merges file (`bpe_simple_vocab_16e6.txt`).
    init(mergesText data: Data, path: String) throws(TokenizerError) {
        let endOfWord = Array("</w>".utf8)
        var symbols: [[UInt8]] = []
        symbols.reserveCapacity(512 + Self.mergeCount + 2)
        // ids 0..<256 are ordered by ByteEncoder.tokenID, not by byte value.
        var byTokenID = [[UInt8]](repeating: [], count: 256)
        for byte in 0..<256 {
            let scalar = Unicode.Scalar(ByteEncoder.character[byte])!
            byTokenID[Int(ByteEncoder.tokenID[byte])] = Array(String(Character(scalar)).utf8)
        }
        symbols.append(contentsOf: byTokenID)
        symbols.append(contentsOf: byTokenID.map { $0 + endOfWord })

        // Later duplicates win, as with Python's dict(zip(vocab, range(len(vocab)))).
        var idOf: [[UInt8]: Int32] = [:]
        idOf.reserveCapacity(512 + Self.mergeCount + 2)
        for (id, symbol) in symbols.enumerated() { idOf[symbol] = Int32(id) }

        let lines = try Self.mergeLines(data, path: path)
        var pairs: [(left: [UInt8], right: [UInt8])] = []
        pairs.reserveCapacity(lines.count)
        for (left, right) in lines {
            let joined = left + right
            idOf[joined] = Int32(symbols.count)
            symbols.append(joined)
            pairs.append((left, right))
        }
        startID = Int32(symbols.count)
        symbols.append(Array(Self.startOfText.utf8))
        idOf[symbols.last!] = startID
        endID = Int32(symbols.count)
        symbols.append(Array(Self.endOfText.utf8))
        idOf[symbols.last!] = endID

        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(pairs.count)
        for (rank, pair) in pairs.enumerated() {
            // A merge whose parts are not vocabulary symbols can never apply to a word.
            guard let left = idOf[pair.left], let right = idOf[pair.right],
                  let merged = idOf[pair.left + pair.right] else { continue }
            merges[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] = UInt64(rank) << 32 | UInt64(UInt32(merged))
        }
        self.symbols = symbols
        self.merges = merges
    }

    /// Splits lines 1 ..< 1 + mergeCount into (left, right) byte strings, validating their shape.
    private static func mergeLines(_ data: Data, path: String) throws(TokenizerError) -> [([UInt8], [UInt8])] {
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .mergesFileNotUTF8(path: path) }
        var result: [([UInt8], [UInt8])] = []
        result.reserveCapacity(mergeCount)
        var lineStart = 0
        var lineNumber = 0  // 0-based, as in Python's split('\n') list
        while lineStart < bytes.count && result.count < mergeCount {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            if lineNumber >= 1 {
                let line = bytes[lineStart..<lineEnd]
                let parts = splitOnASCIIWhitespace(line)
                guard parts.count == 2 else {
                    throw .mergesFileMalformedLine(path: path, lineNumber: lineNumber + 1,
                                                   line: String(decoding: line, as: UTF8.self))
                }
                result.append((Array(parts[0]), Array(parts[1])))
            }
            lineNumber += 1
            lineStart = lineEnd + 1
        }
        guard result.count == mergeCount else {
            throw .mergesFileTooShort(path: path, mergeLines: result.count, required: mergeCount)
        }
        return result
    }

    private static func splitOnASCIIWhitespace(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C })
    }

    /// Byte-level BPE of one pre-token given as UTF-8 bytes: the ids of its final symbols.
    /// The last byte carries `</w>`; the lowest-ranked adjacent pair is merged (all its
    /// non-overlapping occurrences, left to right) until no pair has a rank.
    func encodeWord(_ bytes: [UInt8]) -> [Int32] {
        guard let last = bytes.last else { return [] }
        var word = [Int32]()
        word.reserveCapacity(bytes.count)
        for byte in bytes.dropLast() { word.append(ByteEncoder.tokenID[Int(byte)]) }
        word.append(ByteEncoder.tokenID[Int(last)] + 256)

        var scratch = [Int32]()
        scratch.reserveCapacity(word.count)
        while word.count > 1 {
            var bestRank = UInt64.max
            var bestKey: UInt64 = 0
            var bestMerged: Int32 = 0
            for index in 0..<(word.count - 1) {
                let key = UInt64(UInt32(word[index])) << 32 | UInt64(UInt32(word[index + 1]))
                if let entry = merges[key], entry >> 32 < bestRank {
                    bestRank = entry >> 32
                    bestKey = key
                    bestMerged = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF)
                }
            }
            if bestRank == UInt64.max { break }
            let first = Int32(truncatingIfNeeded: bestKey >> 32)
            let second = Int32(truncatingIfNeeded: bestKey & 0xFFFF_FFFF)
            scratch.removeAll(keepingCapacity: true)
            var index = 0
            while index < word.count {
                if word[index] == first && index + 1 < word.count && word[index + 1] == second {
                    scratch.append(bestMerged)
                    index += 2
                } else {
                    scratch.append(word[index])
                    index += 1
                }
            }
            swap(&word, &scratch)
        }
        return word
    }
}
