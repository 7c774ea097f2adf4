import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

/// Loading, saving and rejecting bad checkpoints, configs and inputs.
@Suite struct ModelIOTests {
    var fixtureModel: URL { VTPTinyFixture.directory.appendingPathComponent("model") }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func saveWritesTheOfficialKeysShapesAndDtypes() throws {
        let model = try VTPModel.load(directory: fixtureModel)
        let out = try tempDir()
        try model.save(directory: out)
        let ours = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
        let official = try SafeTensorsFile(url: fixtureModel.appendingPathComponent("model.safetensors"))
        #expect(Set(ours.names) == Set(official.names))
        for name in official.names {
            let a = try ours.info(name), b = try official.info(name)
            #expect(a.shape == b.shape && a.dtype == b.dtype, "\(name): \(a.dtype) \(a.shape) vs \(b.dtype) \(b.shape)")
            #expect(try ours.floats(name) == (try official.floats(name)), "\(name) values changed")
        }
        #expect(ours.metadata["format"] == "pt")
        // config.json: the same fields and values as the official one.
        let mine = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        let theirs = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureModel.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(Set(mine.keys) == Set(theirs.keys))
        for (k, v) in theirs {
            // JSON numbers compare by value (Python writes 4.0 where Foundation writes 4).
            if let a = mine[k] as? NSNumber, let b = v as? NSNumber { #expect(a.doubleValue == b.doubleValue, "config field \(k)"); continue }
            #expect("\(mine[k] ?? "missing")" == "\(v)", "config field \(k)")
        }
        // And it loads back to the same outputs.
        let again = try VTPModel.load(directory: out)
        let images = try VTPTinyFixture.tensor("inputs.safetensors", "images")
        let a = try withNoGrad { try model.reconstruct(images) }, b = try withNoGrad { try again.reconstruct(images) }
        #expect(a.scalars == b.scalars)
    }

    @Test func strictLoadingNamesEveryProblemAtOnce() throws {
        let src = try SafeTensorsFile(url: fixtureModel.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in src.names { tensors[n] = Tensor(try src.floats(n), shape: try src.info(n).shape) }
        tensors["trunk.norm.weight"] = nil
        tensors["visual_proj.weight"] = nil
        tensors["extra.unused"] = Tensor.zeros([2])
        tensors["trunk.cls_token"] = Tensor.zeros([1, 1, 65])
        let model = try VTPModel(config: try VTPConfig.load(from: fixtureModel.appendingPathComponent("config.json")))
        let before = model.trunk.blocks[0].attn.qkv.weight.value.scalars
        #expect {
            try model.load(from: TensorDictionary(tensors), optionalBuffers: ["trunk.rope_embed.periods", "pixel_decoder.rope_embed.periods"])
        } throws: { error in
            guard case StateDictError.mismatch(let missing, let unexpected, let wrong) = error else { return false }
            let text = "\(error)"
            return Set(missing) == ["trunk.norm.weight", "visual_proj.weight"] && unexpected == ["extra.unused"]
                && wrong.count == 1 && wrong[0].hasPrefix("trunk.cls_token") && text.contains("trunk.norm.weight")
        }
        // Nothing was changed by the failed load.
        #expect(model.trunk.blocks[0].attn.qkv.weight.value.scalars == before)
    }

    @Test func malformedConfigsGiveClearErrors() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("config.json")
        let cases: [(String, String)] = [
            ("{ not json", "not valid JSON"),
            (#"{"vision_embed_dim": "wide"}"#, "vision_embed_dim"),
            (#"{"vision_embed_dim": 100, "vision_num_heads": 3}"#, "vision_embed_dim"),
            (#"{"vision_ffn_layer": "moe"}"#, "vision_ffn_layer"),
            (#"{"text_pool_type": "mean"}"#, "text_pool_type"),
            // Regression (baseline fuzzing campaign): `null` leaked decoder jargon ("field '': Cannot get keyed …").
            ("null", "must hold a JSON object"),
            ("[1, 2]", "must hold a JSON object"),
        ]
        for (json, mention) in cases {
            try json.write(to: url, atomically: true, encoding: .utf8)
            #expect(throws: VTPError.self) { try VTPConfig.load(from: url) }
            do { _ = try VTPConfig.load(from: url) } catch { #expect("\(error)".contains(mention), "\(json): \(error)") }
        }
        #expect(throws: VTPError.missingFile(dir.appendingPathComponent("nope.json").path)) {
            try VTPConfig.load(from: dir.appendingPathComponent("nope.json"))
        }
    }

    @Test func missingOrTruncatedWeightsAreReported() throws {
        let dir = try tempDir()
        try FileManager.default.copyItem(at: fixtureModel.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        #expect(throws: VTPError.self) { try VTPModel.load(directory: dir) }
        let bytes = try Data(contentsOf: fixtureModel.appendingPathComponent("model.safetensors"))
        try bytes.prefix(bytes.count / 2).write(to: dir.appendingPathComponent("model.safetensors"))
        #expect(throws: SafeTensorsError.self) { try VTPModel.load(directory: dir) }
    }

    @Test func badInputsAreRejected() throws {
        let model = try VTPModel.load(directory: fixtureModel)
        #expect(throws: VTPError.invalidImageSize(height: 60, width: 64, patch: 16)) { try model.reconstructionLatents(Tensor.zeros([1, 3, 60, 64])) }
        #expect(throws: VTPError.self) { try model.clipImageFeatures(Tensor.zeros([1, 4, 64, 64])) }
        #expect(throws: VTPError.self) { try model.decode(Tensor.zeros([1, 7, 4, 4])) }
        #expect(throws: VTPError.self) { try model.clipTextFeatures(tokens: [1, 2, 3], rows: 1) }
        #expect(throws: VTPError.self) { try model.clipTextFeatures(tokens: [Int](repeating: 50000, count: 77), rows: 1) }
        #expect(throws: VTPError.self) { try model.intermediateLayers(Tensor.zeros([1, 3, 64, 64]), last: 5) }
    }

    @Test func anyPatchMultipleSizeWorks() throws {
        // 48×80 (3×5 patches): latents and reconstruction follow the grid.
        let model = try VTPModel.load(directory: fixtureModel)
        var rng = RNG(seed: 5)
        let x = Tensor.randomNormal([1, 3, 48, 80], rng: &rng)
        let z = try withNoGrad { try model.reconstructionLatents(x) }
        #expect(z.shape == [1, 8, 3, 5])
        #expect(try withNoGrad { try model.decode(z) }.shape == [1, 3, 48, 80])
    }

    @Test func shardedCheckpointsLoad() throws {
        let model = try VTPModel.load(directory: fixtureModel)
        let dir = try tempDir()
        try FileManager.default.copyItem(at: fixtureModel.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, t, dtype) in model.stateDict() { try w.add(name: name, shape: t.shape, floats: t.scalars, as: dtype) }
        let result = try w.writeSharded(toDirectory: dir, maxShardSize: 2_000_000)
        #expect(result.shardURLs.count > 1 && result.indexURL != nil)
        let again = try VTPModel.load(directory: dir)
        let images = try VTPTinyFixture.tensor("inputs.safetensors", "images")
        #expect(try withNoGrad { try again.reconstructionLatents(images) }.scalars == (try withNoGrad { try model.reconstructionLatents(images) }.scalars))
    }

    @Test func tinyPresetRoundTrips() throws {
        let model = try VTPModel(config: VTPConfig.preset("tiny")!, seed: 3)
        let dir = try tempDir()
        try model.save(directory: dir)
        let again = try VTPModel.load(directory: dir)
        #expect(again.config == model.config)
        #expect(again.parameterCount == model.parameterCount)
        #expect(again.trunk.blocks[2].attn.qkv.weight.value.scalars == model.trunk.blocks[2].attn.qkv.weight.value.scalars)
    }
}
