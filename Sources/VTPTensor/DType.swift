// Element types of stored tensors and the conversions between Float and the 16-bit float formats.

#if _endian(big)
#error("VTPTensor assumes a little-endian host (safetensors data is little-endian)")
#endif

/// The element type of a stored tensor, spelled as in the safetensors header (`"F32"`, `"BF16"`, ...).
public enum DType: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }

    public var description: String { rawValue }

    /// Position in the reference implementation's `Dtype` enum, which is declared "in increasing alignment order".
    /// Its writer lays tensors out by descending rank, then by name; ours does the same so files are byte-identical.
    var referenceWriterRank: Int {
        switch self {
        case .bool: return 0
        case .u8: return 4
        case .i8: return 5
        case .i16: return 11
        case .f16: return 13
        case .bf16: return 14
        case .i32: return 15
        case .f32: return 17
        case .f64: return 19
        case .i64: return 20
        }
    }
}

/// Bit-exact conversions between `Float` and the 16-bit formats, stored as their `UInt16` bit patterns.
///
/// Float → 16-bit rounds to nearest, ties to even (as IEEE 754, numpy, PyTorch and the F16C instructions do);
/// values too large for the format become ±infinity; F16 subnormals are produced and read exactly;
/// NaN stays NaN (quieted, sign and the top payload bits kept). 16-bit → Float is exact.
public enum DTypeConversion {
    // MARK: scalar

    @inlinable
    public static func bf16(fromFloat value: Float) -> UInt16 {
        let x = value.bitPattern
        if (x & 0x7FFF_FFFF) > 0x7F80_0000 {  // NaN: truncate, force the quiet bit so it cannot become infinity
            return UInt16(truncatingIfNeeded: x >> 16) | 0x0040
        }
        let bias: UInt32 = 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: (x &+ bias) >> 16)
    }

    @inlinable
    public static func floatFromBF16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    @inlinable
    public static func f16(fromFloat value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let a = x & 0x7FFF_FFFF
        let r: UInt32
        if a > 0x7F80_0000 {
            r = 0x7E00 | ((a >> 13) & 0x03FF)  // NaN: quiet, keep top payload bits
        } else if a >= 0x4780_0000 {
            r = 0x7C00  // >= 65536 (or infinity): infinity
        } else if a >= 0x3880_0000 {
            // Normal half (>= 2^-14): rebias the exponent, round the 13 dropped bits to nearest even.
            // A carry out of the mantissa correctly bumps the exponent (65520 and up become infinity).
            let t = a &- 0x3800_0000
            r = (t &+ 0x0FFF &+ ((t >> 13) & 1)) >> 13
        } else {
            // Subnormal or zero half: adding 0.5 puts units of 2^-24 in the low mantissa bits, and the
            // hardware addition rounds them to nearest even. The result is at most 0x400 (smallest normal).
            let sum = Float(bitPattern: a) + Float(bitPattern: 0x3F00_0000)
            r = sum.bitPattern &- 0x3F00_0000
        }
        return UInt16(truncatingIfNeeded: r) | sign
    }

    @inlinable
    public static func floatFromF16(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let em = UInt32(bits & 0x7FFF)
        let exponent = em & 0x7C00
        let magnitude: UInt32
        if exponent == 0x7C00 {
            magnitude = (em << 13) | 0x7F80_0000  // infinity / NaN (payload kept)
        } else if exponent == 0 {
            magnitude = (Float(em) * 0x1p-24).bitPattern  // zero / subnormal: exact (em < 1024)
        } else {
            magnitude = (em << 13) &+ 0x3800_0000  // normal: rebias 15 -> 127
        }
        return Float(bitPattern: magnitude | sign)
    }

    // MARK: bulk (vectorisable loops; about memory speed)

    /// Converts `source` into the first `source.count` elements of `destination`.
    public static func convertFloatsToBF16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        checkCounts(source.count, destination.count)
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = bf16(fromFloat: s[i]) }
    }

    public static func convertBF16ToFloats(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        checkCounts(source.count, destination.count)
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = floatFromBF16(s[i]) }
    }

    public static func convertFloatsToF16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        checkCounts(source.count, destination.count)
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = f16(fromFloat: s[i]) }
    }

    public static func convertF16ToFloats(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        checkCounts(source.count, destination.count)
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        for i in 0..<source.count { d[i] = floatFromF16(s[i]) }
    }

    /// Reads `count` little-endian 16-bit patterns from possibly unaligned raw memory (e.g. a mapped file).
    public static func convertBF16ToFloats(raw source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<max(count, 0) {
            destination[i] = floatFromBF16(source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
        }
    }

    public static func convertF16ToFloats(raw source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<max(count, 0) {
            destination[i] = floatFromF16(source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
        }
    }

    // MARK: arrays

    public static func bf16(fromFloats values: [Float]) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { convertFloatsToBF16($0, into: buffer) }
            initialized = values.count
        }
    }

    public static func floats(fromBF16 values: [UInt16]) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { convertBF16ToFloats($0, into: buffer) }
            initialized = values.count
        }
    }

    public static func f16(fromFloats values: [Float]) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { convertFloatsToF16($0, into: buffer) }
            initialized = values.count
        }
    }

    public static func floats(fromF16 values: [UInt16]) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { convertF16ToFloats($0, into: buffer) }
            initialized = values.count
        }
    }

    /// Rounds every value to the nearest BF16 / F16 value, in Float (what storing and reloading would give).
    public static func roundedThroughBF16(_ values: [Float]) -> [Float] { values.map { floatFromBF16(bf16(fromFloat: $0)) } }
    public static func roundedThroughF16(_ values: [Float]) -> [Float] { values.map { floatFromF16(f16(fromFloat: $0)) } }

    @usableFromInline
    static func checkCounts(_ source: Int, _ destination: Int) {
        // An explicit check: this module is built with -Ounchecked, which would drop a precondition.
        if destination < source {
            fatalError("DTypeConversion: destination holds \(destination) elements, source has \(source)")
        }
    }
}
