import Foundation
import Testing
import VTPData
import VTPTensor
@testable import VTPEval

/// Weight files as published, through the PyTorch reader: lpips' real vgg.pth (a VTPDataTests fixture).
@Suite struct WeightFilesTests {
    static let vggPth = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VTPDataTests/Fixtures/formats/lpips_v0.1_vgg.pth")

    @Test func convertsACheckpointToSafeTensors() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let ckpt = try WeightFiles.convert(Self.vggPth, to: out)
        let st = try SafeTensorsFile(url: out)
        #expect(st.names.sorted() == ckpt.names.sorted())
        for (name, t) in ckpt.tensors {
            #expect(try st.bytes(name) == t.bytes)
            #expect(try st.info(name).shape == t.shape)
        }
        let source = try WeightFiles.open(Self.vggPth)
        #expect(try source.tensorShape("lin0.model.1.weight") == [1, 64, 1, 1])
    }

    @Test func missingFileIsNamed() {
        #expect(throws: FormatError.self) { try WeightFiles.open(URL(fileURLWithPath: "/nonexistent/w.pth")) }
    }
}
