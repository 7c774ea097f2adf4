import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

/// pytorch-fid's InceptionV3 (FID variant) on formula weights and inputs, written by
/// scripts/make_inception_fixture.py (see there for the formula, which `weight(_:shape:index:)` repeats).
struct InceptionFormulaFixture: Decodable {
    struct Param: Decodable { let name: String; let shape: [Int] }
    let input_shape: [Int]
    let parameters: [Param]
    let features: [[Double]]
    let resize_picks: [Int]
    let resized: [Double]

    static let shared: InceptionFormulaFixture = {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("inception").appendingPathComponent("fid_inception_formula.json")
        return try! JSONDecoder().decode(InceptionFormulaFixture.self, from: Data(contentsOf: url))
    }()

    /// The k-th tensor of the formula (Double, rounded to Float).
    static func weight(_ name: String, shape: [Int], index k: Int) -> Tensor {
        let n = shape.reduce(1, *), kd = Double(k)
        var v = [Float](repeating: 0, count: n)
        if name.hasSuffix("conv.weight") {
            let fanIn = n / shape[0], scale = 2 / Double(fanIn).squareRoot()
            for o in 0..<shape[0] {
                let od = Double(o)
                for r in 0..<fanIn { v[o * fanIn + r] = Float(scale * sin(Double(r) * (0.37 + 0.618 * od) + 1.13 * od + kd)) }
            }
        } else {
            for i in 0..<n {
                let d = Double(i)
                if name.hasSuffix("bn.weight") { v[i] = Float(1 + 0.2 * sin(0.37 * d + kd)) }
                else if name.hasSuffix("bn.bias") { v[i] = Float(0.1 * sin(0.53 * d + kd)) }
                else if name.hasSuffix("bn.running_mean") { v[i] = Float(0.1 * sin(0.71 * d + kd)) }
                else { v[i] = Float(1 + 0.5 * sin(0.29 * d + kd)) }
            }
        }
        return Tensor(v, shape: shape)
    }

    var input: Tensor {
        let n = input_shape.reduce(1, *)
        let v = (0..<n).map { i -> Float in let d = Double(i); return Float(0.5 + 0.45 * sin(0.173 * d + 0.3) * cos(0.0071 * d)) }
        return Tensor(v, shape: input_shape)
    }

    /// The formula state dict, with the extra keys pytorch-fid's file holds (fc, num_batches_tracked).
    var stateDict: TensorDictionary {
        var d: [String: Tensor] = [:]
        for (k, p) in parameters.enumerated() { d[p.name] = Self.weight(p.name, shape: p.shape, index: k) }
        d["fc.weight"] = Tensor.zeros([1008, 2048])
        d["fc.bias"] = Tensor.zeros([1008])
        d["Conv2d_1a_3x3.bn.num_batches_tracked"] = Tensor.zeros([])
        return TensorDictionary(d)
    }
}

@Suite struct InceptionV3Tests {
    @Test func keysAreThoseOfPytorchFID() {
        let f = InceptionFormulaFixture.shared, m = InceptionV3()
        let ours = Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.0, $0.1.shape) } + m.namedBuffers().map { ($0.0, $0.1.value.shape) })
        let theirs = Dictionary(uniqueKeysWithValues: f.parameters.map { ($0.name, $0.shape) })
        #expect(ours == theirs)
    }

    @Test func bilinearResizeMatchesInterpolate() {
        let f = InceptionFormulaFixture.shared
        let r = f.input.resizedBilinear(height: 299, width: 299).scalars
        for (p, want) in zip(f.resize_picks, f.resized) { #expect(abs(Double(r[p]) - want) < 1e-6, "element \(p)") }
    }

    /// pool3 features, 2 images 45×61: observed max-abs difference 3.7e-6 (features up to 0.8).
    @Test func featuresMatchPytorchFID() throws {
        let f = InceptionFormulaFixture.shared, m = InceptionV3()
        try m.load(f.stateDict)
        let got = m.features(f.input)
        #expect(got.shape == [2, InceptionV3.featureDimension])
        var worst = 0.0
        for (b, row) in f.features.enumerated() {
            for (j, want) in row.enumerated() { worst = max(worst, abs(Double(got.scalars[b * 2048 + j]) - want)) }
        }
        #expect(worst < 1e-3, "max-abs difference \(worst)")
    }
}
