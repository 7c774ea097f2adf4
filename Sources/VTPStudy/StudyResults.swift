import Foundation
import VTPEval
import VTPTensor

/// The finished cells of a study and what is derived from them: means and spreads over seeds, power-law fits of
/// the generation metric against tokenizer FLOPs, and the files `vtp study scaling` writes.
public struct StudyResults: Codable, Sendable {
    /// One kind at one compute point, over its seeds.
    public struct Point: Codable, Equatable, Sendable {
        public var kind: String
        public var steps: Int
        public var flops: Double
        public var seeds: Int
        /// Mean and sample standard deviation (0 for one seed) of the domain gFID.
        public var gFIDMean: Double
        public var gFIDStd: Double
    }

    /// gFID ≈ a · FLOPs^b, fitted by least squares in log–log space over a kind's points.
    public struct PowerLaw: Codable, Equatable, Sendable {
        public var kind: String
        public var a: Double
        public var exponent: Double
        /// Coefficient of determination of the fit in log space.
        public var r2: Double
        public var points: Int
        /// At least 3 points and r² ≥ 0.5: the law is drawn and reported as a fit.
        public var fits: Bool
    }

    public var cells: [StudyCell]
    public var gridSize: Int
    public var points: [Point]
    public var fits: [PowerLaw]

    public init(cells: [StudyCell], gridSize: Int) {
        self.cells = cells
        self.gridSize = gridSize
        var points: [Point] = []
        for kind in Self.kinds(cells) {
            for steps in Set(cells.filter { $0.kind == kind }.map(\.steps)).sorted() {
                let group = cells.filter { $0.kind == kind && $0.steps == steps }
                let g = group.compactMap(\.domainGFID).filter(\.isFinite)
                guard let first = group.first, !g.isEmpty else { continue }
                let mean = g.reduce(0, +) / Double(g.count)
                let std = g.count > 1 ? (g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(g.count - 1)).squareRoot() : 0
                points.append(Point(kind: kind, steps: steps, flops: first.flops, seeds: g.count, gFIDMean: mean, gFIDStd: std))
            }
        }
        self.points = points
        fits = Self.kinds(cells).compactMap { kind in Self.fit(kind: kind, points.filter { $0.kind == kind }) }
    }

    static func kinds(_ cells: [StudyCell]) -> [String] { ["ae", "vtp"].filter { k in cells.contains { $0.kind == k } } }

    /// Least squares of log10 gFID on log10 FLOPs; nil with fewer than 2 usable points.
    public static func fit(kind: String, _ points: [Point]) -> PowerLaw? {
        let p = points.filter { $0.flops > 0 && $0.gFIDMean > 0 }
        guard p.count >= 2 else { return nil }
        let x = p.map { log10($0.flops) }, y = p.map { log10($0.gFIDMean) }
        let n = Double(p.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
        guard sxx > 0 else { return nil }
        let b = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +) / sxx
        let a = my - b * mx
        let ssTot = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        let ssRes = zip(x, y).map { ($1 - (a + b * $0)) * ($1 - (a + b * $0)) }.reduce(0, +)
        let r2 = ssTot > 0 ? 1 - ssRes / ssTot : 1
        return PowerLaw(kind: kind, a: pow(10, a), exponent: b, r2: r2, points: p.count, fits: p.count >= 3 && r2 >= 0.5)
    }

    // MARK: Files

    static let csvHeader = ["kind", "steps", "seed", "batch_size", "flops_per_step", "flops", "seconds", "zero_shot", "knn",
                            "linear_probe", "psnr", "domain_rfid", "domain_gfid", "class_consistency"]

