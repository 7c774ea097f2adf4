import Foundation
import VTPStudy
import XCTest

/// Seed statistics and the power-law fit against hand-made cells.
final class StudyResultsTests: XCTestCase {
    func cell(_ kind: String, _ steps: Int, _ seed: Int, gFID: Double) -> StudyCell {
        StudyCell(kind: kind, steps: steps, seed: seed, batchSize: 64, flopsPerStep: 1e9, flops: 1e9 * Double(steps),
                  stageSeconds: [:], seconds: 1, zeroShot: nil, knn: 0.5, linearProbe: nil, psnr: 20, domainRFID: 1,
                  domainGFID: gFID, classConsistency: 0.5, finished: "")
    }

    /// gFID = 5·FLOPs^−0.3 exactly at 10, 100, 1000 steps (1e10, 1e11, 1e12 FLOPs): b = −0.3, a = 5, r² = 1.
    /// Two seeds at 10 and 14: mean 12, sample std √8 = 2.8284.
    func testSeedMeansAndPowerLaw() throws {
        let law = { (steps: Int) in 5 * pow(1e9 * Double(steps), -0.3) }
        var cells = [10, 100, 1000].map { cell("vtp", $0, 0, gFID: law($0)) }
        cells += [cell("ae", 10, 0, gFID: 10), cell("ae", 10, 1, gFID: 14)]
        let r = StudyResults(cells: cells, gridSize: 6)
        let fit = try XCTUnwrap(r.fits.first { $0.kind == "vtp" })
        XCTAssertEqual(fit.exponent, -0.3, accuracy: 1e-9)
        XCTAssertEqual(fit.a, 5, accuracy: 1e-6)
        XCTAssertEqual(fit.r2, 1, accuracy: 1e-9)
        XCTAssertTrue(fit.fits)
        XCTAssertNil(r.fits.first { $0.kind == "ae" }, "one compute point cannot be fitted")
        let ae = try XCTUnwrap(r.points.first { $0.kind == "ae" })
        XCTAssertEqual(ae.seeds, 2)
        XCTAssertEqual(ae.gFIDMean, 12, accuracy: 1e-12)
        XCTAssertEqual(ae.gFIDStd, 8.0.squareRoot(), accuracy: 1e-12)
        let csv = r.csv().split(separator: "\n")
        XCTAssertEqual(csv[1], "vtp,10,0,64,1e+09,1e+10,1,,0.5,,20,1,\(String(format: "%.6g", law(10))),0.5")
    }
}
