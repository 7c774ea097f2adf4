#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the object goes away.
/// Pages are read from disk only when touched. If another process truncates the file while it is
/// mapped, touching the lost pages raises SIGBUS: checkpoints must not be rewritten in place
/// (our writer replaces files by rename, which leaves existing mappings intact).
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SafeTensorsError.cannotOpen(file: path, reason: errnoDescription(errno)) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw SafeTensorsError.cannotOpen(file: path, reason: errnoDescription(errno)) }
        if (st.st_mode & S_IFMT) != S_IFREG { throw SafeTensorsError.notARegularFile(file: path) }
        let size = Int(st.st_size)
        if size == 0 {
            // mmap refuses empty mappings; an empty buffer is all there is to see.
            mapping = nil
            mappedLength = 0
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        if p == MAP_FAILED || p == nil {
            throw SafeTensorsError.mapFailed(file: path, reason: errnoDescription(errno))
        }
        mapping = p
        mappedLength = size
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }
}
