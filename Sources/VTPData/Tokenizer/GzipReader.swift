import CVTPData
import Foundation

/// Reads a file and transparently gunzips it when it starts with the gzip magic bytes.
enum GzipReader {
    enum Failure: Error {
        case unreadable(String)
        case corrupt(String)
    }

    static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The file's bytes, decompressed if the file is gzip data.
    static func contents(of url: URL) throws(Failure) -> Data {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                throw .unreadable("no such file")
            }
            if isDirectory.boolValue { throw .unreadable("it is a directory") }
            throw .unreadable(error.localizedDescription)
        }
        guard isGzip(data) else { return data }
        return try gunzip(data)
    }

    /// Decompresses gzip (or zlib) data.
    static func gunzip(_ data: Data, maxOutput: Int = 1 << 30) throws(Failure) -> Data {
        var output: UnsafeMutablePointer<UInt8>? = nil
        var outputLength = 0
        let code: Int32 = data.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, raw.count > 0 else {
                return Int32(VTP_GZIP_ERR_ARGUMENT)
            }
            return vtp_gunzip(base, raw.count, maxOutput, &output, &outputLength)
        }
        guard code == Int32(VTP_GZIP_OK), let buffer = output else {
            throw .corrupt(String(cString: vtp_gzip_error_string(code)))
        }
        return Data(bytesNoCopy: buffer, count: outputLength, deallocator: .custom { pointer, _ in
            vtp_gzip_free(pointer.assumingMemoryBound(to: UInt8.self))
        })
    }
}
