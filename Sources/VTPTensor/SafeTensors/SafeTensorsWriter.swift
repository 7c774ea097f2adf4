import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects tensors and writes them as one safetensors file.
///
/// The output is byte-identical to the reference library (`safetensors.serialize_file` / `save_file`) for the
/// same tensors and at most one metadata entry: tensors are laid out by descending dtype alignment, then by name
/// (UTF-8 byte order); the header is compact JSON escaped as serde_json does, padded with spaces to a multiple
/// of 8 bytes. (The reference writes metadata keys in hash order, which varies between runs; we sort them.)
public struct SafeTensorsWriter: Sendable {
    struct Entry: Sendable {
        var name: String
        var dtype: DType
        var shape: [Int]
        var data: Payload
    }

    /// A tensor's bytes: held (already encoded), or a `Tensor` encoded piece by piece while the file is written.
    enum Payload: Sendable {
        case bytes([UInt8])
        case tensor(Tensor)

        /// Values encoded per piece when streaming a `Tensor` (4 MiB of F32).
        static let piece = 1 << 20

        /// Size in the file (`dtype` is the stored dtype).
        func byteCount(_ dtype: DType) -> Int {
            switch self {
            case .bytes(let b): return b.count
            case .tensor(let t): return t.count * dtype.byteSize
            }
        }

