import Foundation
import Testing
import VTPData
@testable import VTPEval
import VTPModels
import VTPTensor

@Suite struct ZeroShotTests {
    /// A small randomly initialised model with the full CLIP vocabulary.
    func makeModel() throws -> VTPModel {
        var c = VTPConfig()
        (c.imageSize, c.trainReconstruction) = (64, false)
        (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.visionFeatureBottleneck) = (64, 2, 2, 8)
        (c.textEmbedDim, c.textDepth, c.textNumHeads) = (32, 2, 2)
        return try VTPModel(config: c, seed: 1)
    }

    @Test func classWeightsAreNormalisedMeansOfNormalisedPromptEmbeddings() throws {
        let model = try makeModel()
        let tok = try CLIPTokenizer()
        let templates = ["a photo of an {}.", "{}", "a blurry photo of the {}."]
        let classes = ["astronaut", "cat"]
        let zs = try ZeroShotClassifier(model: model, tokenizer: tok, classNames: classes, templates: templates)
        #expect(zs.weights.shape == [32, 2])
        for (c, name) in classes.enumerated() {
            // By hand: normalise each prompt embedding, average, normalise again (Double arithmetic).
            var mean = [Double](repeating: 0, count: 32)
            for t in templates {
                let ids = tok.tokenize([PromptTemplates.fill(t, name)]).flatMap { $0.map(Int.init) }
                let f = try model.clipTextFeatures(tokens: ids, rows: 1, normalize: false).scalars.map(Double.init)
                let n = f.map { $0 * $0 }.reduce(0, +).squareRoot()
                for i in 0..<32 { mean[i] += f[i] / n / Double(templates.count) }
            }
            let n = mean.map { $0 * $0 }.reduce(0, +).squareRoot()
            for i in 0..<32 { #expect(abs(Double(zs.weights.data[i * 2 + c]) - mean[i] / n) < 1e-5) }
        }
        // Probabilities: softmax(100·f·W) rows sum to 1; top-k is sorted.
        let img = try VTPTinyInputs.images()
        let feats = try model.clipImageFeatures(img)
        let p = zs.probabilities(imageFeatures: feats)
        for r in 0..<2 { #expect(abs(p.data[r * 2] + p.data[r * 2 + 1] - 1) < 1e-5) }
        let top = zs.topK(imageFeatures: feats, k: 2)
        #expect(top[0][0].1 >= top[0][1].1)
    }

    @Test func templateNamesAndOpenAIList() {
        #expect(PromptTemplates.openai.count == 80)
        #expect(Set(PromptTemplates.openai).count == 80)
        #expect(PromptTemplates.openai.allSatisfy { $0.contains("{}") })
        #expect(PromptTemplates.named("simple") == ["a photo of a {}."])
        #expect(PromptTemplates.named("a {} here|the {}") == ["a {} here", "the {}"])
        #expect(PromptTemplates.named("no placeholder") == nil)
    }

    @Test func emptyInputsAreRejected() throws {
        let model = try makeModel()
        #expect(throws: VTPError.self) { try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: [], templates: ["{}"]) }
    }
}

/// Random but fixed images for the fixture model.
enum VTPTinyInputs {
    static func images() throws -> Tensor {
        var rng = RNG(seed: 11)
        return Tensor.randomNormal([2, 3, 64, 64], rng: &rng)
    }
}

@Suite struct TensorComparisonTests {
    @Test func reportsDifferencesMissingKeysAndShapes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var a = SafeTensorsWriter(), b = SafeTensorsWriter()
        try a.add(name: "x", shape: [2], floats: [1, 2]); try b.add(name: "x", shape: [2], floats: [1, 2.5])
        try a.add(name: "y", shape: [2], floats: [0, 0]); try b.add(name: "y", shape: [1, 2], floats: [0, 0])
        try a.add(name: "z", shape: [1], floats: [3])
        try a.write(to: dir.appendingPathComponent("a.safetensors")); try b.write(to: dir.appendingPathComponent("b.safetensors"))
        let cmp = try TensorComparison(dir.appendingPathComponent("a.safetensors"), dir.appendingPathComponent("b.safetensors"))
        #expect(cmp.rows.map(\.name) == ["x", "y", "z"])
        #expect(cmp.rows[0].maxAbsDifference == 0.5)
        #expect(cmp.rows[1].maxAbsDifference == nil && cmp.rows[2].maxAbsDifference == nil)
        #expect(!cmp.passes(tolerance: 1))
    }
}
