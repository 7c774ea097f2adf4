import Foundation
import VTPEval
import VTPStudy
import XCTest

/// Seed statistics and the power-law fit against hand-made cells.
final class StudyResultsTests: XCTestCase {
    static func cell(_ kind: String, _ steps: Int, _ seed: Int, gFID: Double) -> StudyCell {
        StudyCell(kind: kind, steps: steps, seed: seed, batchSize: 64, flopsPerStep: 1e9, flops: 1e9 * Double(steps),
                  stageSeconds: [:], seconds: 1, zeroShot: nil, knn: 0.5, linearProbe: nil, psnr: 20, domainRFID: 1,
                  domainGFID: gFID, classConsistency: 0.5, finished: "")
    }

    /// gFID = 5·FLOPs^−0.3 exactly at 10, 100, 1000 steps (1e10, 1e11, 1e12 FLOPs): b = −0.3, a = 5, r² = 1.
    /// Two seeds at 10 and 14: mean 12, sample std √8 = 2.8284.
    func testSeedMeansAndPowerLaw() throws {
        let law = { (steps: Int) in 5 * pow(1e9 * Double(steps), -0.3) }
        var cells = [10, 100, 1000].map { Self.cell("vtp", $0, 0, gFID: law($0)) }
        cells += [Self.cell("ae", 10, 0, gFID: 10), Self.cell("ae", 10, 1, gFID: 14)]
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

    /// The scaling plot draws both kinds (their colours appear), the fit in a lighter shade of the kind's colour.
    func testScalingPlotDrawsBothKinds() throws {
        var cells: [StudyCell] = []
        for (i, steps) in [30, 60, 120, 240, 480].enumerated() {
            for seed in 0..<2 {
                cells.append(Self.cell("ae", steps, seed, gFID: 60 - Double(i) + 3 * Double(seed)))
                cells.append(Self.cell("vtp", steps, seed, gFID: 80 * pow(Double(i + 1), -0.7) + 4 * Double(seed)))
            }
        }
        let image = StudyPlots.scaling(StudyResults(cells: cells, gridSize: 20)).render()
        let px = image.pixels
        func count(_ c: PlotColor) -> Int {
            stride(from: 0, to: px.count, by: 3).filter { px[$0] == c.r && px[$0 + 1] == c.g && px[$0 + 2] == c.b }.count
        }
        XCTAssertGreaterThan(count(StudyPlots.color("ae")), 100)
        XCTAssertGreaterThan(count(StudyPlots.color("vtp")), 100)
        XCTAssertGreaterThan(count(StudyPlots.fitColor("vtp")), 20)
    }
}
