import Foundation
import Testing
import VTPTestSupport
import VTPNN
@testable import VTPModels
import VTPTensor

/// The fixture made by the official PyTorch code (see Fixtures/vtp-tiny/README.md).
enum VTPTinyFixture {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("vtp-tiny")
    }

    static func tensor(_ file: String, _ name: String) throws -> Tensor {
        let f = try SafeTensorsFile(url: directory.appendingPathComponent(file))
        return Tensor(try f.floats(name), shape: try f.info(name).shape)
    }

    static func tokens() throws -> (ids: [Int], rows: Int) {
        let f = try SafeTensorsFile(url: directory.appendingPathComponent("inputs.safetensors"))
        let info = try f.info("tokens")
        return (try f.int64s("tokens").map { Int($0) }, info.shape[0])
    }

    /// Every output key of `expected.safetensors`, computed by our model.
    static func outputs(_ model: VTPModel) throws -> [String: Tensor] {
        let (ids, rows) = try tokens()
        let pairs = try model.referenceOutputs(images: try tensor("inputs.safetensors", "images"), tokens: ids, rows: rows,
                                               intermediate: 2)
        return Dictionary(uniqueKeysWithValues: pairs)
    }
}

@Suite struct ParityTests {
    func check(_ precision: RopePrecision, file: String, tolerance: Float) throws {
        let model = try VTPModel.load(directory: VTPTinyFixture.directory.appendingPathComponent("model"))
        model.ropePrecision = precision
        let ours = try VTPTinyFixture.outputs(model)
        let expectedFile = try SafeTensorsFile(url: VTPTinyFixture.directory.appendingPathComponent(file))
        #expect(Set(expectedFile.names) == Set(ours.keys))
        for name in expectedFile.names {
            let want = Tensor(try expectedFile.floats(name), shape: try expectedFile.info(name).shape)
            guard let got = ours[name] else { Issue.record("missing output \(name)"); continue }
            #expect(got.shape == want.shape, "\(name): shape \(got.shape) vs \(want.shape)")
            guard got.shape == want.shape else { continue }
            let worst = maxAbsDifference(got, want)
            #expect(worst <= tolerance, "\(name) (\(precision)): max abs diff \(worst) > \(tolerance)")
        }
    }

    @Test func bf16RopeMatchesOfficialOutputs() throws {
        try check(.bf16, file: "expected.safetensors", tolerance: 5e-3)
    }

    @Test func fp32RopeMatchesFloat32Reference() throws {
        try check(.fp32, file: "expected_rope_fp32.safetensors", tolerance: 1e-4)
    }

    @Test func ropeTablesAreBitExact() throws {
        let model = try VTPModel.load(directory: VTPTinyFixture.directory.appendingPathComponent("model"))
        let f = try SafeTensorsFile(url: VTPTinyFixture.directory.appendingPathComponent("rope_tables.safetensors"))
        for (prefix, rope) in [("encoder", model.trunk.ropeEmbed), ("decoder", model.pixelDecoder!.ropeEmbed)] {
            let t = rope.tables(height: 4, width: 4, precision: .bf16)
            let sin = try f.floats("\(prefix)_sin"), cos = try f.floats("\(prefix)_cos")
            #expect(t.sin.scalars == sin, "\(prefix) sin table")
            #expect(t.cos.scalars == cos, "\(prefix) cos table")
            #expect(rope.periods.value.scalars == (try f.floats("\(prefix)_periods")))
        }
    }
}
