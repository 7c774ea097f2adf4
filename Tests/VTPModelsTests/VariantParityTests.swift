import Foundation
import Testing
import VTPTestSupport
import VTPNN
@testable import VTPModels
import VTPTensor

/// Official-code fixtures for configurations other than the released one (see Fixtures/variants/README.md):
/// other norms, MLP types, LayerScale, QK-norm, non-square images, text options, missing towers.
@Suite struct VariantParityTests {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("variants") }

    static var names: [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return all.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("expected.safetensors").path) }.sorted()
    }

    @Test func variantFixturesArePresent() {
        #expect(Self.names.count >= 6, "expected the variant fixtures, found \(Self.names)")
    }

    @Test(arguments: names)
    func variantMatchesOfficialOutputs(name: String) throws {
        let dir = Self.root.appendingPathComponent(name)
        let inputs = try SafeTensorsFile(url: dir.appendingPathComponent("inputs.safetensors"))
        let images = Tensor(try inputs.floats("images"), shape: try inputs.info("images").shape)
        var tokens: [Int]? = nil, rows = 0
        if inputs.names.contains("tokens") {
            tokens = try inputs.int64s("tokens").map { Int($0) }
            rows = try inputs.info("tokens").shape[0]
        }
        for (precision, file, tolerance) in [(RopePrecision.bf16, "expected.safetensors", Float(5e-3)),
                                             (.fp32, "expected_rope_fp32.safetensors", Float(1e-4))] {
            let model = try VTPModel.load(directory: dir.appendingPathComponent("model"))
            model.ropePrecision = precision
            let expected = try SafeTensorsFile(url: dir.appendingPathComponent(file))
            let depthN = expected.names.filter { $0.hasPrefix("intermediate_cls_") }.count
            let ours = Dictionary(uniqueKeysWithValues: try model.referenceOutputs(images: images, tokens: tokens, rows: rows,
                                                                                  intermediate: depthN))
            #expect(Set(ours.keys) == Set(expected.names), "\(name): keys \(ours.keys.sorted()) vs \(expected.names.sorted())")
            for key in expected.names {
                let want = try expected.floats(key), shape = try expected.info(key).shape
                guard let got = ours[key] else { continue }
                #expect(got.shape == shape, "\(name) \(key): shape \(got.shape) vs \(shape)")
                guard got.shape == shape else { continue }
                let worst = maxAbsDifference(got, want)
                #expect(worst <= tolerance, "\(name) \(key) (\(precision)): max abs diff \(worst) > \(tolerance)")
            }
        }
    }
}
