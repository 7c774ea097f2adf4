import Foundation

/// The CLIP text tokenizer (OpenAI CLIP's `SimpleTokenizer`, as used by VTP): byte-level BPE over a
/// 49408-token vocabulary, with CLIP's text cleaning and pre-tokenisation. It produces the same ids
/// as the Python reference.
///
/// ```swift
/// let tokenizer = try CLIPTokenizer()
/// let rows = tokenizer.tokenize(["a photo of a cat"])   // [[49406, 320, 1125, 539, 320, 2368, 49407, 0, ...]]
/// ```
///
/// Instances are safe to use from several threads; each keeps a cache of encoded words.
public final class CLIPTokenizer: @unchecked Sendable {
    public static let startToken = 49406
    public static let endToken = 49407
    public static let vocabularySize = 49408
    public static let defaultContextLength = 77

    private let vocabulary: BPEVocabulary
    private let cleaner: TextCleaner
    private let lock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    private static let cacheLimit = 100_000

    /// The merges file bundled with VTPData.
    static var bundledMergesFile: URL? {
        Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz")
    }

    /// Loads the merges file bundled with VTPData (`bpe_simple_vocab_16e6.txt.gz`).
    public convenience init() throws {
        guard let url = Self.bundledMergesFile else {
            throw TokenizerError.bundledResourceMissing(name: "bpe_simple_vocab_16e6.txt.gz")
        }
        try self.init(mergesFile: url)
    }

    /// Loads a CLIP BPE merges file, plain text or gzip-compressed (detected from its content).
    /// Throws `TokenizerError` if the file is missing, unreadable, corrupt or too short.
    public init(mergesFile: URL) throws {
        let data: Data
        do {
            data = try GzipReader.contents(of: mergesFile)
        } catch {
            switch error {
            case .unreadable(let reason): throw TokenizerError.mergesFileUnreadable(path: mergesFile.path, reason: reason)
            case .corrupt(let reason): throw TokenizerError.mergesFileDecompressionFailed(path: mergesFile.path, reason: reason)
            }
        }
        vocabulary = try BPEVocabulary(mergesText: data, path: mergesFile.path)
        cleaner = TextCleaner(entities: try HTMLEntities.shared.get())
    }

    /// The text after CLIP's cleaning (ftfy-style fixes, HTML unescaping, white-space collapsing,
    /// lower case): what is actually split and encoded.
    public func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(cleaner.clean(Array(text.unicodeScalars))))
    }

    /// Token ids of `text`, without start/end tokens and without truncation.
    public func encode(_ text: String) -> [Int] {
        encodeIDs(text).map { Int($0) }
    }

    /// One row per text: `[startToken] + encode(text) + [endToken]`, zero-padded to `contextLength`.
    /// A longer sequence is cut to `contextLength` ids whose last one is replaced by `endToken`.
    /// A non-positive `contextLength` gives empty rows.
    public func tokenize(_ texts: [String], contextLength: Int = CLIPTokenizer.defaultContextLength) -> [[Int32]] {
        texts.map { tokenize($0, contextLength: contextLength) }
    }

    /// The row of one text (see `tokenize(_:contextLength:)`).
    public func tokenize(_ text: String, contextLength: Int = CLIPTokenizer.defaultContextLength) -> [Int32] {
        guard contextLength > 0 else { return [] }
        var row = [vocabulary.startID]
        // Pieces past the context are cut anyway, so encoding stops once the row is full.
        row.append(contentsOf: encodeIDs(text, limit: contextLength))
        row.append(vocabulary.endID)
        if row.count > contextLength {
            row.removeLast(row.count - contextLength)
            row[contextLength - 1] = vocabulary.endID
        }
        row.append(contentsOf: repeatElement(0, count: contextLength - row.count))
        return row
    }

    /// Text of token ids: the inverse of `encode` up to cleaning (`</w>` word ends become spaces, so
    /// the result usually ends with a space). Invalid UTF-8 becomes U+FFFD; ids outside the
    /// vocabulary are skipped. Like the reference, padding id 0 decodes to "!" and the start/end
    /// tokens to their names.
    public func decode(_ ids: [Int]) -> String {
        let endOfWord = Array("</w>".utf8)
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < vocabulary.count {
            var symbol = vocabulary.symbols[id][...]
            let wordEnd = symbol.count >= endOfWord.count && symbol.suffix(endOfWord.count).elementsEqual(endOfWord)
            if wordEnd { symbol = symbol.dropLast(endOfWord.count) }
            for scalar in String(decoding: symbol, as: UTF8.self).unicodeScalars {
                if let byte = ByteEncoder.byte(forCharacter: scalar.value) { bytes.append(byte) }
            }
            if wordEnd { bytes.append(0x20) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `decode` for rows as returned by `tokenize`.
    public func decode(_ ids: [Int32]) -> String {
        decode(ids.map { Int($0) })
    }

    /// The vocabulary strings of ids, as in the merges file (byte-level characters, `</w>` at word
    /// ends); ids outside the vocabulary are skipped.
    public func vocabularyStrings(_ ids: [Int]) -> [String] {
        ids.filter { $0 >= 0 && $0 < vocabulary.count }.map { String(decoding: vocabulary.symbols[$0], as: UTF8.self) }
    }

    // MARK: - Encoding

    /// The ids of `text`; with a `limit`, encoding may stop once at least `limit` ids are produced.
    private func encodeIDs(_ text: String, limit: Int = .max) -> [Int32] {
        let cleaned = cleaner.clean(Array(text.unicodeScalars))
        var ids: [Int32] = []
        ids.reserveCapacity(cleaned.count)
        var bytes: [UInt8] = []
        for piece in PreTokenizer.split(cleaned) {
            if ids.count >= limit { break }
            bytes.removeAll(keepingCapacity: true)
            for scalar in cleaned[piece] {
                UTF8.encode(scalar) { bytes.append($0) }
            }
            ids.append(contentsOf: encodePiece(bytes))
        }
        return ids
    }

    private static let startBytes = Array(BPEVocabulary.startOfText.utf8)
    private static let endBytes = Array(BPEVocabulary.endOfText.utf8)

    private func encodePiece(_ bytes: [UInt8]) -> [Int32] {
        if bytes == Self.startBytes { return [vocabulary.startID] }
        if bytes == Self.endBytes { return [vocabulary.endID] }
        if bytes.count == 1 { return vocabulary.encodeWord(bytes) }
        lock.lock()
        let cached = cache[bytes]
        lock.unlock()
        if let cached { return cached }
        let ids = vocabulary.encodeWord(bytes)
        lock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[bytes] = ids
        lock.unlock()
        return ids
    }
}
