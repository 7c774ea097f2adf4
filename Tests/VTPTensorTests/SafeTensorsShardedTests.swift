import Foundation
import Testing
@testable import VTPTensor

@Suite struct SafeTensorsShardedTests {
    private func entries(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func splitsLikeHuggingfaceHub() {
        // huggingface_hub: in order; a tensor over the limit gets its own shard; otherwise a new shard starts
        // when the next tensor would overflow the current one.
        #expect(SafeTensorsWriter.shardGroups(sizes: [6, 6, 2, 6, 2, 2], maxShardSize: 10) == [[0], [1, 2], [3, 4, 5]])
        #expect(SafeTensorsWriter.shardGroups(sizes: [4, 15, 4, 4, 3], maxShardSize: 10) == [[1], [0, 2], [3, 4]])
        #expect(SafeTensorsWriter.shardGroups(sizes: [5, 5, 5], maxShardSize: 10) == [[0, 1], [2]])
        #expect(SafeTensorsWriter.shardGroups(sizes: [1, 2], maxShardSize: 100) == [[0, 1]])
        #expect(SafeTensorsWriter.shardGroups(sizes: [], maxShardSize: 100) == [[]])
        #expect(SafeTensorsWriter.shardGroups(sizes: [0, 0, 11], maxShardSize: 10) == [[2], [0, 1]])
    }

    @Test func indexTextMatchesPythonJSONDumps() throws {
        struct Example: Decodable {
            let weight_map: [String: String]
            let total_size: Int
            let extra_metadata: [String: String]
            let text: String
        }
        let ex = try JSONDecoder().decode(Example.self, from: Data(contentsOf: STFixtures.url("index_example", "json")))
        let text = SafeTensorsWriter.pythonIndentedJSON(
            metadata: ex.extra_metadata.map { ($0.key, .string($0.value)) } + [("total_size", .number(String(ex.total_size)))],
            weightMap: ex.weight_map.map { ($0.key, $0.value) }.shuffled())
        #expect(text == ex.text)
    }

    @Test func shardedRoundTrip() throws {
        try stWithTemporaryDirectory { dir in
            var w = SafeTensorsWriter(metadata: ["format": "pt"])
            var expected: [String: [Float]] = [:]
            for i in 0..<7 {
                let values = (0..<(10 * (i + 1))).map { Float($0) + Float(i) / 8 }
                try w.add(name: "layer.\(i).weight", shape: [i + 1, 10], floats: values, as: i % 2 == 0 ? .f32 : .bf16)
                expected["layer.\(i).weight"] = i % 2 == 0 ? values : DTypeConversion.roundedThroughBF16(values)
            }
            try w.add(name: "step", shape: [], int64s: [42])
            let result = try w.writeSharded(toDirectory: dir, maxShardSize: 200)
            // Data sizes 40, 40, 120, 80, 200, 120, 280 (over the limit: own shard), 8 -> [0,1,2] [3] [4] [6] [5,step]
            let names = (1...5).map { "model-0000\($0)-of-00005.safetensors" }
            #expect(result.shardURLs.map(\.lastPathComponent) == names)
            #expect(result.indexURL?.lastPathComponent == "model.safetensors.index.json")
            #expect(try entries(dir) == (names + ["model.safetensors.index.json"]).sorted())

            let sharded = try ShardedSafeTensors(indexURL: try #require(result.indexURL))
            #expect(sharded.metadata == ["total_size": String(w.totalDataBytes)])
            #expect(sharded.names == w.names.sorted())
            #expect(sharded.shardFileNames.sorted() == names)
            #expect(sharded.unmappedTensors.isEmpty)
            for (name, values) in expected { #expect(try sharded.floats(name) == values, "\(name)") }
            #expect(try sharded.int64s("step") == [42] && sharded.info("step").shape == [])
            #expect(try sharded.info("layer.3.weight").dtype == .bf16)
            #expect(try sharded.bytes("layer.0.weight").count == 40)
            #expect(try sharded.withRawBytes("layer.6.weight") { $0.count } == 280)
            #expect(try sharded.shardFileName(of: "layer.6.weight") == "model-00004-of-00005.safetensors")  // own shard
            #expect(try sharded.shardFileName(of: "step") == "model-00005-of-00005.safetensors")
            #expect(try sharded.shard(containing: "layer.0.weight").metadata == ["format": "pt"])
            let missing = #expect(throws: SafeTensorsError.self) { try sharded.floats("nope") }
            #expect(missing == .tensorNotFound(file: result.indexURL!.path, tensor: "nope"))
            // Each shard respects the limit unless it holds a single oversized tensor.
            for url in result.shardURLs {
                let f = try SafeTensorsFile(url: url)
                let size = f.tensors.reduce(0) { $0 + $1.byteCount }
                #expect(size <= 200 || f.count == 1)
            }
        }
    }

    @Test func singleShardIsPlainModelFile() throws {
        try stWithTemporaryDirectory { dir in
            var w = SafeTensorsWriter()
            try w.add(name: "a", shape: [2], floats: [1, 2])
            let r = try w.writeSharded(toDirectory: dir, maxShardSize: 1 << 30)
            #expect(r.indexURL == nil && r.shardURLs.map(\.lastPathComponent) == ["model.safetensors"])
            #expect(try entries(dir) == ["model.safetensors"])
            let r2 = try w.writeSharded(toDirectory: dir, maxShardSize: 1 << 30, baseName: "m", alwaysWriteIndex: true)
            #expect(try ShardedSafeTensors(indexURL: try #require(r2.indexURL)).floats("a") == [1, 2])
            #expect(throws: SafeTensorsError.invalidShardSize(file: dir.appendingPathComponent("model.safetensors.index.json").path, size: 0)) {
                try w.writeSharded(toDirectory: dir, maxShardSize: 0)
            }
        }
    }

    // MARK: index validation

    private func makeShards(_ dir: URL) throws {
        var a = SafeTensorsWriter()
        try a.add(name: "x", shape: [1], floats: [1])
        try a.add(name: "extra", shape: [1], floats: [5])
        try a.write(to: dir.appendingPathComponent("s1.safetensors"))
        var b = SafeTensorsWriter()
        try b.add(name: "y", shape: [1], floats: [2])
        try b.write(to: dir.appendingPathComponent("s2.safetensors"))
    }

    private func index(_ dir: URL, _ text: String) throws -> URL {
        let url = dir.appendingPathComponent("model.safetensors.index.json")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func reportsUnmappedTensors() throws {
        try stWithTemporaryDirectory { dir in
            try makeShards(dir)
            let url = try index(dir, #"{"metadata":{"total_size":12,"note":"n"},"weight_map":{"y":"s2.safetensors","x":"s1.safetensors"}}"#)
            let s = try ShardedSafeTensors(indexURL: url)
            #expect(s.unmappedTensors == ["extra": "s1.safetensors"])
            #expect(s.names == ["y", "x"] && s.shardFileNames == ["s2.safetensors", "s1.safetensors"])
            #expect(s.metadata == ["total_size": "12", "note": "n"])
            #expect(try s.floats("x") == [1] && s.floats("y") == [2] && !s.contains("extra"))
            let e = #expect(throws: SafeTensorsError.self) { try ShardedSafeTensors(indexURL: url, requireAllTensorsMapped: true) }
            #expect(e == .unmappedTensors(file: url.path, tensors: ["extra"]))
            #expect(e?.description.contains("'extra'") == true)
        }
    }

    @Test func rejectsBadIndexes() throws {
        try stWithTemporaryDirectory { dir in
            try makeShards(dir)
            let cases: [(String, (String) -> SafeTensorsError)] = [
                (#"{"weight_map":{"x":"s3.safetensors"}}"#, { .shardMissing(file: $0, shard: "s3.safetensors") }),
                (#"{"weight_map":{"y":"s1.safetensors"}}"#, { .tensorMissingFromShard(file: $0, tensor: "y", shard: "s1.safetensors") }),
                (#"{"metadata":{}}"#, { .invalidIndex(file: $0, reason: "missing \"weight_map\"") }),
                (#"{"weight_map":[]}"#, { .invalidIndex(file: $0, reason: "\"weight_map\" is not an object") }),
                (#"{"metadata":3,"weight_map":{}}"#, { .invalidIndex(file: $0, reason: "\"metadata\" is not an object") }),
                (#"{"weight_map":{"x":1}}"#, { .invalidIndex(file: $0, reason: "weight_map value for 'x' is not a string") }),
                (#"{"weight_map":{"x":"s1.safetensors","x":"s1.safetensors"}}"#,
                 { .invalidIndex(file: $0, reason: "tensor 'x' appears twice in weight_map") }),
                ("[]", { .invalidIndex(file: $0, reason: "top level is not an object") }),
            ]
            for (text, expected) in cases {
                let url = try index(dir, text)
                let e = #expect(throws: SafeTensorsError.self) { try ShardedSafeTensors(indexURL: url) }
                #expect(e == expected(url.path), "\(text)")
                #expect(e?.description.hasPrefix(url.path) == true)
            }
            for text in ["{", "", #"{"weight_map":{"x":"../s1.safetensors"}}"#, #"{"weight_map":{"x":"/etc/passwd"}}"#] {
                let url = try index(dir, text)
                let e = #expect(throws: SafeTensorsError.self) { try ShardedSafeTensors(indexURL: url) }
                guard case .invalidIndex(let file, _)? = e else { Issue.record("\(text): got \(String(describing: e))"); continue }
                #expect(file == url.path)
            }
            // A corrupt shard reports the shard's own error.
            try Data([1, 2, 3]).write(to: dir.appendingPathComponent("s2.safetensors"))
            let url = try index(dir, #"{"weight_map":{"y":"s2.safetensors"}}"#)
            let e = #expect(throws: SafeTensorsError.self) { try ShardedSafeTensors(indexURL: url) }
            #expect(e == .fileTooSmall(file: dir.appendingPathComponent("s2.safetensors").path, size: 3))
            let gone = dir.appendingPathComponent("none.index.json")
            #expect(throws: SafeTensorsError.self) { try ShardedSafeTensors(indexURL: gone) }
        }
    }
}
