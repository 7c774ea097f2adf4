import Foundation
import Testing
import VTPNN
@testable import VTPModels
import VTPTensor

/// Per-layer distances and spatial maps of the `lpips` package (spatial=True) on the formula weights, non-square
/// inputs (scripts/make_lpips_spatial_fixture.py).
@Suite struct LPIPSSpatialTests {
    struct Fixture: Decodable {
        let input_shape: [Int]
        let total: [Double]
        let layers: [[Double]]
        let spatial_total: [Double]
        let picks: [Int]
        let spatial_layers_at_picks: [[Double]]
        static let shared: Fixture = {
            let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
                .appendingPathComponent("lpips").appendingPathComponent("lpips_vgg_spatial.json")
            return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        }()
        var inputs: (Tensor, Tensor) {
            let n = input_shape.reduce(1, *)
            var x = [Float](repeating: 0, count: n), y = x
            for i in 0..<n {
                let a = 0.8 * sin(0.173 * Double(i) + 1.22)
                x[i] = Float(a)
                y[i] = Float(a + 0.15 * sin(0.911 * Double(i)))
            }
            return (Tensor(x, shape: input_shape), Tensor(y, shape: input_shape))
        }
    }

    /// Observed: distances 1.8e-7, spatial map 6.3e-7 max-abs (distances ~0.32–0.35).
    @Test func layersAndSpatialMapsMatchLPIPSPackage() {
        let f = Fixture.shared, model = LPIPSFormulaFixture.model
        let (x, y) = f.inputs
        for (got, want) in zip(model.stageDistances(x, y), f.layers) {
            for (a, b) in zip(got.scalars, want) { #expect(abs(Double(a) - b) < 1e-5) }
        }
        let (stages, total) = model.spatialMaps(x, y)
        #expect(total.shape == [2, 1, 24, 20])
        for (a, b) in zip(total.scalars, f.spatial_total) { #expect(abs(Double(a) - b) < 1e-5) }
        for (stage, want) in zip(stages, f.spatial_layers_at_picks) {
            for (p, b) in zip(f.picks, want) { #expect(abs(Double(stage.scalars[p]) - b) < 1e-5, "pick \(p)") }
        }
        for (a, b) in zip(model(x, y).scalars, f.total) { #expect(abs(Double(a) - b) < 1e-5) }
    }

    /// torchvision's `features.{i}` keys with its classifier, plus lpips' lin layers and scaling constants.
    @Test func loadsTorchvisionAndLPIPSKeyNames() throws {
        let formula = LPIPSFormulaFixture.model
        var vgg: [String: Tensor] = ["classifier.0.weight": Tensor.zeros([4, 2])]
        var lins: [String: Tensor] = ["scaling_layer.shift": Tensor(LPIPS.shift, shape: [1, 3, 1, 1])]
        for (name, p) in formula.namedParameters() {
            if name.hasPrefix("net.") {
                let parts = name.split(separator: ".")  // net, sliceN, i, weight|bias
                vgg["features.\(parts[2]).\(parts[3])"] = p.value
            } else { lins[name] = p.value }
        }
        let model = try LPIPS.load(from: [TensorDictionary(vgg), TensorDictionary(lins)])
        let (x, y) = Fixture.shared.inputs
        #expect(model(x, y).scalars == formula(x, y).scalars)
        vgg.removeValue(forKey: "features.28.bias")
        #expect(throws: StateDictError.self) { try LPIPS.load(from: [TensorDictionary(vgg), TensorDictionary(lins)]) }
    }
}
