import Foundation
import Testing
@testable import VTPTensor

/// Size limits checked before anything is read or allocated.
@Suite struct SafeTensorsBoundsTests {
    /// An index larger than a header may be (100 MB) is refused from its size alone (a sparse file: nothing read).
    @Test func oversizedIndexIsRefusedBeforeParsing() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors.index.json")
            _ = FileManager.default.createFile(atPath: url.path, contents: Data("{\"weight_map\":{}}".utf8))
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(SafeTensorsHeader.maxHeaderLength) + 1)
            try handle.close()
            #expect(throws: SafeTensorsError.invalidIndex(file: url.path, reason: "100000001 bytes, more than the 100000000-byte limit")) {
                try ShardedSafeTensors(indexURL: url)
            }
        }
    }
}
