import Foundation
import Testing
import VTPGeneration
import VTPModels
import VTPTensor

/// Official-code fixtures: Fixtures/lightningdit-tiny (see its README.md) and the flag variants made by
/// scripts/make_dit_fixtures.py (Fixtures/lightningdit-*/README.md). Each folder is a model folder too
/// (config.json + model.safetensors) with inputs.safetensors, sampling.json and expected.safetensors.
enum DiTFixtures {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }

    static var names: [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return all.filter { $0.hasPrefix("lightningdit-") }.sorted()
    }

    /// Max |ours − expected| per key of expected.safetensors (a missing key or a shape mismatch is recorded), with
    /// the fixture's own model folder or `model` (the same weights arrived another way).
    static func differences(_ name: String, model modelDirectory: URL? = nil) throws -> [(String, Float)] {
        let dir = root.appendingPathComponent(name)
        let model = try LightningDiT.load(directory: modelDirectory ?? dir)
        let sampling = try SamplingFile.load(from: dir.appendingPathComponent("sampling.json"))
        let inputs = try DiTReference.Inputs(file: try SafeTensorsFile(url: dir.appendingPathComponent("inputs.safetensors")))
        let ours = Dictionary(uniqueKeysWithValues: try DiTReference.outputs(model: model, inputs: inputs, sampling: sampling))
        let expected = try SafeTensorsFile(url: dir.appendingPathComponent("expected.safetensors"))
        var out: [(String, Float)] = []
        for key in expected.names {
            let want = Tensor(try expected.floats(key), shape: try expected.info(key).shape)
            guard let got = ours[key] else { Issue.record("\(name): no output '\(key)'"); continue }
            guard got.shape == want.shape else { Issue.record("\(name) \(key): shape \(got.shape) vs \(want.shape)"); continue }
            var worst: Float = 0
            for i in 0..<got.count { worst = Swift.max(worst, Swift.abs(got.data[i] - want.data[i])) }
            out.append((key, worst))
        }
        return out
    }
}

@Suite struct DiTParityTests {
    @Test func fixturesArePresent() {
        #expect(DiTFixtures.names.contains("lightningdit-tiny"))
    }

    /// Every key of every fixture within 1e-4 max-abs (float32 noise there is ≤ 5e-6; typical mistakes are ≥ 1e-2).
    @Test(arguments: DiTFixtures.names) func everyKeyMatches(_ name: String) throws {
        let diffs = try DiTFixtures.differences(name)
        #expect(diffs.count >= 8, "\(name): only \(diffs.count) keys compared")
        for (key, d) in diffs {
            #expect(d <= 1e-4, "\(name) \(key): max abs diff \(d) > 1e-4")
        }
        print("\(name): " + diffs.map { "\($0.0) \(String(format: "%.2e", $0.1))" }.joined(separator: ", "))
    }
}

/// The tables a fresh model computes against the official ones stored in every fixture: the sin-cos `pos_embed`
/// bit for bit (both in Double, rounded once), the RoPE tables within 1 ulp of cos/sin (libm vs PyTorch's
/// vectorised cos).
@Suite struct DiTPositionTableTests {
    @Test(arguments: DiTFixtures.names) func tablesMatchTheOfficialBuffers(_ name: String) throws {
        let dir = DiTFixtures.root.appendingPathComponent(name)
        let model = try LightningDiT(config: try LightningDiTConfig.load(from: dir.appendingPathComponent("config.json")))
        let file = try SafeTensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        #expect(model.posEmbed.value.scalars == (try file.floats("pos_embed")), "\(name): pos_embed")
        #expect(file.contains("feat_rope.freqs_cos") == model.config.useRope)
        for (key, buffer) in [("feat_rope.freqs_cos", model.ropeCos), ("feat_rope.freqs_sin", model.ropeSin)] {
            guard let buffer else { continue }
            let theirs = try file.floats(key)
            #expect(buffer.value.shape == (try file.info(key).shape))
            let worst = zip(buffer.value.scalars, theirs).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1.2e-7, "\(name) \(key): max diff \(worst)")
        }
    }
}
