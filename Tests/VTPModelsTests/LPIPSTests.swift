import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

/// Outputs of the `lpips` package (v0.1.4, VGG16) on formula weights and inputs, written by
/// scripts/make_lpips_fixture.py (see there for the formula, which `weight(_:shape:index:)` repeats).
struct LPIPSFormulaFixture: Decodable {
    struct Param: Decodable { let name: String; let shape: [Int] }
    let input_shape: [Int]
    let x_phase: Double
    let parameters: [Param]
    let stages: [[Double]]
    let total: [Double]
    let feature_abs_mean: [Double]
    let grad_picks: [Int]
    let grad_x: [Double]

    static let shared: LPIPSFormulaFixture = {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("lpips").appendingPathComponent("lpips_vgg_formula.json")
        return try! JSONDecoder().decode(LPIPSFormulaFixture.self, from: Data(contentsOf: url))
    }()

    /// The k-th tensor of the formula (computed in Double, rounded to Float, as numpy does).
    static func weight(_ name: String, shape: [Int], index k: Int) -> Tensor {
        let n = shape.reduce(1, *)
        var v = [Float](repeating: 0, count: n)
        if name.hasPrefix("net.") && name.hasSuffix(".weight") {
            let fanIn = n / shape[0], scale = 2 / Double(fanIn).squareRoot()
            for o in 0..<shape[0] {
                let od = Double(o)
                for r in 0..<fanIn { v[o * fanIn + r] = Float(scale * sin(Double(r) * (0.37 + 0.618 * od) + 1.13 * od + Double(k))) }
            }
        } else if name.hasPrefix("net.") {
            for i in 0..<n { v[i] = Float(0.05 * sin(0.37 * Double(i) + Double(k))) }
        } else {
            for i in 0..<n { v[i] = Float(1 + sin(0.37 * Double(i) + Double(k))) }
        }
        return Tensor(v, shape: shape)
    }

    /// The two input batches x, y.
    var inputs: (Tensor, Tensor) {
        let n = input_shape.reduce(1, *)
        var x = [Float](repeating: 0, count: n), y = x
        for i in 0..<n {
            let a = 0.8 * sin(0.173 * Double(i) + x_phase)
            x[i] = Float(a)
            y[i] = Float(a + 0.15 * sin(0.911 * Double(i)))
        }
        return (Tensor(x, shape: input_shape), Tensor(y, shape: input_shape))
    }

    /// An LPIPS network holding the formula weights (built once; ~15M values).
    static let model: LPIPS = {
        let m = LPIPS()
        let params = Dictionary(uniqueKeysWithValues: m.namedParameters())
        for (k, p) in shared.parameters.enumerated() { params[p.name]!.value = weight(p.name, shape: p.shape, index: k) }
        return m
    }()
}

@Suite struct LPIPSTests {
    @Test func keysAreThoseOfTheLPIPSPackage() {
        let f = LPIPSFormulaFixture.shared
        let ours = LPIPS().namedParameters().map { ($0.0, $0.1.shape) }
        #expect(ours.map(\.0) == f.parameters.map(\.name))
        #expect(ours.map(\.1) == f.parameters.map(\.shape))
        #expect(LPIPS().namedParameters().allSatisfy { !$0.1.requiresGrad })
    }

    /// Observed agreement: 2e-6 relative.
    @Test func matchesLPIPSPackageOnFormulaWeights() {
        let f = LPIPSFormulaFixture.shared, model = LPIPSFormulaFixture.model
        let (x, y) = f.inputs
        let stages = model.stageDistances(x, y)
        for (l, (got, want)) in zip(stages, f.stages).enumerated() {
            for (a, b) in zip(got.scalars, want) {
                #expect(abs(Double(a) - b) <= 1e-7 + 2e-5 * abs(b), "stage \(l + 1): \(a) vs lpips \(b)")
            }
        }
        let total = model(x, y)
        #expect(total.shape == [x.shape[0]])
        for (a, b) in zip(total.scalars, f.total) { #expect(abs(Double(a) - b) <= 2e-5 * abs(b), "total \(a) vs lpips \(b)") }
        // The trunk itself, stage by stage.
        let feats = withNoGrad { model.features(x) }
        for (l, (t, want)) in zip(feats, f.feature_abs_mean).enumerated() {
            #expect(abs(Double(t.abs().mean().item) - want) <= 2e-5 * want, "features of stage \(l + 1)")
        }
        #expect(model(x, x).scalars.allSatisfy { abs($0) < 1e-7 })
    }

    /// The fixture's input is at least 1.3e-5 (relative) from every ReLU and max-pool tie, so rounding cannot switch
    /// a unit on or off and the gradients agree to float32 accuracy (observed: 4e-5 relative).
    @Test func gradientMatchesLPIPSPackage() {
        let f = LPIPSFormulaFixture.shared, model = LPIPSFormulaFixture.model
        let (x0, y) = f.inputs
        let x = x0.requiringGrad()
        let g = model(x, y).sum().backward()[x]!
        for (i, want) in zip(f.grad_picks, f.grad_x) {
            #expect(abs(Double(g.data[i]) - want) <= 1e-7 + 5e-4 * abs(want), "∂LPIPS/∂x[\(i)]: \(g.data[i]) vs torch \(want)")
        }
        #expect(model.namedParameters().allSatisfy { $0.1.grad == nil })
    }

    @Test func loadsAConvertedFileAndIgnoresPackageExtras() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = LPIPS(seed: 9)
        // As `lpips.LPIPS().state_dict()` would be saved: plus the scaling constants and the `lins.*` aliases.
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for (name, t, _) in source.stateDict() { try w.add(name: name, shape: t.shape, floats: t.scalars, as: .f32) }
        try w.add(name: "scaling_layer.shift", shape: [1, 3, 1, 1], floats: LPIPS.shift, as: .f32)
        try w.add(name: "lins.0.model.1.weight", shape: [1, 64, 1, 1], floats: source.lins[0].value.scalars, as: .f32)
        let url = dir.appendingPathComponent("lpips.safetensors")
        try w.write(to: url)
        let loaded = try LPIPS.load(url: url)
        for ((n, a), (_, b)) in zip(loaded.namedParameters(), source.namedParameters()) {
            #expect(a.value.scalars == b.value.scalars, "\(n)")
            #expect(!a.requiresGrad)
        }
        #expect(throws: VTPError.self) { try LPIPS.load(url: dir.appendingPathComponent("absent.safetensors")) }

        // A file without the lin layers fails strictly, naming what is missing.
        var partial = SafeTensorsWriter(metadata: [:])
        for (name, t, _) in source.stateDict() where !name.hasPrefix("lin") {
            try partial.add(name: name, shape: t.shape, floats: t.scalars, as: .f32)
        }
        let bad = dir.appendingPathComponent("partial.safetensors")
        try partial.write(to: bad)
        #expect(throws: StateDictError.self) { try LPIPS.load(url: bad) }
    }
}
