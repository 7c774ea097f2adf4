import Foundation
import Testing
@testable import VTPTensor

@Suite struct SafeTensorsWriterTests {
    /// Rebuilds the reference tensors from reference.json through the typed `add` calls (F16/BF16 rounded by our
    /// conversions from the original float32 values) and compares with the Python library's file byte for byte.
    @Test func outputIsByteIdenticalToThePythonLibrary() throws {
        let ref = try STFixtures.reference()
        let python = try [UInt8](Data(contentsOf: STFixtures.url("reference", "safetensors")))
        for order in [ref.names, ref.names.reversed(), ref.names.sorted()] {  // the writer's layout ignores add order
            var w = SafeTensorsWriter(metadata: ref.metadata)
            for name in order {
                let e = try #require(ref.tensors[name])
                let dtype = try #require(DType(rawValue: e.dtype))
                switch dtype {
                case .f32: try w.add(name: name, shape: e.shape, floats: e.float_bits!.map(Float.init(bitPattern:)))
                case .f16, .bf16:
                    try w.add(name: name, shape: e.shape, floats: e.source_float_bits!.map(Float.init(bitPattern:)), as: dtype)
                case .f64: try w.add(name: name, shape: e.shape, dtype: .f64, bytes: stHexBytes(e.hex))
                default: try w.add(name: name, shape: e.shape, int64s: e.ints!, as: dtype)
                }
            }
            let ours = try w.serialized()
            #expect(ours.count == python.count)
            #expect(ours == python)
            try stWithTemporaryDirectory { dir in
                let url = dir.appendingPathComponent("ours.safetensors")
                try w.write(to: url)
                #expect(try [UInt8](Data(contentsOf: url)) == python)
            }
        }
    }

