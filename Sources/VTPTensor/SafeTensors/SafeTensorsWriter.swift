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
        var data: [UInt8]
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
    public var totalDataBytes: Int { entries.reduce(0) { $0 + $1.data.count } }

    /// Adds Float values stored as F32, F16 or BF16 (rounded to nearest even) or F64.
    public mutating func add(name: String, shape: [Int], floats: [Float], as dtype: DType = .f32) throws {
        let count = try checkNew(name: name, shape: shape, given: floats.count)
        var data = [UInt8](repeating: 0, count: count * dtype.byteSize)
        switch dtype {
        case .f32: data = floats.withUnsafeBytes { Array($0) }
        case .f16, .bf16:
            data.withUnsafeMutableBytes { raw in
                let out = raw.bindMemory(to: UInt16.self)
                floats.withUnsafeBufferPointer {
                    if dtype == .f16 { DTypeConversion.convertFloatsToF16($0, into: out) } else {
                        DTypeConversion.convertFloatsToBF16($0, into: out)
                    }
                }
            }
        case .f64:
            data.withUnsafeMutableBytes { raw in
                let out = raw.bindMemory(to: Double.self)
                for i in 0..<count { out[i] = Double(floats[i]) }
            }
        default:
            throw SafeTensorsError.dtypeNotConvertible(file: Self.errorContext, tensor: name, dtype: dtype, to: "Float storage")
        }
        append(Entry(name: name, dtype: dtype, shape: shape, data: data))
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
        append(Entry(name: name, dtype: dtype, shape: shape, data: data))
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
        append(Entry(name: name, dtype: dtype, shape: shape, data: bytes))
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
            offset += e.data.count
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
        for e in order { out.append(contentsOf: e.data) }
        return out
    }

    /// Writes the file atomically: into a temporary file in the same directory, fsync, rename over `url`,
    /// fsync the directory. On failure the temporary file is removed and an existing file at `url` is untouched.
    public func write(to url: URL) throws {
        let (order, header) = try layout()
        var chunks: [[UInt8]] = [withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }, header]
        chunks.append(contentsOf: order.map(\.data))
        try Self.writeFile(chunks: chunks, to: url, failAfterBytes: failAfterBytesForTesting)
    }
}

extension SafeTensorsWriter {
    /// `AtomicFile.write` with its failures as `SafeTensorsError`s.
    static func writeFile(chunks: [[UInt8]], to url: URL, failAfterBytes: Int? = nil) throws {
        do {
            try AtomicFile.write(chunks: chunks, to: url, failAfterBytes: failAfterBytes)
        } catch let e as AtomicFile.Failure {
            switch e {
            case .directoryMissing(let f, let d): throw SafeTensorsError.directoryMissing(file: f, directory: d)
            case .notWritable(let f, let r): throw SafeTensorsError.notWritable(file: f, reason: r)
            case .writeFailed(let f, let r): throw SafeTensorsError.writeFailed(file: f, reason: r)
            }
        }
    }
}
