import Foundation
import Testing
import VTPData
import VTPTensor
@testable import VTPEval

/// The Fréchet distance against pytorch-fid's `calculate_frechet_distance` (scipy sqrtm) on feature sets written by
/// scripts/make_metric_fixtures.py.
@Suite struct FrechetDistanceTests {
    struct Case: Decodable {
        let frechet_distance: Double
        let mu_a: [Double]?
        let sigma_a_diag: [Double]?
        let sigma_a_0_1: Double?
    }

    private func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / Swift.max(abs(b), 1e-300) }

    /// Observed: full rank 8e-15 relative, rank-deficient 1.3e-9 (scipy's sqrtm of a singular product is the less exact).
    @Test func matchesPytorchFIDOnFeatureSets() throws {
        let want = try MetricFixtures.decode("frechet.json", as: [String: Case].self)
        for name in ["full_rank", "rank_deficient"] {
            let a = try FeatureStatistics.load(url: MetricFixtures.url("frechet_\(name)_a.safetensors"))
            let b = try FeatureStatistics.load(url: MetricFixtures.url("frechet_\(name)_b.safetensors"))
            let w = want[name]!
            for (x, y) in zip(a.mu, w.mu_a!) { #expect(abs(x - y) <= 1e-13 * Swift.max(1, abs(y)), "\(name) mu") }
            let d = a.dimension
            for i in 0..<d { #expect(relative(a.sigma[i * d + i], w.sigma_a_diag![i]) < 1e-12, "\(name) sigma diagonal") }
            #expect(abs(a.sigma[1] - w.sigma_a_0_1!) < 1e-13)
            let got = try FrechetDistance.distance(a, b)
            #expect(relative(got, w.frechet_distance) < 1e-6, "\(name): \(got) vs pytorch-fid \(w.frechet_distance)")
            #expect(relative(try FrechetDistance.distance(b, a), w.frechet_distance) < 1e-6, "\(name) symmetric")
        }
    }

    /// Two nearly identical sets: d ≈ 1e-6 is a difference of traces of size ~16, so it is compared to that scale.
    @Test func nearlyIdenticalSets() throws {
        let want = try MetricFixtures.decode("frechet.json", as: [String: Case].self)["near_identical"]!
        let a = try FeatureStatistics.load(url: MetricFixtures.url("frechet_near_identical_a.safetensors"))
        let b = try FeatureStatistics.load(url: MetricFixtures.url("frechet_near_identical_b.safetensors"))
        let scale = (0..<a.dimension).reduce(0.0) { $0 + a.sigma[$1 * a.dimension + $1] + b.sigma[$1 * b.dimension + $1] }
        #expect(abs(try FrechetDistance.distance(a, b) - want.frechet_distance) < 1e-12 * scale)
        #expect(abs(try FrechetDistance.distance(a, a)) < 1e-12 * scale)
    }

    @Test func admNPZStatisticsAgainstAStatisticsFile() throws {
        let want = try MetricFixtures.decode("frechet.json", as: [String: Case].self)["adm_npz_vs_stats"]!
        let a = try FeatureStatistics.load(url: MetricFixtures.url("frechet_adm_ref.npz"))
        let b = try FeatureStatistics.load(url: MetricFixtures.url("frechet_stats_b.safetensors"))
        #expect(relative(try FrechetDistance.distance(a, b), want.frechet_distance) < 1e-6)
        // Saved statistics read back unchanged.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stats-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.save(to: url)
        #expect(try FeatureStatistics.load(url: url) == a)
    }

    @Test func badInputsAreNamed() throws {
        let a = try FeatureStatistics(mu: [0, 0], sigma: [1, 0, 0, 1])
        let b = try FeatureStatistics(mu: [0, 0, 0], sigma: [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(throws: MetricError.self) { try FrechetDistance.distance(a, b) }
        #expect(throws: MetricError.self) { try FeatureStatistics(features: [1, 2], count: 1, dimension: 2) }
        #expect(throws: MetricError.self) { try FeatureStatistics(mu: [0, 0], sigma: [1]) }
    }
}

@Suite struct EvalFileFunctionTests {
    @Test func frechetBetweenFiles() throws {
        let want = try MetricFixtures.decode("frechet.json", as: [String: FrechetDistanceTests.Case].self)["adm_npz_vs_stats"]!
        let got = try FrechetDistance.distance(between: MetricFixtures.url("frechet_adm_ref.npz"), and: MetricFixtures.url("frechet_stats_b.safetensors"))
        #expect(abs(got - want.frechet_distance) < 1e-6 * want.frechet_distance)
    }

    @Test func lpipsInputWithoutIn1IsNamed() throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("lpips-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: input) }
        var w = SafeTensorsWriter()
        try w.add(name: "in0", shape: [1, 3, 16, 16], floats: [Float](repeating: 0, count: 768))
        try w.write(to: input)
        let e = #expect(throws: MetricError.self) {
            try LPIPSEvaluation.run(weights: [WeightFilesTests.vggPth], input: input, output: input)
        }
        #expect(e?.description.contains("missing 'in1'") == true)
    }

    @Test func inceptionInputWithoutImagesIsNamed() throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("inc-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: input) }
        var w = SafeTensorsWriter()
        try w.add(name: "labels", shape: [4], floats: [0, 1, 2, 3])
        try w.write(to: input)
        let e = #expect(throws: MetricError.self) {
            try InceptionFeatures.extract(weights: WeightFilesTests.vggPth, input: input, output: input)
        }
        #expect(e?.description.contains("no 4-D float tensor") == true)
    }
}
