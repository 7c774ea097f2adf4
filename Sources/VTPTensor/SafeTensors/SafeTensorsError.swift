import Foundation

/// Everything that can go wrong reading or writing safetensors files. Every case names the file involved
/// (its path) and, where there is one, the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    // Opening and mapping
    case cannotOpen(file: String, reason: String)
    case notARegularFile(file: String)
    case mapFailed(file: String, reason: String)

    // Header framing
    case fileTooSmall(file: String, size: Int)
    case headerLengthZero(file: String)
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    case headerExceedsFile(file: String, length: UInt64, fileSize: Int)
    case headerNotUTF8(file: String)
    case headerNotJSON(file: String, reason: String)
    case headerNotObject(file: String)

    // Header entries
    case duplicateTensorName(file: String, tensor: String)
    case invalidMetadata(file: String, reason: String)
    case metadataValueNotString(file: String, key: String)
    case tensorEntryNotObject(file: String, tensor: String)
    case missingField(file: String, tensor: String, field: String)
    case wrongFieldType(file: String, tensor: String, field: String, expected: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case invalidDimension(file: String, tensor: String, dimension: String)
    case invalidOffset(file: String, tensor: String, value: String)
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    case sizeMismatch(file: String, tensor: String, dtype: DType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    case offsetsOutOfBounds(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    case overlappingTensors(file: String, tensor: String, other: String)
    case holeBetweenTensors(file: String, before: String?, after: String, gapBegin: Int, gapEnd: Int)
    case dataNotCovered(file: String, coveredBytes: Int, dataSize: Int)

    // Access
    case tensorNotFound(file: String, tensor: String)
    /// A tensor an input file must hold is absent (`available`: the names it has).
    case missingTensor(file: String, tensor: String, available: [String])
    case dtypeNotConvertible(file: String, tensor: String, dtype: DType, to: String)

    // Writing
    case invalidTensorName(file: String, tensor: String, reason: String)
    case invalidShape(file: String, tensor: String, shape: [Int])
    case elementCountMismatch(file: String, tensor: String, shape: [Int], expected: Int, actual: Int)
    case valueOutOfRange(file: String, tensor: String, dtype: DType, value: Int64)
    case directoryMissing(file: String, directory: String)
    case notWritable(file: String, reason: String)
    case writeFailed(file: String, reason: String)

    // Sharded checkpoints
    case invalidIndex(file: String, reason: String)
    case shardMissing(file: String, shard: String)
    case tensorMissingFromShard(file: String, tensor: String, shard: String)
    case unmappedTensors(file: String, tensors: [String])
    case invalidShardSize(file: String, size: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(f, r): return "\(f): cannot open: \(r)"
        case let .notARegularFile(f): return "\(f): not a regular file"
        case let .mapFailed(f, r): return "\(f): cannot memory-map: \(r)"
        case let .fileTooSmall(f, s): return "\(f): file is \(s) bytes, shorter than the 8-byte header length"
        case let .headerLengthZero(f): return "\(f): header length is 0"
        case let .headerTooLarge(f, n, l): return "\(f): header length \(n) exceeds the limit of \(l) bytes"
        case let .headerExceedsFile(f, n, s): return "\(f): header length \(n) runs past the end of the \(s)-byte file"
        case let .headerNotUTF8(f): return "\(f): header is not valid UTF-8"
        case let .headerNotJSON(f, r): return "\(f): header is not valid JSON: \(r)"
        case let .headerNotObject(f): return "\(f): header JSON is not an object"
        case let .duplicateTensorName(f, t): return "\(f): tensor '\(t)' appears more than once in the header"
        case let .invalidMetadata(f, r): return "\(f): __metadata__: \(r)"
        case let .metadataValueNotString(f, k): return "\(f): __metadata__ value for key '\(k)' is not a string"
        case let .tensorEntryNotObject(f, t): return "\(f): tensor '\(t)': header entry is not an object"
        case let .missingField(f, t, fld): return "\(f): tensor '\(t)': missing field '\(fld)'"
        case let .wrongFieldType(f, t, fld, e): return "\(f): tensor '\(t)': field '\(fld)' must be \(e)"
        case let .unknownDType(f, t, d): return "\(f): tensor '\(t)': unknown or unsupported dtype '\(d)'"
        case let .invalidDimension(f, t, d): return "\(f): tensor '\(t)': shape dimension \(d) is not a non-negative integer"
        case let .invalidOffset(f, t, v): return "\(f): tensor '\(t)': data offset \(v) is not a non-negative integer"
        case let .shapeOverflow(f, t, s): return "\(f): tensor '\(t)': byte size of shape \(s) overflows"
        case let .sizeMismatch(f, t, d, s, e, a):
            return "\(f): tensor '\(t)': \(d) \(s) needs \(e) bytes but data_offsets span \(a)"
        case let .offsetsOutOfBounds(f, t, b, e, s):
            return "\(f): tensor '\(t)': data_offsets [\(b), \(e)] lie outside the \(s)-byte data area"
        case let .overlappingTensors(f, t, o): return "\(f): tensors '\(o)' and '\(t)' overlap"
        case let .holeBetweenTensors(f, b, a, gb, ge):
            let where_ = b.map { "between '\($0)' and '\(a)'" } ?? "before '\(a)'"
            return "\(f): unused bytes [\(gb), \(ge)) in the data area \(where_); tensors must cover it contiguously"
        case let .dataNotCovered(f, c, s):
            return "\(f): tensors cover \(c) bytes but the data area is \(s) bytes (trailing data)"
        case let .tensorNotFound(f, t): return "\(f): no tensor named '\(t)'"
        case let .missingTensor(f, t, a): return "\(f) has no tensor named '\(t)' (it has: \(a.isEmpty ? "none" : a.joined(separator: ", ")))"
        case let .dtypeNotConvertible(f, t, d, to): return "\(f): tensor '\(t)': \(d) cannot be read as \(to)"
        case let .invalidTensorName(f, t, r): return "\(f): tensor name '\(t)': \(r)"
        case let .invalidShape(f, t, s): return "\(f): tensor '\(t)': invalid shape \(s)"
        case let .elementCountMismatch(f, t, s, e, a):
            return "\(f): tensor '\(t)': shape \(s) has \(e) elements but \(a) were given"
        case let .valueOutOfRange(f, t, d, v): return "\(f): tensor '\(t)': value \(v) does not fit \(d)"
        case let .directoryMissing(f, d): return "\(f): cannot write: directory \(d) does not exist"
        case let .notWritable(f, r): return "\(f): cannot write: \(r)"
        case let .writeFailed(f, r): return "\(f): write failed: \(r)"
        case let .invalidIndex(f, r): return "\(f): invalid shard index: \(r)"
        case let .shardMissing(f, s): return "\(f): shard '\(s)' named in the index cannot be opened"
        case let .tensorMissingFromShard(f, t, s): return "\(f): tensor '\(t)' is mapped to shard '\(s)' but is not in it"
        case let .unmappedTensors(f, ts):
            let shown = ts.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
            return "\(f): \(ts.count) tensor(s) in shards are missing from weight_map: \(shown)\(ts.count > 10 ? ", ..." : "")"
        case let .invalidShardSize(f, s): return "\(f): max shard size \(s) must be positive"
        }
    }
}

/// The text of errno, for error messages.
func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code)) + " (errno \(code))"
}
