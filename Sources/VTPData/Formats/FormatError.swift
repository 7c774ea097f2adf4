import Foundation
import VTPTensor

/// Everything that can go wrong reading a zip archive, a PyTorch checkpoint or a NumPy file. Every case names the
/// file (its path); none is a crash.
public enum FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, reason: String)
    /// The archive or stream ends before a structure it announces (what was being read, at which byte offset).
    case truncated(file: String, what: String, offset: Int)
    case invalidZip(file: String, reason: String)
    case zipEntryMissing(file: String, entry: String)
    case decompressionFailed(file: String, entry: String, reason: String)
    case invalidPickle(file: String, offset: Int, reason: String)
    /// A pickle names a global outside the state-dict allow-list; nothing was executed.
    case forbiddenGlobal(file: String, module: String, name: String)
    case storageOutOfRange(file: String, tensor: String, reason: String)
    case unsupported(file: String, reason: String)
    case keyNotFound(file: String, key: String, available: [String])
    case invalidNumPy(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read: \(r)"
        case let .truncated(f, w, o): return "\(f): truncated: \(w) at byte \(o) runs past the end of the data"
        case let .invalidZip(f, r): return "\(f): not a valid zip archive: \(r)"
        case let .zipEntryMissing(f, e): return "\(f): the archive has no entry '\(e)'"
        case let .decompressionFailed(f, e, r): return "\(f): entry '\(e)': cannot decompress: \(r)"
        case let .invalidPickle(f, o, r): return "\(f): invalid pickle at byte \(o): \(r)"
        case let .forbiddenGlobal(f, m, n):
            return "\(f): the pickle uses the global '\(m).\(n)', which is not allowed in a state dict (refused; nothing was executed)"
        case let .storageOutOfRange(f, t, r): return "\(f): tensor '\(t)': \(r)"
        case let .unsupported(f, r): return "\(f): unsupported: \(r)"
        case let .keyNotFound(f, k, a):
            let shown = a.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
            return "\(f): no entry '\(k)'; available: \(shown)\(a.count > 20 ? ", ..." : "")"
        case let .invalidNumPy(f, r): return "\(f): invalid .npy data: \(r)"
        }
    }
}

/// A dense tensor read from a file: dtype, shape and its values as little-endian bytes in row-major (C) order.
public struct StoredTensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: [UInt8]

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The values converted to Float: F32 copied, F16/BF16 widened exactly, F64 and integers rounded to nearest,
    /// BOOL 0/1.
    public var floats: [Float] {
        let n = elementCount
        return bytes.withUnsafeBytes { SafeTensorsDecoding.floats($0, dtype: dtype, count: n) }
    }

    /// The values as Double (F64 exact, every other dtype through `floats`' conversion widened exactly).
    public var doubles: [Double] {
        guard dtype == .f64 else { return floats.map(Double.init) }
        return bytes.withUnsafeBytes { raw in (0..<elementCount).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }
}

/// Bounds-checked little-endian reads from a byte buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String

    func require(_ offset: Int, _ count: Int, _ what: String) throws {
        if offset < 0 || count < 0 || offset > bytes.count || count > bytes.count - offset {
            throw FormatError.truncated(file: file, what: what, offset: offset)
        }
    }
    func u8(_ o: Int, _ what: String) throws -> UInt8 { try require(o, 1, what); return bytes[o] }
    func u16(_ o: Int, _ what: String) throws -> Int {
        try require(o, 2, what); return Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
    }
    func u32(_ o: Int, _ what: String) throws -> Int {
        try require(o, 4, what); return Int(bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
    }
    /// A u64 that must fit a non-negative Int.
    func u64(_ o: Int, _ what: String) throws -> Int {
        try require(o, 8, what)
        let v = bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian
        guard v <= UInt64(Int.max) else { throw FormatError.truncated(file: file, what: "\(what) (value \(v))", offset: o) }
        return Int(v)
    }
    func slice(_ o: Int, _ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try require(o, n, what); return UnsafeRawBufferPointer(rebasing: bytes[o..<(o + n)])
    }
}

/// Reads a whole file (memory-mapped where the system allows), with a clear error.
func readFileBytes(_ url: URL) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw FormatError.unreadable(file: url.path, reason: "no such file")
    }
    if isDirectory.boolValue { throw FormatError.unreadable(file: url.path, reason: "it is a directory") }
    do { return try Data(contentsOf: url, options: .alwaysMapped) } catch {
        throw FormatError.unreadable(file: url.path, reason: error.localizedDescription)
    }
}