        /// Passes the encoded bytes to `body` in order, at most `piece` values at a time for a `Tensor`.
        func forEachPiece(_ dtype: DType, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
            switch self {
            case .bytes(let b): try b.withUnsafeBytes(body)
            case .tensor(let t):
                if dtype == .f32 {
                    // Little-endian hosts only (as everywhere in this writer): the storage is the file's bytes.
                    try body(UnsafeRawBufferPointer(start: t.data, count: t.count * 4))
                    return
                }
                var start = 0
                var buffer = [UInt8](repeating: 0, count: min(t.count, Self.piece) * dtype.byteSize)
                while start < t.count {
                    let n = min(Self.piece, t.count - start)
                    let values = UnsafeBufferPointer(start: t.data + start, count: n)
                    buffer.withUnsafeMutableBytes { SafeTensorsWriter.encode(values, as: dtype, into: $0) }
                    try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(n * dtype.byteSize))) }
                    start += n
                }
            }
        }
    }

    /// Written as `__metadata__` when not empty.
    public var metadata: [String: String]
    var entries: [Entry] = []
    private var namesInUse = Set<TensorNameKey>()
    /// Test hook: fail a file write after this many bytes have been written to the temporary file.
    var failAfterBytesForTesting: Int? = nil

    static let errorContext = "SafeTensorsWriter"

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Names in the order they were added.
    public var names: [String] { entries.map(\.name) }
    public var count: Int { entries.count }
    /// Sum of the tensors' data sizes in bytes.
    public var totalDataBytes: Int { entries.reduce(0) { $0 + $1.data.byteCount($1.dtype) } }

    /// Adds Float values stored as F32, F16 or BF16 (rounded to nearest even) or F64.
    public mutating func add(name: String, shape: [Int], floats: [Float], as dtype: DType = .f32) throws {
        let count = try checkNew(name: name, shape: shape, given: floats.count)
        try Self.checkFloatStorage(dtype, tensor: name)
        var data = [UInt8](repeating: 0, count: count * dtype.byteSize)
        data.withUnsafeMutableBytes { raw in floats.withUnsafeBufferPointer { Self.encode($0, as: dtype, into: raw) } }
        append(Entry(name: name, dtype: dtype, shape: shape, data: .bytes(data)))
    }

    /// Adds a tensor without copying it: its values are encoded (F32, F16, BF16 or F64 as in
    /// `add(name:shape:floats:as:)`) straight into the file by `write(to:)`, a piece at a time, so that writing a
    /// model needs no second copy of its weights. The values written are those the tensor holds at that time.
    public mutating func add(name: String, tensor: Tensor, as dtype: DType = .f32) throws {
        _ = try checkNew(name: name, shape: tensor.shape, given: tensor.count)
        try Self.checkFloatStorage(dtype, tensor: name)
        append(Entry(name: name, dtype: dtype, shape: tensor.shape, data: .tensor(tensor)))
    }

    private static func checkFloatStorage(_ dtype: DType, tensor name: String) throws {
        guard [.f32, .f16, .bf16, .f64].contains(dtype) else {
            throw SafeTensorsError.dtypeNotConvertible(file: errorContext, tensor: name, dtype: dtype, to: "Float storage")
        }
    }

    /// Encodes `values` as `dtype` (F32, F16, BF16 rounded to nearest even, or F64) into `out`, which holds
    /// exactly `values.count × dtype.byteSize` bytes.
    static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: DType, into out: UnsafeMutableRawBufferPointer) {
        switch dtype {
        case .f16: DTypeConversion.convertFloatsToF16(values, into: out.bindMemory(to: UInt16.self))
        case .bf16: DTypeConversion.convertFloatsToBF16(values, into: out.bindMemory(to: UInt16.self))
        case .f64:
            let d = out.bindMemory(to: Double.self)
            for i in values.indices { d[i] = Double(values[i]) }
        default: out.copyMemory(from: UnsafeRawBufferPointer(values))
        }
    }

    /// Adds integer values stored as I64, I32, I16, I8, U8 or BOOL (0/1); values that do not fit throw.
    public mutating func add(name: String, shape: [Int], int64s: [Int64], as dtype: DType = .i64) throws {
        let count = try checkNew(name: name, shape: shape, given: int64s.count)
        let range: ClosedRange<Int64>
        switch dtype {
        case .i64: range = Int64.min...Int64.max
        case .i32: range = Int64(Int32.min)...Int64(Int32.max)
        case .i16: range = Int64(Int16.min)...Int64(Int16.max)
        case .i8: range = Int64(Int8.min)...Int64(Int8.max)
        case .u8: range = 0...255
        case .bool: range = 0...1
        default:
            throw SafeTensorsError.dtypeNotConvertible(file: Self.errorContext, tensor: name, dtype: dtype, to: "integer storage")
        }
        if let bad = int64s.first(where: { !range.contains($0) }) {
            throw SafeTensorsError.valueOutOfRange(file: Self.errorContext, tensor: name, dtype: dtype, value: bad)
        }
        var data = [UInt8](repeating: 0, count: count * dtype.byteSize)
        data.withUnsafeMutableBytes { raw in
            for (i, v) in int64s.enumerated() {
                switch dtype {
                case .i64: raw.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
                case .i32: raw.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self)
                case .i16: raw.storeBytes(of: Int16(v), toByteOffset: i * 2, as: Int16.self)
                case .i8: raw.storeBytes(of: Int8(v), toByteOffset: i, as: Int8.self)
                default: raw[i] = UInt8(v)  // u8, bool
                }
            }
        }
        append(Entry(name: name, dtype: dtype, shape: shape, data: .bytes(data)))
    }

    /// Adds already-encoded little-endian bytes; their count must be the shape's element count × dtype size.
    public mutating func add(name: String, shape: [Int], dtype: DType, bytes: [UInt8]) throws {
        let count = try checkNew(name: name, shape: shape, given: nil)
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow || needed != bytes.count {
            throw SafeTensorsError.sizeMismatch(
                file: Self.errorContext, tensor: name, dtype: dtype, shape: shape,
                expectedBytes: overflow ? Int.max : needed, actualBytes: bytes.count)
        }
        append(Entry(name: name, dtype: dtype, shape: shape, data: .bytes(bytes)))
    }

    private mutating func append(_ e: Entry) {
        namesInUse.insert(TensorNameKey(e.name))
        entries.append(e)
    }

    /// Validates a new tensor's name and shape; returns its element count.
    private func checkNew(name: String, shape: [Int], given: Int?) throws -> Int {
        if name == "__metadata__" {
            throw SafeTensorsError.invalidTensorName(file: Self.errorContext, tensor: name, reason: "reserved for metadata")
        }
        if namesInUse.contains(TensorNameKey(name)) {
            throw SafeTensorsError.duplicateTensorName(file: Self.errorContext, tensor: name)
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if d < 0 || overflow { throw SafeTensorsError.invalidShape(file: Self.errorContext, tensor: name, shape: shape) }
            count = p
        }
        if let given, given != count {
            throw SafeTensorsError.elementCountMismatch(
                file: Self.errorContext, tensor: name, shape: shape, expected: count, actual: given)
        }
        return count
    }

    // MARK: layout

    /// Entries in file order and the padded header (without the 8-byte length).
    func layout() throws -> (order: [Entry], header: [UInt8]) {
        let order = entries.sorted { a, b in
            if a.dtype.referenceWriterRank != b.dtype.referenceWriterRank {
                return a.dtype.referenceWriterRank > b.dtype.referenceWriterRank
            }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var h: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        if !metadata.isEmpty {
            h.append(contentsOf: Array("\"__metadata__\":{".utf8))
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { h.append(UInt8(ascii: ",")) }
                STJSONWriter.appendString(key, to: &h)
                h.append(UInt8(ascii: ":"))
                STJSONWriter.appendString(metadata[key]!, to: &h)
            }
            h.append(UInt8(ascii: "}"))
            first = false
        }
        var offset = 0
        for e in order {
            if !first { h.append(UInt8(ascii: ",")) }
            first = false
            STJSONWriter.appendString(e.name, to: &h)
            h.append(contentsOf: Array(":{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[".utf8))
            for (i, d) in e.shape.enumerated() {
                if i > 0 { h.append(UInt8(ascii: ",")) }
                STJSONWriter.appendInt(d, to: &h)
            }
            h.append(contentsOf: Array("],\"data_offsets\":[".utf8))
            STJSONWriter.appendInt(offset, to: &h)
            h.append(UInt8(ascii: ","))
            offset += e.data.byteCount(e.dtype)
            STJSONWriter.appendInt(offset, to: &h)
            h.append(contentsOf: Array("]}".utf8))
        }
        h.append(UInt8(ascii: "}"))
        while h.count % 8 != 0 { h.append(UInt8(ascii: " ")) }
        if h.count > SafeTensorsHeader.maxHeaderLength {
            throw SafeTensorsError.headerTooLarge(
                file: Self.errorContext, length: UInt64(h.count), limit: SafeTensorsHeader.maxHeaderLength)
        }
        return (order, h)
    }

    /// The whole file in memory.
    public func serialized() throws -> [UInt8] {
        let (order, header) = try layout()
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + totalDataBytes)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in order { e.data.forEachPiece(e.dtype) { out.append(contentsOf: $0) } }
        return out
    }

    /// Writes the file atomically: into a temporary file in the same directory, fsync, rename over `url`,
    /// fsync the directory. On failure the temporary file is removed and an existing file at `url` is untouched.
    /// Tensors are streamed into the file one after the other (see `add(name:tensor:as:)`): besides what the
    /// writer holds, only one piece of one tensor is in memory at a time.
    public func write(to url: URL) throws {
        let (order, header) = try layout()
        try Self.writeFile(to: url, failAfterBytes: failAfterBytesForTesting) { sink in
            try sink.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
            try sink.write(header)
            for e in order { try e.data.forEachPiece(e.dtype) { try sink.write($0) } }
        }
    }
}

extension SafeTensorsWriter {
    /// `AtomicFile.write(chunks:)` with its failures as `SafeTensorsError`s.
    static func writeFile(chunks: [[UInt8]], to url: URL, failAfterBytes: Int? = nil) throws {
        try writeFile(to: url, failAfterBytes: failAfterBytes) { sink in for c in chunks { try sink.write(c) } }
    }

    /// `AtomicFile.write(to:body:)` with its failures as `SafeTensorsError`s.
    static func writeFile(to url: URL, failAfterBytes: Int? = nil, _ body: (AtomicFile.Sink) throws -> Void) throws {
        do {
            try AtomicFile.write(to: url, failAfterBytes: failAfterBytes, body)
        } catch let e as AtomicFile.Failure {
            switch e {
            case .directoryMissing(let f, let d): throw SafeTensorsError.directoryMissing(file: f, directory: d)
            case .notWritable(let f, let r): throw SafeTensorsError.notWritable(file: f, reason: r)
            case .writeFailed(let f, let r): throw SafeTensorsError.writeFailed(file: f, reason: r)
            }
        }
    }
}
