import Foundation

/// Errors raised while loading the CLIP BPE vocabulary.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The bundled merges file is not in the VTPData resource bundle.
    case bundledResourceMissing(name: String)
    /// The merges file does not exist or cannot be read.
    case mergesFileUnreadable(path: String, reason: String)
    /// The merges file looks gzip-compressed but cannot be decompressed.
    case mergesFileDecompressionFailed(path: String, reason: String)
    /// The merges file is not valid UTF-8 text.
    case mergesFileNotUTF8(path: String)
    /// The merges file has fewer merge lines than the CLIP vocabulary needs.
    case mergesFileTooShort(path: String, mergeLines: Int, required: Int)
    /// A merge line is not of the form "left right".
    case mergesFileMalformedLine(path: String, lineNumber: Int, line: String)

    public var description: String {
        switch self {
        case .bundledResourceMissing(let name):
            return "CLIP tokenizer: the bundled resource '\(name)' is missing from the VTPData bundle"
        case .mergesFileUnreadable(let path, let reason):
            return "CLIP tokenizer: cannot read the BPE merges file at \(path): \(reason)"
        case .mergesFileDecompressionFailed(let path, let reason):
            return "CLIP tokenizer: cannot decompress the BPE merges file at \(path): \(reason)"
        case .mergesFileNotUTF8(let path):
            return "CLIP tokenizer: the BPE merges file at \(path) is not valid UTF-8 text"
        case .mergesFileTooShort(let path, let mergeLines, let required):
            return "CLIP tokenizer: the BPE merges file at \(path) has \(mergeLines) merge lines after the header, "
                + "but the CLIP vocabulary needs \(required) (is it bpe_simple_vocab_16e6.txt[.gz]?)"
        case .mergesFileMalformedLine(let path, let lineNumber, let line):
            return "CLIP tokenizer: line \(lineNumber) of the BPE merges file at \(path) is not \"left right\": "
                + String(reflecting: String(line.prefix(80)))
        }
    }
}
