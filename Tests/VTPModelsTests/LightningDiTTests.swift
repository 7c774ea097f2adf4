import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

@Suite struct LightningDiTTests {
    func tiny(_ edit: (inout LightningDiTConfig) -> Void = { _ in }) -> LightningDiTConfig {
        var c = LightningDiTConfig()
        (c.inputSize, c.patchSize, c.inChannels, c.hiddenSize, c.depth, c.numHeads, c.numClasses) = (4, 1, 4, 32, 2, 2, 5)
        edit(&c)
        return c
    }

    /// DiT-XL/2 (the DiT paper's model: every LightningDiT flag off, learn_sigma, 4 latent channels, 1000 classes,
    /// 32×32 latents) has 675,129,632 parameters (incl. the fixed pos_embed), as the official DiT code counts.
    /// The count without building the model is checked against built models of every flag combination below.
    @Test func ditXL2ParameterCount() throws {
        var c = LightningDiTConfig.preset("XL/2")!
        (c.inChannels, c.learnSigma, c.inputSize) = (4, true, 32)
        #expect(c.parameterCount == 675_129_632)
    }

    @Test func parameterCountMatchesBuiltModels() throws {
        for bits in 0..<64 {
            let c = tiny {
                $0.learnSigma = bits & 1 != 0; $0.useQknorm = bits & 2 != 0; $0.useSwiglu = bits & 4 != 0
                $0.useRope = bits & 8 != 0; $0.useRmsnorm = bits & 16 != 0; $0.woShift = bits & 32 != 0
                $0.patchSize = bits % 3 == 0 ? 2 : 1; $0.classDropoutProb = bits % 5 == 0 ? 0 : 0.1
            }
            #expect(try LightningDiT(config: c).parameterCount == c.parameterCount, "flags \(bits)")
        }
    }

