import Foundation
import VTPTensor

/// NumPy's `.npy` format (header versions 1.0, 2.0, 3.0) and `.npz` archives of them (stored or deflated, as
/// `np.savez` / `np.savez_compressed` write), e.g. ADM's reference batches (`mu`, `sigma`, `arr_0`).
///
/// Dtypes: little- or big-endian f2/f4/f8, i1/i2/i4/i8, u1, b1 (read as F16/F32/F64/I8/I16/I32/I64/U8/BOOL);
/// Fortran-order arrays are transposed to row-major. Object arrays (pickles) and structured dtypes are refused.
public enum NumPyArray {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    public static func read(url: URL) throws -> StoredTensor {
        let data = try readFileBytes(url)
        return try parse(Array(data), file: url.path)
    }

    /// Parses the bytes of one `.npy` file.
    public static func parse(_ bytes: [UInt8], file: String) throws -> StoredTensor {
        try bytes.withUnsafeBytes { raw in
            let r = ByteReader(bytes: raw, file: file)
            guard raw.count >= 10, Array(raw.prefix(6)) == magic else {
                throw FormatError.invalidNumPy(file: file, reason: "missing the \\x93NUMPY magic")
            }
            let major = Int(raw[6])
            let headerLength: Int, headerStart: Int
            switch major {
            case 1: headerLength = try r.u16(8, "npy header length"); headerStart = 10
            case 2, 3: headerLength = try r.u32(8, "npy header length"); headerStart = 12
            default: throw FormatError.invalidNumPy(file: file, reason: "format version \(major).\(raw[7]) (only 1, 2, 3)")
            }
            let headerBytes = try r.slice(headerStart, headerLength, "npy header")
            guard let header = String(validating: headerBytes, as: UTF8.self) else {
                throw FormatError.invalidNumPy(file: file, reason: "header is not text")
            }
            let (descr, fortran, shape) = try parseHeader(header, file: file)
            let (dtype, bigEndian) = try dtypeOf(descr, file: file)
            var count = 1
            for d in shape {
                let (c, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw FormatError.invalidNumPy(file: file, reason: "shape \(shape) overflows") }
                count = c
            }
            let (byteCount, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !o else { throw FormatError.invalidNumPy(file: file, reason: "shape \(shape) overflows") }
            let body = try r.slice(headerStart + headerLength, byteCount, "array data (\(shape) \(descr))")
            var values = Array(body)
            if bigEndian && dtype.byteSize > 1 {
                let w = dtype.byteSize
                for i in 0..<count { values[(i * w)..<(i * w + w)].reverse() }
            }
            if fortran && shape.count > 1 { values = fortranToRowMajor(values, shape: shape, width: dtype.byteSize) }
            return StoredTensor(dtype: dtype, shape: shape, bytes: values)
        }
    }

    /// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
    static func parseHeader(_ h: String, file: String) throws -> (String, Bool, [Int]) {
        func value(_ key: String) throws -> Substring {
            guard let k = h.range(of: "'\(key)'") ?? h.range(of: "\"\(key)\""),
                  let colon = h[k.upperBound...].firstIndex(of: ":") else {
                throw FormatError.invalidNumPy(file: file, reason: "header has no '\(key)': \(h)")
            }
            return h[h.index(after: colon)...].drop { $0 == " " }
        }
        let d = try value("descr")
        guard let q = d.first, q == "'" || q == "\"", let end = d.dropFirst().firstIndex(of: q) else {
            throw FormatError.invalidNumPy(file: file, reason: "descr is not a plain dtype string (structured arrays are not supported): \(h)")
        }
        let descr = String(d[d.index(after: d.startIndex)..<end])
        let f = try value("fortran_order")
        let fortran: Bool
        if f.hasPrefix("True") { fortran = true } else if f.hasPrefix("False") { fortran = false } else {
            throw FormatError.invalidNumPy(file: file, reason: "fortran_order is neither True nor False")
        }
        let s = try value("shape")
        guard s.first == "(", let close = s.firstIndex(of: ")") else { throw FormatError.invalidNumPy(file: file, reason: "shape is not a tuple") }
        var shape: [Int] = []
        for part in s[s.index(after: s.startIndex)..<close].split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let n = Int(t.hasSuffix("L") ? String(t.dropLast()) : t), n >= 0 else {
                throw FormatError.invalidNumPy(file: file, reason: "shape entry '\(t)' is not a non-negative integer")
            }
            shape.append(n)
        }
        return (descr, fortran, shape)
    }

    static func dtypeOf(_ descr: String, file: String) throws -> (DType, Bool) {
        guard descr.count >= 2, let order = descr.first, "<>|=".contains(order) else {
            throw FormatError.invalidNumPy(file: file, reason: "dtype '\(descr)' is not supported")
        }
        let table: [String: DType] = ["f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
                                      "u1": .u8, "b1": .bool]
        guard let dtype = table[String(descr.dropFirst())] else {
            throw FormatError.invalidNumPy(file: file, reason: "dtype '\(descr)' is not supported (f2/f4/f8, i1/i2/i4/i8, u1, b1)")
        }
        return (dtype, order == ">")
    }

    /// Column-major bytes → row-major bytes of the same shape.
    static func fortranToRowMajor(_ src: [UInt8], shape: [Int], width: Int) -> [UInt8] {
        let n = shape.reduce(1, *)
        var out = [UInt8](repeating: 0, count: src.count)
        var fstrides = [Int](repeating: 1, count: shape.count)
        for a in 1..<shape.count { fstrides[a] = fstrides[a - 1] * shape[a - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            var e = 0
            for a in 0..<shape.count { e += index[a] * fstrides[a] }
            for b in 0..<width { out[i * width + b] = src[e * width + b] }
            var a = shape.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return out
    }
}

/// A `.npz` archive: arrays by name (the entry name without `.npy`).
public struct NumPyArchive: Sendable {
    public let file: String
    /// Array names in archive order.
    public let names: [String]
    private let zip: ZipArchive

    public init(url: URL) throws {
        zip = try ZipArchive(url: url)
        file = url.path
        names = zip.entries.map(\.name).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }

    public func array(_ name: String) throws -> StoredTensor {
        guard contains(name) else { throw FormatError.keyNotFound(file: file, key: name, available: names) }
        return try NumPyArray.parse(try zip.contents(of: name + ".npy"), file: "\(file)[\(name)]")
    }
}
