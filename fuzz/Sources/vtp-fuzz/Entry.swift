import Foundation

/// libFuzzer's entry point: runs the target named by `VTP_FUZZ_TARGET` on one input. A target throws for bad
/// input (that is the expected outcome, a clear error); a crash, hang, leak or unbounded allocation is a bug.
/// Returns -1 (do not keep in the corpus) for inputs a target rejects before parsing, 0 otherwise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? [UInt8](UnsafeBufferPointer(start: data, count: size)) : []
    do {
        return try selectedTarget.run(bytes) ? 0 : -1
    } catch {
        // Touch the message: describing an error must not crash either.
        _ = String(describing: error).utf8.count
        return 0
    }
}

/// libFuzzer calls this once before any input: an unknown target stops here, before fuzzing starts.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    _ = selectedTarget
    return 0
}

/// The target chosen once per process.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["VTP_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("vtp-fuzz: set VTP_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// A private scratch directory for targets whose parser reads a file (removed at exit).
let scratch: URL = {
    // A RAM file system where there is one: the file targets write every input.
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    var template = Array((base + "/vtp-fuzz-XXXXXX").utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        FileHandle.standardError.write(Data("vtp-fuzz: cannot create a scratch directory\n".utf8))
        exit(2)
    }
    let url = URL(fileURLWithPath: String(cString: template), isDirectory: true)
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return url
}()

/// Writes `bytes` to `name` in the scratch directory (replacing it) and returns its URL.
func scratchFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let url = scratch.appendingPathComponent(name)
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    return url
}