    public func csv() -> String {
        func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.6g", $0) : "" } ?? "" }
        let rows = cells.map { c in
            [c.kind, "\(c.steps)", "\(c.seed)", "\(c.batchSize)", f(c.flopsPerStep), f(c.flops), f(c.seconds), f(c.zeroShot), f(c.knn),
             f(c.linearProbe), f(c.psnr), f(c.domainRFID), f(c.domainGFID), f(c.classConsistency)].joined(separator: ",")
        }
        return ([Self.csvHeader.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }

    public func markdown(config: StudyConfig) -> String {
        var s = "# Tokenizer scaling study\n\n"
        s += "\(cells.count) of \(gridSize) cells finished: kinds \(config.kinds.joined(separator: ", ")), tokenizer steps "
        s += "\(config.tokenizer.steps.sorted().map(String.init).joined(separator: ", ")), seeds \(config.seeds.map(String.init).joined(separator: ", ")). "
        s += "FLOPs are analytic tokenizer training FLOPs (forward + backward of every tower, teacher forward). "
        s += "gFID / rFID are Fréchet distances in the study's domain classifier's features (compare only within this study).\n\n"
        s += "![gFID vs FLOPs](gfid-vs-flops.png)\n\n"
        s += "## Generation vs tokenizer compute (mean ± std over seeds)\n\n"
        s += EvaluationReport.table(["kind", "steps", "FLOPs", "seeds", "domain gFID"], points.map {
            [$0.kind, "\($0.steps)", String(format: "%.3g", $0.flops), "\($0.seeds)",
             EvaluationReport.cell($0.gFIDMean, 3) + ($0.seeds > 1 ? " ± " + EvaluationReport.cell($0.gFIDStd, 3) : "")]
        })
        s += "\n## Power-law fits (gFID ≈ a · FLOPs^b)\n\n"
        s += fits.isEmpty ? "Too few points to fit.\n" : EvaluationReport.table(["kind", "b", "a", "r²", "points", "fits"], fits.map {
            [$0.kind, String(format: "%.3f", $0.exponent), String(format: "%.3g", $0.a), String(format: "%.3f", $0.r2), "\($0.points)",
             $0.fits ? "yes" : "no"]
        })
        s += "\n## Cells\n\n"
        func pc(_ v: Double?) -> String { v.map { EvaluationReport.cell(100 * $0, 1) + "%" } ?? "–" }
        s += EvaluationReport.table(["cell", "FLOPs", "time (s)", "zero-shot", "k-NN", "linear probe", "PSNR", "domain rFID", "domain gFID",
                                     "class consistency"], cells.map { c in
            [c.name, String(format: "%.3g", c.flops), String(format: "%.0f", c.seconds), pc(c.zeroShot), pc(c.knn), pc(c.linearProbe),
             EvaluationReport.cell(c.psnr, 2), EvaluationReport.cell(c.domainRFID, 3), EvaluationReport.cell(c.domainGFID, 3),
             pc(c.classConsistency)]
        })
        s += "\n![gFID vs understanding](gfid-vs-understanding.png) ![gFID vs PSNR](gfid-vs-psnr.png)\n"
        return s
    }

    /// study.json, study.csv, study.md and the three plots.
    public func write(to dir: URL, config: StudyConfig) throws {
        try EvaluationReport.writeJSON(self, to: dir.appendingPathComponent("study.json"))
        try AtomicFile.write(Data(csv().utf8), to: dir.appendingPathComponent("study.csv"))
        try EvaluationReport.writeMarkdown(markdown(config: config), to: dir.appendingPathComponent("study.md"))
        try StudyPlots.scaling(self).writePNG(to: dir.appendingPathComponent("gfid-vs-flops.png"))
        let understanding = config.eval.understanding == "knn" ? "k-NN top-1" : "linear probe top-1"
        try StudyPlots.scatter(cells, title: "generation vs understanding", xLabel: "zero-shot (+) and \(understanding) (x), %") { c in
            [c.zeroShot.map { 100 * $0 }, (c.knn ?? c.linearProbe).map { 100 * $0 }]
        }.writePNG(to: dir.appendingPathComponent("gfid-vs-understanding.png"))
        try StudyPlots.scatter(cells, title: "generation vs reconstruction", xLabel: "PSNR (dB)") { [$0.psnr] }
            .writePNG(to: dir.appendingPathComponent("gfid-vs-psnr.png"))
    }
}
