import Foundation
import VTPTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File operations with the durability a checkpoint needs: fsync of files and directories, atomic small
/// files, and a fast 64-bit content hash for detecting damaged files.
enum DurableFiles {
    /// fsync(2) of a file or directory.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.writeFailed("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL {  // EINVAL: the file system does not support syncing directories
            throw CheckpointError.writeFailed("fsync \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every regular file under `directory` (relative paths, sorted), recursively.
    static func files(under directory: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue {
                out.append(rel)
            }
        }
        return out.sorted()
    }

    /// Writes `data` to `url` atomically (`AtomicFile`), as a checkpoint error when it fails.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch let e as AtomicFile.Failure { throw CheckpointError.writeFailed("\(e)") }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.writeFailed("write \(path): \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// A 64-bit hash of the file's bytes (4 lanes of multiply-rotate over 8-byte words, xxHash64-like mixing;
    /// several GB/s), as 16 hex digits, and the file size.
    static func hash(_ url: URL) throws -> (size: Int, hash: String) {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw CheckpointError.corrupt(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent, reason: "cannot be opened")
        }
        defer { try? h.close() }
        var hasher = ContentHasher()
        var size = 0
        while true {
            let chunk = h.readData(ofLength: 8 << 20)
            if chunk.isEmpty { break }
            size += chunk.count
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return (size, String(format: "%016llx", hasher.finish()))
    }
}

/// Streaming 64-bit hash (xxHash64 constants and round function; not bit-compatible with xxHash, which is fine:
/// it only has to detect damage to files we wrote ourselves).
struct ContentHasher {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9, p5: UInt64 = 0x27D4_EB2F_1656_67C5
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (p1 &+ p2, p2, 0, 0 &- p1)
    private var pending: [UInt8] = []
    private var total: UInt64 = 0

    @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        var a = acc &+ input &* p2
        a = (a << 31) | (a >> 33)
        return a &* p1
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        total &+= UInt64(bytes.count)
        var start = 0
        if !pending.isEmpty {
            let need = min(32 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<need])
            start = need
            if pending.count < 32 { return }
            pending.withUnsafeBytes { consume($0, 0, 32) }
            pending.removeAll(keepingCapacity: true)
        }
        let full = (bytes.count - start) / 32 * 32
        consume(bytes, start, full)
        pending.append(contentsOf: bytes[(start + full)...])
    }

    private mutating func consume(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) {
        var (a, b, c, d) = lanes
        var i = offset
        let end = offset + count
        while i < end {
            a = Self.round(a, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            b = Self.round(b, bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
            c = Self.round(c, bytes.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
            d = Self.round(d, bytes.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
            i += 32
        }
        lanes = (a, b, c, d)
    }

    func finish() -> UInt64 {
        let (a, b, c, d) = lanes
        var h = ((a << 1) | (a >> 63)) &+ ((b << 7) | (b >> 57)) &+ ((c << 12) | (c >> 52)) &+ ((d << 18) | (d >> 46))
        h = (h ^ Self.round(0, a)) &* Self.p1 &+ Self.p5
        h = (h ^ Self.round(0, d)) &* Self.p1 &+ Self.p5
        h &+= total
        for byte in pending {
            h ^= UInt64(byte) &* Self.p5
            h = ((h << 11) | (h >> 53)) &* Self.p1
        }
        h ^= h >> 33; h = h &* Self.p2
        h ^= h >> 29; h = h &* Self.p3
        h ^= h >> 32
        return h
    }
}