    @Test func presets() throws {
        let shapes: [String: (Int, Int, Int, Int)] = [
            "B/1": (12, 768, 12, 1), "B/2": (12, 768, 12, 2), "L/2": (24, 1024, 16, 2), "XL/1": (28, 1152, 16, 1),
            "XL/2": (28, 1152, 16, 2), "1p0B/1": (24, 1536, 24, 1), "1p6B/2": (28, 1792, 28, 2),
            "LightningDiT-XL/1": (28, 1152, 16, 1),
        ]
        for (name, s) in shapes {
            let c = try #require(LightningDiTConfig.preset(name, base: .vtpLatents), "\(name)")
            #expect((c.depth, c.hiddenSize, c.numHeads, c.patchSize) == s, "\(name)")
            #expect(c.problems.isEmpty, "\(name): \(c.problems)")
        }
        for name in LightningDiTConfig.presetNames { #expect(LightningDiTConfig.preset(name, base: .vtpLatents)?.problems == []) }
        #expect(LightningDiTConfig.preset("XXL/2") == nil)
        // SwiGLU hidden int(2/3·4·1152) = 3072, no rounding (VTP configs).
        #expect(LightningDiTConfig.preset("XL/1", base: .vtpLatents)!.mlpHiddenSize == 3072)
        #expect(LightningDiTConfig.preset("B/1", base: .vtpLatents)!.mlpHiddenSize == 2048)
    }

    @Test func badConfigsAreNamed() {
        let c = tiny { $0.numHeads = 3; $0.inputSize = 5; $0.patchSize = 2; $0.classDropoutProb = 1 }
        let p = c.problems.joined(separator: "\n")
        #expect(p.contains("num_heads"))
        #expect(p.contains("patch_size"))
        #expect(p.contains("class_dropout_prob"))
        #expect(tiny { $0.useRope = true; $0.hiddenSize = 24; $0.numHeads = 4 }.problems.joined().contains("divisible by 4"))
        #expect(throws: VTPError.self) { try LightningDiT(config: c) }
    }

    /// A valid configuration larger than the machine (2^20 wide, 64 deep: ~10^15 parameters) is refused by the
    /// constructor with its size, before anything is allocated; describing it (validate) stays possible.
    @Test func modelsLargerThanMemoryAreRefusedBeforeAllocation() throws {
        let c = tiny { $0.hiddenSize = 1 << 20; $0.numHeads = 1 << 10; $0.depth = 64 }
        #expect(c.problems.isEmpty)
        do {
            _ = try LightningDiT(config: c)
            Issue.record("a 10^15-parameter model was built")
        } catch VTPError.invalidConfig(let p) {
            #expect(p.joined().contains("parameters") && p.joined().contains("GB of memory"), "\(p)")
        }
    }

    /// The official init zeroes adaLN and the final layer, so a fresh model predicts exactly 0.
    @Test func freshModelOutputsZero() throws {
        let model = try LightningDiT(config: tiny { $0.useRope = true; $0.useSwiglu = true; $0.useRmsnorm = true })
        var rng = RNG(seed: 1)
        let out = try model(Tensor.randomNormal([2, 4, 4, 4], rng: &rng), t: [0.3, 0.7], y: [1, 5])
        #expect(out.shape == [2, 4, 4, 4])
        #expect(out.scalars.allSatisfy { $0 == 0 })
    }

    @Test func strictLoadingNamesEveryProblem() throws {
        let model = try LightningDiT(config: tiny())
        var dict = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
        dict["blocks.0.attn.qkv.weight"] = nil
        dict["blocks.9.mlp.fc1.weight"] = Tensor.zeros([1])
        dict["final_layer.linear.bias"] = Tensor.zeros([3])
        do {
            try model.loadWeights(from: TensorDictionary(dict))
            Issue.record("loading a broken state dict succeeded")
        } catch let e as StateDictError {
            let m = e.description
            #expect(m.contains("blocks.0.attn.qkv.weight"))
            #expect(m.contains("blocks.9.mlp.fc1.weight"))
            #expect(m.contains("final_layer.linear.bias"))
        }
    }

    @Test func keysFollowTheFlags() throws {
        func keys(_ c: LightningDiTConfig) throws -> Set<String> { Set(try LightningDiT(config: c).stateDict().map(\.name)) }
        let swiglu = try keys(tiny { $0.useSwiglu = true; $0.useRope = true; $0.useRmsnorm = true; $0.useQknorm = true })
        #expect(swiglu.isSuperset(of: ["blocks.0.mlp.w12.weight", "blocks.0.mlp.w3.bias", "feat_rope.freqs_cos",
                                       "blocks.1.norm1.weight", "blocks.0.attn.q_norm.weight", "final_layer.norm_final.weight",
                                       "pos_embed", "y_embedder.embedding_table.weight", "t_embedder.mlp.2.weight"]))
        #expect(!swiglu.contains("blocks.0.attn.q_norm.bias"))
        let plain = try keys(tiny { $0.useQknorm = true })
        #expect(plain.isSuperset(of: ["blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc2.bias", "blocks.0.attn.k_norm.bias"]))
        #expect(plain.isDisjoint(with: ["feat_rope.freqs_cos", "blocks.0.norm1.weight", "final_layer.norm_final.weight"]))
        let m = try LightningDiT(config: tiny { $0.woShift = true; $0.learnSigma = true; $0.classDropoutProb = 0 })
        #expect(m.blocks[0].adaLN.weight.shape == [4 * 32, 32])
        #expect(m.finalLayer.adaLN.weight.shape == [2 * 32, 32])
        #expect(m.finalLayer.linear.weight.shape == [8, 32])
        #expect(m.yEmbedder.table.weight.shape == [5, 32])
    }

    @Test func saveLoadRoundTrip() throws {
        let model = try LightningDiT(config: tiny { $0.useRope = true; $0.useSwiglu = true }, seed: 3)
        var rng = RNG(seed: 4)
        for (_, p) in model.namedParameters() where p.requiresGrad {
            p.value = Tensor.randomNormal(p.shape, std: 0.2, rng: &rng)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dit-roundtrip-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(directory: dir)
        let loaded = try LightningDiT.load(directory: dir)
        #expect(loaded.config == model.config)
        let x = Tensor.randomNormal([2, 4, 4, 4], rng: &rng)
        let a = try model(x, t: [0.2, 0.9], y: [0, 5]), b = try loaded(x, t: [0.2, 0.9], y: [0, 5])
        #expect(a.scalars == b.scalars)
        #expect(a.scalars.contains { $0 != 0 })
        #expect(throws: VTPError.self) { try loaded(x, t: [0.2, 0.9], y: [0, 6]) }
        #expect(throws: VTPError.self) { try loaded(Tensor.zeros([2, 3, 4, 4]), t: [0.2, 0.9], y: [0, 1]) }
    }
}
