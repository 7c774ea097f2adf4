import Foundation
import Testing
import VTPGeneration
import VTPModels
import VTPNN
import VTPTensor
import VTPTestSupport

/// `vtp dit import` of official checkpoints. Fixtures/official-checkpoint (scripts/make_dit_import_fixture.py) holds a
/// training checkpoint in the official train.py layout ({model, ema, opt, config}, torch zip format) whose `ema` is
/// lightningdit-everything's state dict, the bare state dict of lightningdit-dit-original, and a latents_stats.pt in
/// torch's legacy format; the known answers are those fixtures' official outputs.
@Suite struct OfficialImportTests {
    static var files: URL { DiTFixtures.root.appendingPathComponent("official-checkpoint") }

    /// The architecture read from each official fixture's weights is its config.json. Heads are given only where the
    /// weights cannot tell them (no RoPE tables and no preset of that shape), the class count only for a label
    /// table without a null class.
    @Test(arguments: DiTFixtures.names) func architectureFromTheWeights(_ name: String) throws {
        let dir = DiTFixtures.root.appendingPathComponent(name)
        let want = try LightningDiTConfig.load(from: dir.appendingPathComponent("config.json"))
        let weights = try SafeTensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        let preset = LightningDiTConfig.presetShapes.values.contains { $0.depth == want.depth && $0.hidden == want.hiddenSize }
        let got = try LightningDiTConfig.inferred(from: weights, heads: want.useRope || preset ? nil : want.numHeads,
                                                   numClasses: want.classDropoutProb > 0 ? nil : want.numClasses)
        var expected = want
        if expected.classDropoutProb > 0 { expected.classDropoutProb = 0.1 }
        #expect(got == expected, "\(name)")
    }

    @Test func headsThatTheWeightsDoNotHoldMustBeGiven() throws {
        do {
            _ = try OfficialDiTImport.run(.init(checkpoint: Self.files.appendingPathComponent("state-dict.pt"), output: temporaryDirectory("dit-import")))
            Issue.record("a 2-block, 48-wide model without RoPE tables was imported without a head count")
        } catch {
            #expect("\(error)".contains("head count"), "\(error)")
        }
    }

