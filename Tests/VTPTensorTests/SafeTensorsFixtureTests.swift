import Foundation
import Testing
@testable import VTPTensor

// Shared helpers of the SafeTensors*Tests files.

enum STFixtures {
    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    }

    struct Reference: Decodable {
        struct Entry: Decodable {
            let dtype: String
            let shape: [Int]
            let data_offsets: [Int]
            let hex: String
            let float_bits: [UInt32]?
            let source_float_bits: [UInt32]?
            let ints: [Int64]?
        }
        let metadata: [String: String]
        let multimeta_metadata: [String: String]
        let names: [String]
        let header_length: Int
        let file_size: Int
        let tensors: [String: Entry]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url("reference", "json")))
    }

    /// The real VTP checkpoint, shared with VTPModelsTests (not copied into this target).
    static var vtpTinyCheckpoint: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VTPModelsTests/Fixtures/vtp-tiny/model/model.safetensors")
    }
}

func stHexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.utf8.makeIterator()
    while let a = it.next(), let b = it.next() {
        func v(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        out.append(v(a) << 4 | v(b))
    }
    return out
}

/// A fresh empty directory, removed when `body` returns.
func stWithTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
    defer {
        chmod(dir.path, 0o755)
        try? FileManager.default.removeItem(at: dir)
    }
    return try body(dir)
}

@Suite struct SafeTensorsFixtureTests {
    @Test func readsReferenceFileWrittenByPython() throws {
        let ref = try STFixtures.reference()
        let file = try SafeTensorsFile(url: STFixtures.url("reference", "safetensors"))
        #expect(file.metadata == ref.metadata)
        #expect(file.names == ref.names)
        #expect(file.count == 16 && ref.names.count == 16)
        #expect(file.fileSize == ref.file_size)
        for name in ref.names {
            let e = try #require(ref.tensors[name])
            let info = try file.info(name)
            #expect(info.name == name)
            #expect(info.dtype.rawValue == e.dtype, "\(name)")
            #expect(info.shape == e.shape, "\(name)")
            #expect(info.byteRange == e.data_offsets[0]..<e.data_offsets[1], "\(name)")
            #expect(try file.bytes(name) == stHexBytes(e.hex), "\(name)")
            let floats = try file.floats(name)
            #expect(floats.count == e.shape.reduce(1, *))
            if let bits = e.float_bits {
                #expect(floats.map(\.bitPattern) == bits, "\(name)")
                #expect(throws: SafeTensorsError.dtypeNotConvertible(
                    file: file.url.path, tensor: name, dtype: info.dtype, to: "Int64")) { try file.int64s(name) }
            } else {
                let ints = try #require(e.ints)
                #expect(try file.int64s(name) == ints, "\(name)")
                #expect(floats == ints.map { Float($0) }, "\(name)")
            }
        }
        #expect(try file.info("scalar").shape == [] && file.floats("scalar") == [3.5])
        #expect(try file.floats("empty").isEmpty && file.info("empty").shape == [0, 3])
        #expect(try file.int64s("mask") == [1, 0, 1, 1, 0])
        #expect(file.contains("we\"ird\\/é\n\t\u{01}") && file.contains("z\u{1F600}"))
    }

    @Test func withRawBytesIsZeroCopyIntoTheMapping() throws {
        let file = try SafeTensorsFile(url: STFixtures.url("reference", "safetensors"))
        let a = try file.withRawBytes("weight") { UInt(bitPattern: $0.baseAddress) }
        let b = try file.withRawBytes("weight") { UInt(bitPattern: $0.baseAddress) }
        let int = try file.withRawBytes("int") { UInt(bitPattern: $0.baseAddress) }
        #expect(a == b && a != 0)
        #expect(int - a == UInt(try file.info("int").byteRange.lowerBound - file.info("weight").byteRange.lowerBound))
        let count = try file.withRawBytes("long") { $0.count }
        #expect(count == 48)
    }

    @Test func missingTensorIsAClearError() throws {
        let file = try SafeTensorsFile(url: STFixtures.url("reference", "safetensors"))
        let error = #expect(throws: SafeTensorsError.self) { try file.floats("nope") }
        #expect(error == .tensorNotFound(file: file.url.path, tensor: "nope"))
        #expect(error?.description.contains("reference.safetensors") == true && error?.description.contains("'nope'") == true)
        #expect(throws: SafeTensorsError.self) { try file.info("") }
        #expect(throws: SafeTensorsError.self) { try file.withRawBytes("nope") { _ in 0 } }
    }

    @Test func readsSeveralMetadataEntries() throws {
        let ref = try STFixtures.reference()
        let file = try SafeTensorsFile(url: STFixtures.url("reference_multimeta", "safetensors"))
        #expect(file.metadata == ref.multimeta_metadata)
        #expect(file.metadata["a note"] == "héllo \"quoted\"\n")
        #expect(Set(file.names) == ["x", "y"])
    }

    @Test func readsTheRealVTPTinyCheckpoint() throws {
        struct Summary: Decodable {
            struct Entry: Decodable { let dtype: String; let shape: [Int]; let sum: Double; let first_bits: UInt32? }
            let metadata: [String: String]
            let names: [String]
            let tensors: [String: Entry]
        }
        let summary = try JSONDecoder().decode(
            Summary.self, from: Data(contentsOf: STFixtures.url("vtp_tiny_summary", "json")))
        let file = try SafeTensorsFile(url: STFixtures.vtpTinyCheckpoint)
        #expect(file.metadata == summary.metadata && file.metadata["format"] == "pt")
        #expect(file.names == summary.names && file.count == 97)
        var bf16 = 0
        for name in file.names {
            let e = try #require(summary.tensors[name])
            let info = try file.info(name)
            #expect(info.dtype.rawValue == e.dtype && info.shape == e.shape, "\(name)")
            let values = try file.floats(name)
            #expect(values.count == e.shape.reduce(1, *))
            #expect(values.first?.bitPattern == e.first_bits, "\(name)")
            let sum = values.reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - e.sum) <= 1e-9 * max(1, abs(e.sum)), "\(name): \(sum) vs \(e.sum)")
            if info.dtype == .bf16 { bf16 += 1 }
        }
        #expect(bf16 == 2)
    }

    @Test func opensEveryVTPTinyFixtureFile() throws {
        let dir = STFixtures.vtpTinyCheckpoint.deletingLastPathComponent().deletingLastPathComponent()
        let names = ["expected.safetensors", "expected_rope_fp32.safetensors", "inputs.safetensors", "rope_tables.safetensors"]
        for name in names {
            let file = try SafeTensorsFile(url: dir.appendingPathComponent(name))
            #expect(file.count > 0, "\(name)")
            for t in file.names {
                let info = try file.info(t)
                let values = try file.floats(t)
                #expect(values.count == info.elementCount, "\(name): \(t)")
            }
        }
    }

    @Test func mappingSurvivesReplacementOfTheFile() throws {
        try stWithTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("m.safetensors")
            var w = SafeTensorsWriter()
            try w.add(name: "a", shape: [4], floats: [1, 2, 3, 4])
            try w.write(to: url)
            let old = try SafeTensorsFile(url: url)
            var w2 = SafeTensorsWriter()
            try w2.add(name: "a", shape: [2], floats: [9, 9])
            try w2.write(to: url)  // atomic rename: the old mapping keeps the old inode
            #expect(try old.floats("a") == [1, 2, 3, 4])
            #expect(try SafeTensorsFile(url: url).floats("a") == [9, 9])
        }
    }
}
