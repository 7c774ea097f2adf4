import Foundation

/// A safetensors file, memory-mapped and validated on open. Tensor data is copied (and converted) only when
/// asked for; `withRawBytes` gives zero-copy access to the mapping. The mapping is released when the object
/// goes away. Immutable, so safe to share between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    public let url: URL
    /// The `__metadata__` object of the header (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in the order of the header.
    public let names: [String]
    /// Tensor entries in the order of the header.
    public let tensors: [SafeTensorInfo]
    /// Size of the whole file in bytes.
    public var fileSize: Int { mapped.bytes.count }

    private let mapped: MappedFile
    private let dataStart: Int
    private let index: [TensorNameKey: Int]

    public init(url: URL) throws {
        let path = url.path
        self.url = url
        mapped = try MappedFile(path: path)
        let header = try SafeTensorsHeader.parse(mapped.bytes, file: path)
        metadata = header.metadata
        tensors = header.tensors
        names = header.tensors.map(\.name)
        dataStart = header.dataStart
        var index: [TensorNameKey: Int] = [:]
        for (i, t) in header.tensors.enumerated() { index[TensorNameKey(t.name)] = i }
        self.index = index
    }

    public convenience init(path: String) throws { try self.init(url: URL(fileURLWithPath: path)) }

    public var count: Int { tensors.count }
    public func contains(_ name: String) -> Bool { index[TensorNameKey(name)] != nil }

    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let i = index[TensorNameKey(name)] else { throw SafeTensorsError.tensorNotFound(file: url.path, tensor: name) }
        return tensors[i]
    }

    /// The tensor `name` as an F32 tensor of its shape (any float dtype converted). A missing name is an error
    /// listing the names the file has.
    public func tensor(_ name: String) throws -> Tensor {
        guard contains(name) else {
            throw SafeTensorsError.missingTensor(file: url.path, tensor: name, available: names)
        }
        return Tensor(try floats(name), shape: try info(name).shape)
    }

    /// Calls `body` with the tensor's little-endian bytes inside the mapping (no copy; may be unaligned).
    /// The buffer must not escape `body`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let t = try info(name)
        return try withRawBytes(of: t, body)
    }

    func withRawBytes<R>(of t: SafeTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = dataStart + t.byteRange.lowerBound
        let buffer = UnsafeRawBufferPointer(rebasing: mapped.bytes[start..<(start + t.byteRange.count)])
        return try withExtendedLifetime(mapped) { try body(buffer) }
    }

    /// A copy of the tensor's raw bytes.
    public func bytes(_ name: String) throws -> [UInt8] {
        try withRawBytes(name) { Array($0) }
    }

    /// The tensor's values converted to Float, row-major. F32 is copied; F16/BF16 are widened exactly;
    /// F64 and 64/32-bit integers are rounded to nearest; BOOL gives 0 or 1.
    public func floats(_ name: String) throws -> [Float] {
        let t = try info(name)
        return withRawBytes(of: t) { SafeTensorsDecoding.floats($0, dtype: t.dtype, count: t.elementCount) }
    }

    /// The tensor's values as Int64, for integer and BOOL tensors; float tensors throw `dtypeNotConvertible`.
    public func int64s(_ name: String) throws -> [Int64] {
        let t = try info(name)
        guard let values = withRawBytes(of: t, { SafeTensorsDecoding.int64s($0, dtype: t.dtype, count: t.elementCount) })
        else { throw SafeTensorsError.dtypeNotConvertible(file: url.path, tensor: name, dtype: t.dtype, to: "Int64") }
        return values
    }
}

/// Conversion of raw little-endian tensor bytes (possibly unaligned) to Swift arrays (safetensors, and the
/// PyTorch and NumPy readers of VTPData).
public enum SafeTensorsDecoding {
    /// `count` values of `dtype` as Float: F32 copied, F16/BF16 widened exactly, F64 and integers rounded to
    /// nearest, BOOL 0/1.
    public static func floats(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        guard count > 0, let src = raw.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let d = out.baseAddress!
            switch dtype {
            case .f32: UnsafeMutableRawPointer(d).copyMemory(from: src, byteCount: count * 4)
            case .f16: DTypeConversion.convertF16ToFloats(raw: src, count: count, into: d)
            case .bf16: DTypeConversion.convertBF16ToFloats(raw: src, count: count, into: d)
            case .f64: for i in 0..<count { d[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            case .i64: for i in 0..<count { d[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
            case .i32: for i in 0..<count { d[i] = Float(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
            case .i16: for i in 0..<count { d[i] = Float(src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
            case .i8: for i in 0..<count { d[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
            case .u8: for i in 0..<count { d[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
            case .bool: for i in 0..<count { d[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            }
            initialized = count
        }
    }

    /// nil for floating-point dtypes.
    static func int64s(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Int64]? {
        if dtype.isFloatingPoint { return nil }
        guard count > 0, let src = raw.baseAddress else { return [] }
        return [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            let d = out.baseAddress!
            switch dtype {
            case .i64: UnsafeMutableRawPointer(d).copyMemory(from: src, byteCount: count * 8)
            case .i32: for i in 0..<count { d[i] = Int64(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
            case .i16: for i in 0..<count { d[i] = Int64(src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
            case .i8: for i in 0..<count { d[i] = Int64(src.load(fromByteOffset: i, as: Int8.self)) }
            case .u8: for i in 0..<count { d[i] = Int64(src.load(fromByteOffset: i, as: UInt8.self)) }
            case .bool: for i in 0..<count { d[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            case .f32, .f16, .bf16, .f64: break  // excluded above
            }
            initialized = count
        }
    }
}
