import Foundation
import Testing
@testable import VTPTensor

private typealias C = DTypeConversion

/// FNV-1a 64 over bytes, as scripts/make_safetensors_fixtures.py computes it.
func stFNV1a64<T>(_ values: [T]) -> UInt64 {
    values.withUnsafeBytes { raw in
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in raw { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}

struct DTypeTableFixture: Decodable {
    struct Sweep: Decodable {
        let stride: UInt64, start: UInt64, count: Int
        let f16_fnv1a64: UInt64, bf16_fnv1a64: UInt64
    }
    let float_bits: [UInt32]
    let f16_bits: [UInt16]
    let bf16_bits: [UInt16]
    let sweep: Sweep
    let f16_to_f32_nonnan_fnv1a64: UInt64

    static func load() throws -> DTypeTableFixture {
        let url = try #require(Bundle.module.url(forResource: "dtype_table", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(DTypeTableFixture.self, from: Data(contentsOf: url))
    }
}

@Suite struct DTypeTests {
    @Test func namesAndSizes() {
        let expected: [(DType, String, Int)] = [
            (.f32, "F32", 4), (.f16, "F16", 2), (.bf16, "BF16", 2), (.f64, "F64", 8), (.i64, "I64", 8),
            (.i32, "I32", 4), (.i16, "I16", 2), (.i8, "I8", 1), (.u8, "U8", 1), (.bool, "BOOL", 1),
        ]
        #expect(DType.allCases.count == expected.count)
        for (d, name, size) in expected {
            #expect(d.rawValue == name && d.byteSize == size && DType(rawValue: name) == d)
        }
        #expect(DType(rawValue: "f32") == nil)
        #expect(DType.allCases.filter(\.isFloatingPoint) == [.f32, .f16, .bf16, .f64])
    }

    @Test func everyF16PatternRoundTrips() {
        var bad: [UInt16] = []
        var nanCount = 0
        for bits in 0...UInt16.max {
            let f = C.floatFromF16(bits)
            let back = C.f16(fromFloat: f)
            if (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0 {
                nanCount += 1
                let isNaNBack = (back & 0x7C00) == 0x7C00 && (back & 0x03FF) != 0 && (back & 0x8000) == (bits & 0x8000)
                // Quiet NaNs keep their payload exactly; signalling ones are quieted.
                if !f.isNaN || !isNaNBack || (bits & 0x0200 != 0 && back != bits) { bad.append(bits) }
            } else if back != bits {
                bad.append(bits)
            }
        }
        #expect(nanCount == 2 * 1023)
        #expect(bad.isEmpty, "F16 patterns that do not round-trip: \(bad.prefix(10))")
    }

    @Test func f16WideningMatchesNumpyForAllPatterns() throws {
        let table = try DTypeTableFixture.load()
        let all = (0...UInt16.max).map { C.floatFromF16($0) }
        let nonNaN = all.filter { !$0.isNaN }.map(\.bitPattern)
        #expect(nonNaN.count == 65536 - 2 * 1023)
        #expect(stFNV1a64(nonNaN) == table.f16_to_f32_nonnan_fnv1a64)
        // Exact known values.
        #expect(C.floatFromF16(0x0001) == 0x1p-24)
        #expect(C.floatFromF16(0x03FF) == 1023 * 0x1p-24)
        #expect(C.floatFromF16(0x0400) == 0x1p-14)
        #expect(C.floatFromF16(0x7BFF) == 65504)
        #expect(C.floatFromF16(0x3C00) == 1)
        #expect(C.floatFromF16(0xC000) == -2)
        #expect(C.floatFromF16(0x8000).bitPattern == (-0.0 as Float).bitPattern)
        #expect(C.floatFromF16(0x7C00) == .infinity && C.floatFromF16(0xFC00) == -.infinity)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func f16AgreesWithHardwareFloat16() {
        var bad: [UInt32] = []
        for bits in 0...UInt16.max {
            let h = Float16(bitPattern: bits)
            if !h.isNaN && C.floatFromF16(bits).bitPattern != Float(h).bitPattern { bad.append(UInt32(bits)) }
        }
        #expect(bad.isEmpty, "widening differs for F16 patterns \(bad.prefix(10))")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if !f.isNaN && C.f16(fromFloat: f) != Float16(f).bitPattern { bad.append(f.bitPattern) }
        }
        #expect(bad.isEmpty, "narrowing differs for float patterns \(bad.prefix(10))")
    }
    #endif

    @Test func everyBF16PatternWidensExactly() {
        var bad: [UInt16] = []
        for bits in 0...UInt16.max {
            let f = C.floatFromBF16(bits)
            if f.bitPattern != UInt32(bits) << 16 { bad.append(bits) }
            if !f.isNaN ? C.bf16(fromFloat: f) != bits : !C.floatFromBF16(C.bf16(fromFloat: f)).isNaN { bad.append(bits) }
        }
        #expect(bad.isEmpty, "BF16 patterns \(bad.prefix(10))")
    }

    @Test func roundToNearestEvenTies() {
        // F16: 11 significant bits; 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
        #expect(C.f16(fromFloat: 1 + 0x1p-11) == 0x3C00)  // tie, down to even
        #expect(C.f16(fromFloat: 1 + 3 * 0x1p-11) == 0x3C02)  // tie, up to even
        #expect(C.f16(fromFloat: 1 + 0x1p-11 + 0x1p-20) == 0x3C01)  // above the tie
        #expect(C.f16(fromFloat: -(1 + 3 * 0x1p-11)) == 0xBC02)
        #expect(C.f16(fromFloat: 2049) == C.f16(fromFloat: 2048))
        #expect(C.f16(fromFloat: 2051) == C.f16(fromFloat: 2052))
        // Subnormal ties (unit 2^-24).
        #expect(C.f16(fromFloat: 0x1p-25) == 0x0000)
        #expect(C.f16(fromFloat: 0x1p-25 * 1.0000001) == 0x0001)
        #expect(C.f16(fromFloat: 3 * 0x1p-25) == 0x0002)
        #expect(C.f16(fromFloat: 0x1p-24) == 0x0001)
        #expect(C.f16(fromFloat: 0x1p-14 - 0x1p-25) == 0x0400)  // rounds up into the normals
        #expect(C.f16(fromFloat: -0x1p-26) == 0x8000)
        #expect(C.f16(fromFloat: Float.leastNonzeroMagnitude) == 0)
        // BF16: 8 significant bits.
        #expect(C.bf16(fromFloat: 1 + 0x1p-8) == 0x3F80)
        #expect(C.bf16(fromFloat: 1 + 3 * 0x1p-8) == 0x3F82)
        #expect(C.bf16(fromFloat: 1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(C.bf16(fromFloat: 257) == 0x4380 && C.bf16(fromFloat: 259) == 0x4382)
    }

    @Test func overflowInfinityAndNaN() {
        #expect(C.f16(fromFloat: 65504) == 0x7BFF)
        #expect(C.f16(fromFloat: 65519.996) == 0x7BFF)
        #expect(C.f16(fromFloat: 65520) == 0x7C00)
        #expect(C.f16(fromFloat: -1e6) == 0xFC00)
        #expect(C.f16(fromFloat: .infinity) == 0x7C00 && C.f16(fromFloat: -.infinity) == 0xFC00)
        #expect(C.bf16(fromFloat: .greatestFiniteMagnitude) == 0x7F80)  // RNE carries into infinity
        #expect(C.bf16(fromFloat: .infinity) == 0x7F80 && C.bf16(fromFloat: -.infinity) == 0xFF80)
        for payload: UInt32 in [0x7F80_0001, 0x7FC0_0000, 0x7F80_1FFF, 0x7FBF_FFFF, 0x7FFF_FFFF, 0x7F80_2000] {
            for sign: UInt32 in [0, 0x8000_0000] {
                let nan = Float(bitPattern: payload | sign)
                let h = C.f16(fromFloat: nan), b = C.bf16(fromFloat: nan)
                #expect(C.floatFromF16(h).isNaN && C.floatFromBF16(b).isNaN, "payload \(payload)")
                #expect((h & 0x8000 != 0) == (sign != 0) && (b & 0x8000 != 0) == (sign != 0))
            }
        }
        #expect(C.floatFromF16(C.f16(fromFloat: .nan)).isNaN)
    }

    @Test func matchesNumpyAndMLDtypesTable() throws {
        let t = try DTypeTableFixture.load()
        #expect(t.float_bits.count > 2000 && t.float_bits.count == t.f16_bits.count && t.float_bits.count == t.bf16_bits.count)
        var bad: [String] = []
        for (i, bits) in t.float_bits.enumerated() {
            let f = Float(bitPattern: bits)
            #expect(!f.isNaN)
            if C.f16(fromFloat: f) != t.f16_bits[i] { bad.append("F16 of \(f) (bits \(bits)): \(C.f16(fromFloat: f)) != \(t.f16_bits[i])") }
            if C.bf16(fromFloat: f) != t.bf16_bits[i] { bad.append("BF16 of \(f) (bits \(bits)): \(C.bf16(fromFloat: f)) != \(t.bf16_bits[i])") }
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches: \(bad.prefix(5))")
    }

    @Test func strideSweepOverAllFloatPatternsMatchesNumpy() throws {
        let s = try DTypeTableFixture.load().sweep
        var inputs: [Float] = []
        inputs.reserveCapacity(s.count)
        var i: UInt64 = 0
        while i < (1 << 32) / s.stride {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: i * s.stride + s.start))
            if !f.isNaN { inputs.append(f) }
            i += 1
        }
        #expect(inputs.count == s.count)
        #expect(stFNV1a64(C.f16(fromFloats: inputs)) == s.f16_fnv1a64)
        #expect(stFNV1a64(C.bf16(fromFloats: inputs)) == s.bf16_fnv1a64)
    }

    @Test func bulkMatchesScalarIncludingUnalignedRaw() {
        var rng = SystemRandomNumberGenerator()
        let values = (0..<10_001).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) }
        let h = C.f16(fromFloats: values), b = C.bf16(fromFloats: values)
        #expect(h == values.map { C.f16(fromFloat: $0) })
        #expect(b == values.map { C.bf16(fromFloat: $0) })
        let hf = C.floats(fromF16: h), bf = C.floats(fromBF16: b)
        #expect(hf.map(\.bitPattern) == h.map { C.floatFromF16($0).bitPattern })
        #expect(bf.map(\.bitPattern) == b.map { C.floatFromBF16($0).bitPattern })
        // Unaligned source: shift the bytes by one.
        var bytes: [UInt8] = [0xAA]
        h.withUnsafeBytes { bytes.append(contentsOf: $0) }
        var out = [Float](repeating: 0, count: h.count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { C.convertF16ToFloats(raw: raw.baseAddress! + 1, count: h.count, into: $0.baseAddress!) }
        }
        #expect(out.map(\.bitPattern) == hf.map(\.bitPattern))
        bytes = [0x55]
        b.withUnsafeBytes { bytes.append(contentsOf: $0) }
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { C.convertBF16ToFloats(raw: raw.baseAddress! + 1, count: b.count, into: $0.baseAddress!) }
        }
        #expect(out.map(\.bitPattern) == bf.map(\.bitPattern))
        #expect(C.roundedThroughBF16([1 + 0x1p-8, 3]) == [1, 3])
        #expect(C.roundedThroughF16([1 + 3 * 0x1p-11, 70000]) == [1 + 0x1p-9, .infinity])
        #expect(C.f16(fromFloats: []).isEmpty && C.floats(fromBF16: []).isEmpty)
    }

    /// 16M values convert in about 10 ms per direction on one core here; the bound (300 ms, i.e. about 2 s for
    /// 100M values) leaves ample slack for a loaded shared machine but fails for a non-vectorised regression.
    @Test func bulkConversionIsFast() {
        let n = 16 << 20
        let src = [Float](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = Float(i &* 2_654_435_761 & 0xFFFF) * 0.01 - 300 }
            count = n
        }
        var h = [UInt16](repeating: 0, count: n)
        var back = [Float](repeating: 0, count: n)
        let clock = ContinuousClock()
        let times = [
            clock.measure { src.withUnsafeBufferPointer { s in h.withUnsafeMutableBufferPointer { C.convertFloatsToF16(s, into: $0) } } },
            clock.measure { h.withUnsafeBufferPointer { s in back.withUnsafeMutableBufferPointer { C.convertF16ToFloats(s, into: $0) } } },
            clock.measure { src.withUnsafeBufferPointer { s in h.withUnsafeMutableBufferPointer { C.convertFloatsToBF16(s, into: $0) } } },
            clock.measure { h.withUnsafeBufferPointer { s in back.withUnsafeMutableBufferPointer { C.convertBF16ToFloats(s, into: $0) } } },
            clock.measure {
                h.withUnsafeBytes { s in back.withUnsafeMutableBufferPointer { C.convertF16ToFloats(raw: s.baseAddress!, count: n, into: $0.baseAddress!) } }
            },
            clock.measure {
                h.withUnsafeBytes { s in back.withUnsafeMutableBufferPointer { C.convertBF16ToFloats(raw: s.baseAddress!, count: n, into: $0.baseAddress!) } }
            },
        ]
        for t in times { #expect(t < .milliseconds(300), "16M conversions took \(t)") }
        #expect(back[12345] == C.floatFromBF16(C.bf16(fromFloat: src[12345])))
    }
}
