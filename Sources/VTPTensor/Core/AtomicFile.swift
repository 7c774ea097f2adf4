import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way SwiftVTP writes files that must never be seen half-written (safetensors, images, checkpoint
/// files, reports): a temporary file in the destination directory, fsync, rename over the destination, fsync
/// of the directory. On failure the temporary file is removed and an existing file at the destination is
/// untouched.
public enum AtomicFile {
    /// Why a write failed; every case names the destination.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case directoryMissing(file: String, directory: String)
        case notWritable(file: String, reason: String)
        case writeFailed(file: String, reason: String)

        public var description: String {
            switch self {
            case let .directoryMissing(f, d): return "\(f): cannot write: directory \(d) does not exist"
            case let .notWritable(f, r): return "\(f): cannot write: \(r)"
            case let .writeFailed(f, r): return "\(f): write failed: \(r)"
            }
        }
    }

    /// Writes `bytes` to `url` atomically.
    public static func write(_ bytes: [UInt8], to url: URL) throws { try write(chunks: [bytes], to: url) }

    /// Writes `data` to `url` atomically.
    public static func write(_ data: Data, to url: URL) throws { try write(chunks: [[UInt8](data)], to: url) }

    /// Writes the concatenation of `chunks` to `url` atomically (`failAfterBytes` injects a failure, for tests).
    public static func write(chunks: [[UInt8]], to url: URL, failAfterBytes: Int? = nil) throws {
        try write(to: url, failAfterBytes: failAfterBytes) { sink in
            for chunk in chunks { try sink.write(chunk) }
        }
    }

    /// Streams a file to `url` atomically: `body` writes the bytes through the sink, piece by piece (nothing is
    /// gathered in memory); when it returns, the temporary file is fsynced and renamed over `url`. When `body`
    /// throws, the temporary file is removed, an existing file at `url` is untouched and the error is rethrown.
    /// `failAfterBytes` injects a write failure once that many bytes are written (for tests).
    public static func write(to url: URL, failAfterBytes: Int? = nil, _ body: (Sink) throws -> Void) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var st = stat()
        if stat(directory, &st) != 0 {
            let code = errno
            if code == ENOENT { throw Failure.directoryMissing(file: path, directory: directory) }
            throw Failure.notWritable(file: path, reason: "directory \(directory): \(errnoDescription(code))")
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            throw Failure.notWritable(file: path, reason: "\(directory) is not a directory")
        }
        var template = Array((directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            let code = errno
            throw Failure.notWritable(
                file: path, reason: "cannot create a file in \(directory): \(errnoDescription(code))")
        }
        let tempPath = String(cString: template)
        var isOpen = true
        do {
            let sink = Sink(fd: fd, path: path, failAfterBytes: failAfterBytes)
            try body(sink)
            if let limit = failAfterBytes, sink.bytesWritten >= limit {
                throw Failure.writeFailed(file: path, reason: "injected failure")
            }
            if fchmod(fd, 0o644) != 0 || fsync(fd) != 0 {
                throw Failure.writeFailed(file: path, reason: errnoDescription(errno))
            }
            isOpen = false
            if close(fd) != 0 { throw Failure.writeFailed(file: path, reason: errnoDescription(errno)) }
            if rename(tempPath, path) != 0 {
                throw Failure.writeFailed(file: path, reason: "rename: \(errnoDescription(errno))")
            }
        } catch {
            if isOpen { close(fd) }
            unlink(tempPath)
            throw error
        }
        let dfd = posixOpenDirectory(directory)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// The open temporary file of a streaming `write(to:body:)`; valid only inside the body.
    public final class Sink {
        private let fd: Int32
        private let path: String
        private let failAfterBytes: Int?
        /// Bytes written so far.
        public private(set) var bytesWritten = 0

        fileprivate init(fd: Int32, path: String, failAfterBytes: Int?) {
            self.fd = fd
            self.path = path
            self.failAfterBytes = failAfterBytes
        }

        /// Appends `bytes` to the file.
        public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

        /// Appends the bytes of `raw` to the file.
        public func write(_ raw: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < raw.count {
                var n = raw.count - done
                if let limit = failAfterBytes {
                    if bytesWritten >= limit { throw Failure.writeFailed(file: path, reason: "injected failure") }
                    n = min(n, limit - bytesWritten)
                }
                let r = posixWrite(fd, raw.baseAddress! + done, n)
                if r < 0 {
                    if errno == EINTR { continue }
                    throw Failure.writeFailed(file: path, reason: errnoDescription(errno))
                }
                done += r
                bytesWritten += r
            }
        }
    }
}

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func posixOpenDirectory(_ path: String) -> Int32 { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