    /// The training checkpoint gives its EMA weights by default, and they reproduce the official outputs.
    @Test func trainingCheckpointSamplesLikeTheOfficialCode() throws {
        let out = temporaryDirectory("dit-import")
        var o = OfficialDiTImport.Options(checkpoint: Self.files.appendingPathComponent("train-checkpoint.pt"), output: out)
        o.statistics = Self.files.appendingPathComponent("latents_stats.pt")
        let report = try OfficialDiTImport.run(o)
        #expect(report.entry == "ema")
        let diffs = try DiTFixtures.differences("lightningdit-everything", model: out)
        #expect(diffs.count >= 8)
        for (key, d) in diffs { #expect(d <= 1e-4, "\(key): \(d)") }

        // The official statistics, written where `vtp dit sample` looks for them.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.files.appendingPathComponent("latents_stats.json"))) as! [String: [Double]]
        let saved = try LatentStatistics.load(from: out.appendingPathComponent(LatentStatistics.fileName))
        #expect(saved.mean == json["mean"]!.map { Float($0) })
        #expect(saved.std == json["std"]!.map { Float($0) })
        #expect(saved.multiplier == 1)
    }

    @Test func rawWeightsOnRequest() throws {
        let out = temporaryDirectory("dit-import")
        var o = OfficialDiTImport.Options(checkpoint: Self.files.appendingPathComponent("train-checkpoint.pt"), output: out)
        o.weights = .model
        #expect(try OfficialDiTImport.run(o).entry == "model")
        let ema = try SafeTensorsFile(url: DiTFixtures.root.appendingPathComponent("lightningdit-everything/model.safetensors"))
        let raw = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
        for key in ["x_embedder.proj.weight", "blocks.1.attn.qkv.bias", "final_layer.linear.weight"] {
            #expect(try raw.floats(key) == ema.floats(key).map { $0 + 0.5 }, "\(key)")
        }
    }

    /// A bare state dict (no entries) with the head count given; asking it for `ema` names what is there.
    @Test func bareStateDict() throws {
        let out = temporaryDirectory("dit-import")
        var o = OfficialDiTImport.Options(checkpoint: Self.files.appendingPathComponent("state-dict.pt"), output: out)
        o.heads = 3
        #expect(try OfficialDiTImport.run(o).entry == nil)
        for (key, d) in try DiTFixtures.differences("lightningdit-dit-original", model: out) { #expect(d <= 1e-4, "\(key): \(d)") }
        o.weights = .ema
        do {
            _ = try OfficialDiTImport.run(o)
            Issue.record("a state dict has no 'ema' entry")
        } catch {
            #expect("\(error)".contains("no 'ema' entry") && "\(error)".contains("blocks.0.adaLN_modulation.1.bias") && "\(error)".contains("32 entries"), "\(error)")
        }
    }

    /// Statistics of the wrong width are refused before anything is written.
    @Test func statisticsMustMatchTheModel() throws {
        let out = temporaryDirectory("dit-import")
        var o = OfficialDiTImport.Options(checkpoint: Self.files.appendingPathComponent("state-dict.pt"), output: out)
        (o.heads, o.statistics) = (3, Self.files.appendingPathComponent("latents_stats.pt"))
        #expect(throws: (any Error).self) { try OfficialDiTImport.run(o) }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("config.json").path))
    }
}

/// Hostile state dicts and configs end in errors that name the problem, never in an arithmetic trap.
@Suite struct LightningDiTArchitectureErrorTests {
    /// The tiny fixture's tensors as zero-filled shapes, with `change` applied.
    static func weights(_ change: (inout [String: Tensor]) -> Void) throws -> TensorDictionary {
        let file = try SafeTensorsFile(url: DiTFixtures.root.appendingPathComponent("lightningdit-tiny/model.safetensors"))
        var t: [String: Tensor] = [:]
        for name in file.names { t[name] = Tensor.zeros(try file.info(name).shape) }
        change(&t)
        return TensorDictionary(t)
    }

    static func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func emptyOrMisnumberedTensors() throws {
        let empty = try Self.weights { $0["x_embedder.proj.weight"] = Tensor.zeros([0, 8, 1, 1]) }
        #expect(Self.message { try LightningDiTConfig.inferred(from: empty) }.contains("empty x_embedder"))
        let gap = try Self.weights { t in
            for (k, v) in t where k.hasPrefix("blocks.1.") { t["blocks.7." + k.dropFirst("blocks.1.".count)] = v; t[k] = nil }
        }
        #expect(Self.message { try LightningDiTConfig.inferred(from: gap) }.contains("not numbered 0..<2"))
        let patch = try Self.weights { $0["x_embedder.proj.weight"] = Tensor.zeros([64, 8, 1, 2]) }
        #expect(Self.message { try LightningDiTConfig.inferred(from: patch) }.contains("square token grid"))
        let heads = try Self.weights { $0["feat_rope.freqs_cos"] = nil; $0["feat_rope.freqs_sin"] = nil }
        #expect(Self.message { try LightningDiTConfig.inferred(from: heads) }.contains("head count"))
        #expect(Self.message { try LightningDiTConfig.inferred(from: heads, heads: 0) }.contains("num_heads must be between 1"))
    }

    @Test func absurdConfigValues() throws {
        var c = LightningDiTConfig()
        c.mlpRatio = 1e300
        #expect(c.problems.contains { $0.contains("mlp_ratio") })
        c = LightningDiTConfig()
        c.numClasses = Int.max
        #expect(c.problems.contains { $0.contains("num_classes must be between 1 and") })
        #expect(c.estimatedParameterCount > 9e18 && c.parameterCount == Int.max)
        (c.numClasses, c.patchSize) = (10, 0)
        #expect(c.problems.contains { $0.contains("patch_size must be between 1 and") })
        #expect(c.estimatedParameterCount.isFinite)
    }
}
