import CVTPData
import Foundation

/// A zip archive held in memory (PyTorch ≥ 1.6 checkpoints, NumPy `.npz`): the central directory is parsed and
/// checked on open; entries are stored or deflated, ZIP64 sizes and offsets are understood. Every size and offset
/// is checked against the data before use. Encrypted entries, other compression methods and multi-disk archives
/// are refused with a clear error.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable {
        public let name: String
        /// 0 stored, 8 deflated.
        public let method: Int
        public let compressedSize: Int
        public let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    public let file: String
    public let entries: [Entry]
    let data: Data
    private let index: [String: Int]

    /// True when the data starts with a zip local-file or end-of-directory signature.
    public static func looksLikeZip(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04] as [UInt8])
            || data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x05, 0x06] as [UInt8])
    }

    public init(data: Data, file: String) throws {
        self.file = file
        self.data = data
        let parsed = try data.withUnsafeBytes { raw in try ZipArchive.parse(ByteReader(bytes: raw, file: file)) }
        entries = parsed
        var index: [String: Int] = [:]
        for (i, e) in parsed.enumerated() {
            if index[e.name] != nil { throw FormatError.invalidZip(file: file, reason: "entry '\(e.name)' appears twice") }
            index[e.name] = i
        }
        self.index = index
    }

    public init(url: URL) throws { try self.init(data: try readFileBytes(url), file: url.path) }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The uncompressed bytes of an entry.
    public func contents(of name: String) throws -> [UInt8] {
        guard let e = entry(name) else { throw FormatError.zipEntryMissing(file: file, entry: name) }
        return try contents(of: e)
    }

    public func contents(of e: Entry) throws -> [UInt8] {
        let file = self.file
        return try data.withUnsafeBytes { raw in
            let r = ByteReader(bytes: raw, file: file)
            let o = e.localHeaderOffset
            guard try r.u32(o, "local header of '\(e.name)'") == 0x0403_4B50 else {
                throw FormatError.invalidZip(file: file, reason: "entry '\(e.name)': bad local header signature at byte \(o)")
            }
            let nameLength = try r.u16(o + 26, "local header of '\(e.name)'")
            let extraLength = try r.u16(o + 28, "local header of '\(e.name)'")
            let start = o + 30 + nameLength + extraLength
            let body = try r.slice(start, e.compressedSize, "data of entry '\(e.name)'")
            switch e.method {
            case 0:
                guard e.compressedSize == e.uncompressedSize else {
                    throw FormatError.invalidZip(file: file, reason: "stored entry '\(e.name)' has sizes \(e.compressedSize) ≠ \(e.uncompressedSize)")
                }
                return Array(body)
            case 8:
                // Deflate expands at most 1032:1; a larger claim is corrupt (and must not be allocated).
                guard e.uncompressedSize <= e.compressedSize * 1032 + 64 else {
                    throw FormatError.invalidZip(file: file, reason: "entry '\(e.name)' claims \(e.uncompressedSize) bytes from \(e.compressedSize) compressed")
                }
                var out = [UInt8](repeating: 0, count: e.uncompressedSize)
                let code = out.withUnsafeMutableBytes { o in
                    vtp_inflate_raw(body.baseAddress?.assumingMemoryBound(to: UInt8.self), body.count,
                                    o.baseAddress?.assumingMemoryBound(to: UInt8.self), o.count)
                }
                guard code == VTP_GZIP_OK else {
                    let reason = code == VTP_GZIP_ERR_TOO_LARGE ? "more data than the stated \(e.uncompressedSize) bytes"
                        : String(cString: vtp_gzip_error_string(code))
                    throw FormatError.decompressionFailed(file: file, entry: e.name, reason: reason)
                }
                return out
            default:
                throw FormatError.unsupported(file: file, reason: "entry '\(e.name)' uses compression method \(e.method) (only stored and deflate)")
            }
        }
    }

    private static func parse(_ r: ByteReader) throws -> [Entry] {
        let file = r.file, n = r.bytes.count
        guard n >= 22 else { throw FormatError.invalidZip(file: file, reason: "\(n) bytes is shorter than an end-of-directory record") }
        // The end-of-central-directory record: the last signature within the final 64 KiB + 22 bytes.
        var eocd = -1
        var p = n - 22
        while p >= Swift.max(0, n - 22 - 65535) {
            if r.bytes[p] == 0x50 && r.bytes[p + 1] == 0x4B && r.bytes[p + 2] == 0x05 && r.bytes[p + 3] == 0x06 { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else { throw FormatError.invalidZip(file: file, reason: "no end-of-central-directory record (truncated archive?)") }
        if try r.u16(eocd + 4, "end record") != 0 || r.u16(eocd + 6, "end record") != 0 {
            throw FormatError.unsupported(file: file, reason: "multi-disk zip archives")
        }
        var count = try r.u16(eocd + 10, "end record")
        var dirSize = try r.u32(eocd + 12, "end record")
        var dirOffset = try r.u32(eocd + 16, "end record")
        if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
            // ZIP64: a locator right before the end record points to the ZIP64 end record.
            let loc = eocd - 20
            guard loc >= 0, try r.u32(loc, "ZIP64 locator") == 0x0706_4B50 else {
                throw FormatError.invalidZip(file: file, reason: "ZIP64 sizes without a ZIP64 locator")
            }
            let z = try r.u64(loc + 8, "ZIP64 locator")
            guard try r.u32(z, "ZIP64 end record") == 0x0606_4B50 else {
                throw FormatError.invalidZip(file: file, reason: "bad ZIP64 end record signature at byte \(z)")
            }
            count = try r.u64(z + 32, "ZIP64 end record")
            dirSize = try r.u64(z + 40, "ZIP64 end record")
            dirOffset = try r.u64(z + 48, "ZIP64 end record")
        }
        try r.require(dirOffset, dirSize, "central directory")
        guard count <= dirSize / 46 else { throw FormatError.invalidZip(file: file, reason: "\(count) entries cannot fit a \(dirSize)-byte directory") }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var o = dirOffset
        for i in 0..<count {
            let what = "central directory entry \(i)"
            guard try r.u32(o, what) == 0x0201_4B50 else {
                throw FormatError.invalidZip(file: file, reason: "bad central directory signature at byte \(o) (entry \(i))")
            }
            let flags = try r.u16(o + 8, what), method = try r.u16(o + 10, what)
            var compressed = try r.u32(o + 20, what), uncompressed = try r.u32(o + 24, what)
            let nameLength = try r.u16(o + 28, what), extraLength = try r.u16(o + 30, what), commentLength = try r.u16(o + 32, what)
            var local = try r.u32(o + 42, what)
            let nameBytes = try r.slice(o + 46, nameLength, what)
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw FormatError.invalidZip(file: file, reason: "entry \(i) has a name that is not UTF-8")
            }
            if flags & 1 != 0 { throw FormatError.unsupported(file: file, reason: "entry '\(name)' is encrypted") }
            // ZIP64 extra field: the 64-bit values of the fields saturated at 0xFFFFFFFF, in this order.
            var e = o + 46 + nameLength
            let extraEnd = e + extraLength
            try r.require(e, extraLength, what)
            while e + 4 <= extraEnd {
                let id = try r.u16(e, what), size = try r.u16(e + 2, what)
                guard e + 4 + size <= extraEnd else { throw FormatError.invalidZip(file: file, reason: "entry '\(name)': extra field overruns") }
                if id == 1 {
                    var q = e + 4
                    func next() throws -> Int {
                        guard q + 8 <= e + 4 + size else { throw FormatError.invalidZip(file: file, reason: "entry '\(name)': short ZIP64 field") }
                        defer { q += 8 }
                        return try r.u64(q, what)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                e += 4 + size
            }
            entries.append(Entry(name: name, method: method, compressedSize: compressed, uncompressedSize: uncompressed,
                                 localHeaderOffset: local))
            o = extraEnd + commentLength
        }
        return entries
    }
}
