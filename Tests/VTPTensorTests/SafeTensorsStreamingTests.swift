import Foundation
import Testing
@testable import VTPTensor

/// `SafeTensorsWriter.add(name:tensor:as:)`: tensors streamed into the file without a copy.
@Suite struct SafeTensorsStreamingTests {
    /// The reference tensors added as `Tensor`s (F32, F16, BF16 from the original float32 values) give the Python
    /// library's file byte for byte, through `write(to:)` (streamed) and `serialized()`.
    @Test func streamedTensorsMatchThePythonLibrary() throws {
        let ref = try STFixtures.reference()
        let python = try [UInt8](Data(contentsOf: STFixtures.url("reference", "safetensors")))
        var w = SafeTensorsWriter(metadata: ref.metadata)
        var streamed = 0
        for name in ref.names {
            let e = try #require(ref.tensors[name])
            let dtype = try #require(DType(rawValue: e.dtype))
            switch dtype {
            case .f32, .f16, .bf16:
                let bits = dtype == .f32 ? e.float_bits! : e.source_float_bits!
                try w.add(name: name, tensor: Tensor(bits.map(Float.init(bitPattern:)), shape: e.shape), as: dtype)
                streamed += 1
            case .f64: try w.add(name: name, shape: e.shape, dtype: .f64, bytes: stHexBytes(e.hex))
            default: try w.add(name: name, shape: e.shape, int64s: e.ints!, as: dtype)
            }
        }
        #expect(streamed >= 3)
        #expect(try w.serialized() == python)
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("streamed.safetensors")
            try w.write(to: url)
            #expect(try [UInt8](Data(contentsOf: url)) == python)
        }
    }

    /// A tensor longer than one streaming piece (2^20 values) is encoded piece by piece; every dtype reads back.
    @Test func tensorsLongerThanOnePieceReadBack() throws {
        let n = SafeTensorsWriter.Payload.piece * 2 + 5
        let values = (0..<n).map { Float($0 % 256) * 0.5 - 64 }  // exact in F16 and BF16 (≤ 8 significant bits)
        let t = Tensor(values, shape: [n])
        try stWithTemporaryDirectory { dir in
            for dtype in [DType.f32, .f16, .bf16, .f64] {
                var w = SafeTensorsWriter()
                try w.add(name: "x", tensor: t, as: dtype)
                #expect(w.totalDataBytes == n * dtype.byteSize)
                let url = dir.appendingPathComponent("\(dtype.rawValue).safetensors")
                try w.write(to: url)
                let file = try SafeTensorsFile(url: url)
                #expect(try file.info("x").dtype == dtype)
                #expect(try file.floats("x") == values, "\(dtype)")
            }
        }
    }

    @Test func integerDTypesAreRefusedForTensors() throws {
        var w = SafeTensorsWriter()
        #expect(throws: SafeTensorsError.self) { try w.add(name: "x", tensor: Tensor([1], shape: [1]), as: .i64) }
        #expect(w.count == 0)
    }

    /// A failure in the middle of a streamed tensor leaves the existing file and no temporary file.
    @Test func failureMidStreamKeepsTheExistingFile() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            var old = SafeTensorsWriter()
            try old.add(name: "old", shape: [2], floats: [1, 2])
            try old.write(to: url)
            let before = try Data(contentsOf: url)
            var w = SafeTensorsWriter()
            try w.add(name: "new", tensor: Tensor(repeating: 3, shape: [3, SafeTensorsWriter.Payload.piece]), as: .bf16)
            for failAfter in [0, 100, 3 << 20] {
                w.failAfterBytesForTesting = failAfter
                #expect(throws: SafeTensorsError.writeFailed(file: url.path, reason: "injected failure")) { try w.write(to: url) }
                #expect(try Data(contentsOf: url) == before)
                #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
            }
        }
    }
}
