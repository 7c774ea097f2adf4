import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file inside a tar archive: its full name and where its bytes lie in the archive.
public struct TarMember: Sendable, Equatable {
    public var name: String
    /// Byte offset of the member's data in the archive file.
    public var offset: Int
    public var size: Int
}

/// Indexes POSIX tar archives without reading member data: ustar (name + prefix), GNU long names
/// (type 'L'), pax extended headers (`path=` in type 'x'; global headers ignored), base-256 sizes.
/// Damage (bad checksum, truncation) stops indexing of that archive and is reported as an issue; the
/// members indexed before it stay usable.
public enum TarIndex {
    static let block = 512
    /// Largest GNU long-name or pax extended header read (real ones hold a path of at most a few KiB).
    static let maxNameRecordBytes = 1 << 20

    /// The regular-file members of the archive at `url`, in archive order, plus any issues found.
    /// Throws only if the file cannot be opened.
    public static func members(of url: URL) throws -> (members: [TarMember], issues: [DataIssue]) {
        let file = try ReadOnlyFile(url)
        defer { file.close() }
        var members: [TarMember] = []
        var issues: [DataIssue] = []
        var offset = 0
        var longName: String? = nil
        var paxPath: String? = nil
        let source = url.path
        while true {
            if offset + block > file.size {
                if offset < file.size || members.isEmpty && offset == 0 {
                    issues.append(DataIssue(source: source, reason: offset == 0 && file.size == 0
                        ? "empty tar file" : "truncated tar header at byte \(offset)"))
                }
                // EOF without the two zero blocks: tolerated (many writers omit them).
                break
            }
            let header = try file.read(offset: offset, count: block)
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive marker
            guard checksumMatches(header) else {
                issues.append(DataIssue(source: source,
                                        reason: "bad tar header checksum at byte \(offset); rest of the archive skipped"))
                break
            }
            guard let size = parseSize(header) else {
                issues.append(DataIssue(source: source, reason: "unreadable size field in the tar header at byte \(offset); rest skipped"))
                break
            }
            let dataOffset = offset + block
            let padded = (size + block - 1) / block * block
            if dataOffset + size > file.size {
                issues.append(DataIssue(source: source,
                                        reason: "member at byte \(offset) needs \(size) bytes but the file ends first (truncated archive)"))
                break
            }
            let type = header[156]
            if (type == UInt8(ascii: "L") || type == UInt8(ascii: "x")) && size > maxNameRecordBytes {
                // Read into memory, unlike member data: a huge one is damage (or an attack), not a name.
                issues.append(DataIssue(source: source, reason: "\(type == UInt8(ascii: "L") ? "GNU long-name" : "pax") header at byte \(offset) holds \(size) bytes (more than \(maxNameRecordBytes)); rest of the archive skipped"))
                break
            }
            switch type {
            case UInt8(ascii: "L"):  // GNU long name for the next member
                longName = cString(try file.read(offset: dataOffset, count: size)[...])
            case UInt8(ascii: "x"):  // pax extended header for the next member
                if let path = paxRecords(try file.read(offset: dataOffset, count: size))["path"] { paxPath = path }
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                let name = paxPath ?? longName ?? headerName(header)
                members.append(TarMember(name: name, offset: dataOffset, size: size))
                longName = nil
                paxPath = nil
            default:  // directories, links, global pax headers, devices: nothing to read
                if type != UInt8(ascii: "g") {
                    longName = nil
                    paxPath = nil
                }
            }
            offset = dataOffset + padded
        }
        return (members, issues)
    }

    /// ustar name: `prefix/name` when the POSIX magic is present and the prefix non-empty.
    static func headerName(_ h: [UInt8]) -> String {
        let name = cString(h[0..<100])
        let posix = h[257..<263].elementsEqual("ustar\0".utf8)
        if posix {
            let prefix = cString(h[345..<500])
            if !prefix.isEmpty { return prefix + "/" + name }
        }
        return name
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    /// Octal (NUL/space padded) or GNU base-256 (high bit of the first byte set).
    static func parseSize(_ h: [UInt8]) -> Int? {
        let field = h[124..<136]
        if field.first! & 0x80 != 0 {
            var value = 0
            for (k, byte) in field.enumerated() {
                let b = k == 0 ? byte & 0x7F : byte
                guard value < 1 << 55 else { return nil }
                value = value << 8 | Int(b)
            }
            return value
        }
        return parseOctal(field)
    }

    static func parseOctal(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if seenDigit { break } else { continue }
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), value < 1 << 58 else { return nil }
            value = value * 8 + Int(byte - UInt8(ascii: "0"))
            seenDigit = true
        }
        return seenDigit ? value : 0
    }

    /// The stored checksum equals the byte sum with the checksum field read as spaces (unsigned or, as
    /// some old writers did, signed bytes).
    static func checksumMatches(_ h: [UInt8]) -> Bool {
        guard let stored = parseOctal(h[148..<156]) else { return false }
        var unsigned = 0, signed = 0
        for (i, b) in h.enumerated() {
            let v = (148..<156).contains(i) ? UInt8(ascii: " ") : b
            unsigned += Int(v)
            signed += Int(Int8(bitPattern: v))
        }
        return stored == unsigned || stored == signed
    }

    /// pax records "LEN key=value\n".
    static func paxRecords(_ data: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        var i = 0
        while i < data.count {
            var j = i
            var length = 0
            while j < data.count, data[j] >= UInt8(ascii: "0"), data[j] <= UInt8(ascii: "9") {
                length = length * 10 + Int(data[j] - UInt8(ascii: "0"))
                j += 1
            }
            guard length > 0, j < data.count, data[j] == UInt8(ascii: " "), i + length <= data.count else { break }
            let record = data[(j + 1)..<(i + length)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
                var value = record[(eq + 1)...]
                if value.last == UInt8(ascii: "\n") { value = value.dropLast() }
                result[key] = String(decoding: value, as: UTF8.self)
            }
            i += length
        }
        return result
    }
}

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// A read-only file for positioned reads (`pread`), safe to use from one thread at a time.
final class ReadOnlyFile {
    let path: String
    let size: Int
    private var fd: Int32

    init(_ url: URL) throws {
        path = url.path
        fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT { throw DatasetError.notFound(path: url.path) }
            throw DatasetError.unreadable(path: url.path, reason: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            closeDescriptor(fd)
            throw DatasetError.unreadable(path: url.path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            closeDescriptor(fd)
            throw DatasetError.unreadable(path: url.path, reason: "it is a directory")
        }
        size = Int(info.st_size)
    }

    /// Exactly `count` bytes from `offset` (throws if the file is shorter).
    func read(offset: Int, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw DatasetError.unreadable(path: path, reason: n == 0
                    ? "file ends at byte \(offset + done), expected \(count) bytes from \(offset)"
                    : String(cString: strerror(errno)))
            }
            done += n
        }
        return out
    }

    func close() {
        if fd >= 0 { closeDescriptor(fd) }
        fd = -1
    }

    deinit { close() }
}