    @Test func emptyFileMatchesTheReferenceLayout() throws {
        // Python: safetensors.numpy.save({}) == b'\x08\0\0\0\0\0\0\0{}      '
        let expected: [UInt8] = [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8)
        #expect(try SafeTensorsWriter().serialized() == expected)
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("e.safetensors")
            try SafeTensorsWriter().write(to: url)
            let f = try SafeTensorsFile(url: url)
            #expect(f.names.isEmpty && f.metadata.isEmpty)
        }
    }

    @Test func headerIsPaddedToEightBytesWithSpaces() throws {
        for nameLength in 1...9 {
            var w = SafeTensorsWriter()
            try w.add(name: String(repeating: "n", count: nameLength), shape: [1], floats: [1])
            let bytes = try w.serialized()
            let n = Int(bytes[0]) | Int(bytes[1]) << 8
            #expect(n % 8 == 0)
            #expect(bytes.count == 8 + n + 4)
            let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
            #expect(header.hasPrefix("{\"n"))
            #expect(header.drop(while: { $0 != "}" }).dropFirst(2).allSatisfy { $0 == " " })
        }
    }

    @Test(arguments: DType.allCases)
    func roundTripsEveryDType(_ dtype: DType) throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("\(dtype).safetensors")
            var w = SafeTensorsWriter(metadata: ["dtype": dtype.rawValue, "ünï": "ç\"\\\n\u{1}ode", "": "empty key"])
            let shape = [2, 3, 5]
            let floats: [Float] = (0..<30).map { (i: Int) -> Float in Float(i) * 1.37 - 20.5 }
            let ints: [Int64] = (0..<30).map { (i: Int) -> Int64 in
                if dtype == .bool { return i % 3 == 0 ? 1 : 0 }
                return Int64(i * 4 - 50)
            }
            let expectedFloats: [Float]
            if dtype.isFloatingPoint {
                try w.add(name: "t", shape: shape, floats: floats, as: dtype)
                switch dtype {
                case .f16: expectedFloats = DTypeConversion.roundedThroughF16(floats)
                case .bf16: expectedFloats = DTypeConversion.roundedThroughBF16(floats)
                default: expectedFloats = floats
                }
            } else {
                let stored = dtype == .u8 ? ints.map { $0 + 100 } : ints
                try w.add(name: "t", shape: shape, int64s: stored, as: dtype)
                expectedFloats = stored.map(Float.init)
            }
            try w.add(name: "scalar", shape: [], floats: [7])
            try w.add(name: "none", shape: [3, 0], floats: [], as: dtype.isFloatingPoint ? dtype : .f32)
            try w.write(to: url)
            let f = try SafeTensorsFile(url: url)
            #expect(f.metadata == w.metadata)
            #expect(try f.info("t").dtype == dtype && f.info("t").shape == shape)
            #expect(try f.floats("t") == expectedFloats)
            if !dtype.isFloatingPoint {
                #expect(try f.int64s("t") == expectedFloats.map { Int64($0) })
            }
            #expect(try f.floats("scalar") == [7] && f.info("scalar").shape == [])
            #expect(try f.floats("none") == [] && f.info("none").shape == [3, 0])
        }
    }

    @Test func roundTripsUnusualNames() throws {
        let names = ["a", "B", "é", "e\u{301}", "\u{FF21}", "\u{1F600}", "q\"\\/\n\t\u{1}\u{7F}", " ", ""]
        var w = SafeTensorsWriter()
        for (i, n) in names.enumerated() { try w.add(name: n, shape: [1], int64s: [Int64(i)], as: .i32) }
        let bytes = try w.serialized()
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("names.safetensors")
            try Data(bytes).write(to: url)
            let f = try SafeTensorsFile(url: url)
            // Same dtype: laid out in UTF-8 byte order of the names.
            #expect(f.names.map { Array($0.utf8) } == names.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
            for (i, n) in names.enumerated() { #expect(try f.int64s(n) == [Int64(i)], "\(n.debugDescription)") }
        }
    }

    @Test func rejectsInvalidAdditions() throws {
        let ctx = SafeTensorsWriter.errorContext
        var w = SafeTensorsWriter()
        try w.add(name: "x", shape: [2], floats: [1, 2])
        #expect(throws: SafeTensorsError.duplicateTensorName(file: ctx, tensor: "x")) {
            try w.add(name: "x", shape: [1], floats: [1])
        }
        #expect(throws: SafeTensorsError.self) { try w.add(name: "__metadata__", shape: [1], floats: [1]) }
        #expect(throws: SafeTensorsError.invalidShape(file: ctx, tensor: "n", shape: [2, -1])) {
            try w.add(name: "n", shape: [2, -1], floats: [])
        }
        #expect(throws: SafeTensorsError.invalidShape(file: ctx, tensor: "o", shape: [1 << 40, 1 << 40])) {
            try w.add(name: "o", shape: [1 << 40, 1 << 40], floats: [])
        }
        #expect(throws: SafeTensorsError.elementCountMismatch(file: ctx, tensor: "c", shape: [2, 2], expected: 4, actual: 3)) {
            try w.add(name: "c", shape: [2, 2], floats: [1, 2, 3])
        }
        #expect(throws: SafeTensorsError.valueOutOfRange(file: ctx, tensor: "r", dtype: .i8, value: 200)) {
            try w.add(name: "r", shape: [2], int64s: [1, 200], as: .i8)
        }
        #expect(throws: SafeTensorsError.valueOutOfRange(file: ctx, tensor: "b", dtype: .bool, value: 2)) {
            try w.add(name: "b", shape: [1], int64s: [2], as: .bool)
        }
        #expect(throws: SafeTensorsError.valueOutOfRange(file: ctx, tensor: "u", dtype: .u8, value: -1)) {
            try w.add(name: "u", shape: [1], int64s: [-1], as: .u8)
        }
        #expect(throws: SafeTensorsError.dtypeNotConvertible(file: ctx, tensor: "fi", dtype: .i32, to: "Float storage")) {
            try w.add(name: "fi", shape: [1], floats: [1], as: .i32)
        }
        #expect(throws: SafeTensorsError.dtypeNotConvertible(file: ctx, tensor: "if", dtype: .f32, to: "integer storage")) {
            try w.add(name: "if", shape: [1], int64s: [1], as: .f32)
        }
        #expect(throws: SafeTensorsError.sizeMismatch(file: ctx, tensor: "raw", dtype: .f16, shape: [3], expectedBytes: 6, actualBytes: 5)) {
            try w.add(name: "raw", shape: [3], dtype: .f16, bytes: [1, 2, 3, 4, 5])
        }
        #expect(w.names == ["x"] && w.count == 1 && w.totalDataBytes == 8)  // failed adds leave nothing behind
    }

    @Test func metadataIsWrittenSortedAndDeterministically() throws {
        var a = SafeTensorsWriter(metadata: ["zeta": "1", "alpha": "2", "Mid": "3"])
        try a.add(name: "t", shape: [1], floats: [0])
        var b = SafeTensorsWriter()
        b.metadata["alpha"] = "2"
        b.metadata["Mid"] = "3"
        b.metadata["zeta"] = "1"
        try b.add(name: "t", shape: [1], floats: [0])
        let bytes = try a.serialized()
        #expect(bytes == (try b.serialized()))
        let header = String(decoding: bytes[8...], as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\":{\"Mid\":\"3\",\"alpha\":\"2\",\"zeta\":\"1\"},\"t\":"))
    }

    // MARK: atomic writing

    private func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            var w = SafeTensorsWriter()
            try w.add(name: "a", shape: [3], floats: [1, 2, 3])
            try w.write(to: url)
            try w.write(to: url)  // overwrite
            #expect(try entries(dir) == ["model.safetensors"])
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o644)
            #expect(try SafeTensorsFile(url: url).floats("a") == [1, 2, 3])
        }
    }

    @Test func missingDirectoryIsAClearError() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("no/such/dir/m.safetensors")
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter().write(to: url) }
            #expect(error == .directoryMissing(file: url.path, directory: dir.appendingPathComponent("no/such/dir").path))
            #expect(error?.description.contains("does not exist") == true)
        }
    }

    @Test func unwritableDirectoryThrowsAndLeavesTheExistingFileIntact() throws {
        try stWithTemporaryDirectory { dir in
            var w = SafeTensorsWriter()
            try w.add(name: "new", shape: [1], floats: [2])
            if geteuid() == 0 {
                // Root ignores permission bits; sysfs refuses new files even to root.
                let url = URL(fileURLWithPath: "/sys/vtp-safetensors-test.safetensors")
                let error = #expect(throws: SafeTensorsError.self) { try w.write(to: url) }
                guard case .notWritable(let file, let reason)? = error else {
                    Issue.record("expected notWritable, got \(String(describing: error))")
                    return
                }
                #expect(file == url.path && reason.contains("/sys"))
                #expect(!FileManager.default.fileExists(atPath: url.path))
            } else {
                let url = dir.appendingPathComponent("model.safetensors")
                var old = SafeTensorsWriter()
                try old.add(name: "old", shape: [1], floats: [1])
                try old.write(to: url)
                #expect(chmod(dir.path, 0o555) == 0)
                let error = #expect(throws: SafeTensorsError.self) { try w.write(to: url) }
                #expect(error?.description.contains("cannot write") == true)
                #expect(try SafeTensorsFile(url: url).floats("old") == [1])
                #expect(try entries(dir) == ["model.safetensors"])
            }
            // A path whose "directory" is a file.
            let plain = dir.appendingPathComponent("plain")
            try Data([1]).write(to: plain)
            let error = #expect(throws: SafeTensorsError.self) { try w.write(to: plain.appendingPathComponent("m.safetensors")) }
            #expect(error?.description.contains("not a directory") == true)
        }
    }

    @Test func failureMidWriteKeepsTheExistingFileAndRemovesTheTemporary() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("model.safetensors")
            var old = SafeTensorsWriter()
            try old.add(name: "old", shape: [2], floats: [1, 2])
            try old.write(to: url)
            let before = try Data(contentsOf: url)
            var w = SafeTensorsWriter()
            try w.add(name: "new", shape: [1000], floats: [Float](repeating: 3, count: 1000))
            for failAfter in [0, 8, 100, 3000] {
                w.failAfterBytesForTesting = failAfter
                let error = #expect(throws: SafeTensorsError.self) { try w.write(to: url) }
                #expect(error == .writeFailed(file: url.path, reason: "injected failure"))
                #expect(try Data(contentsOf: url) == before)
                #expect(try entries(dir) == ["model.safetensors"])
            }
        }
    }

    @Test func renameOntoADirectoryFailsCleanly() throws {
        try stWithTemporaryDirectory { dir in
            let target = dir.appendingPathComponent("occupied")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            try Data([1]).write(to: target.appendingPathComponent("keep"))
            let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsWriter().write(to: target) }
            guard case .writeFailed(let file, let reason)? = error else {
                Issue.record("expected writeFailed, got \(String(describing: error))")
                return
            }
            #expect(file == target.path && reason.hasPrefix("rename"))
            #expect(try entries(dir) == ["occupied"])
            #expect(try entries(target) == ["keep"])
        }
    }
}
