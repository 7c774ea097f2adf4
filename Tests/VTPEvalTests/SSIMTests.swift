import Foundation
import Testing
import VTPTensor
@testable import VTPEval

/// SSIM against torchmetrics' StructuralSimilarityIndexMeasure (defaults, data_range 1) on formula images
/// (scripts/make_metric_fixtures.py).
@Suite struct SSIMTests {
    struct Case: Decodable { let shape: [Int]; let ssim: Double; let per_image: [Double] }

    static func images(_ shape: [Int]) -> (Tensor, Tensor) {
        let n = shape.reduce(1, *)
        var x = [Float](repeating: 0, count: n), y = x
        for i in 0..<n {
            let d = Double(i)
            let a = 0.5 + 0.45 * sin(0.173 * d + 1.1)
            x[i] = Float(a)
            y[i] = Float(Swift.min(Swift.max(a + 0.2 * sin(0.911 * d) * sin(0.05 * d), 0), 1))
        }
        return (Tensor(x, shape: shape), Tensor(y, shape: shape))
    }

    /// Observed agreement: ≤ 2e-6 (torchmetrics computes in float32, E[x²] − μ² loses digits; we compute in float64).
    @Test func matchesTorchmetrics() throws {
        for c in try MetricFixtures.decode("ssim.json", as: [Case].self) {
            let (x, y) = Self.images(c.shape)
            let per = try SSIM.perImage(x, y)
            for (got, want) in zip(per, c.per_image) { #expect(abs(got - want) < 1e-5, "\(c.shape): \(got) vs \(want)") }
            #expect(abs(try SSIM.mean(x, y) - c.ssim) < 1e-5)
        }
    }

    @Test func identicalImagesScoreOne() throws {
        let (x, _) = Self.images([1, 3, 8, 9])
        #expect(abs(try SSIM.mean(x, x) - 1) < 1e-12)
    }

    @Test func badShapesAreNamed() {
        let (x, y) = Self.images([1, 3, 5, 9])
        #expect(throws: MetricError.self) { try SSIM.perImage(x, y) }
        let (a, _) = Self.images([1, 3, 8, 8]), (b, _) = Self.images([1, 3, 8, 9])
        #expect(throws: MetricError.self) { try SSIM.perImage(a, b) }
    }
}
