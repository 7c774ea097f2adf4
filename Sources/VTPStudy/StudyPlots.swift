import Foundation
import VTPEval

/// The study's figures, drawn with `LinePlot`: the scaling plot (paper figure 1) and the scatter plots of
/// generation against understanding and reconstruction (figure 4).
public enum StudyPlots {
    /// The colour of a tokenizer kind in every plot.
    public static func color(_ kind: String) -> PlotColor { kind == "vtp" ? PlotColor.palette[1] : PlotColor.palette[0] }

    /// The kind's colour halfway to white: its power-law fit.
    public static func fitColor(_ kind: String) -> PlotColor {
        let c = color(kind)
        return PlotColor(UInt8((Int(c.r) + 255) / 2), UInt8((Int(c.g) + 255) / 2), UInt8((Int(c.b) + 255) / 2))
    }

    /// Domain gFID against tokenizer FLOPs, log–log (x as log10 FLOPs): each kind's mean over seeds joined by a
    /// line, a vertical bar of ± one standard deviation at each point, and the fitted power law where it fits.
    public static func scaling(_ r: StudyResults) -> LinePlot {
        var plot = LinePlot(title: "generation vs tokenizer compute", xLabel: "log10 tokenizer training FLOPs",
                            yLabel: "domain gFID (log)", logY: true)
        // Marker sizes: about 1.2% of the x span and 2% of the y span (in log space).
        let xs = r.points.map { log10($0.flops) }, ys = r.points.map(\.gFIDMean).filter { $0 > 0 }
        let dx = max(0.012 * ((xs.max() ?? 0) - (xs.min() ?? 0)), 0.01)
        let fy = pow(max((ys.max() ?? 1) / (ys.min() ?? 1), 2), 0.02)
        for kind in StudyResults.kinds(r.cells) {
            let p = r.points.filter { $0.kind == kind }.sorted { $0.flops < $1.flops }
            guard !p.isEmpty else { continue }
            let c = color(kind)
            plot.add(kind, x: p.map { log10($0.flops) }, y: p.map(\.gFIDMean), color: c, lineWidth: 2.5)
            for q in p { cross(&plot, x: log10(q.flops), y: q.gFIDMean, dx: dx, yLow: q.gFIDMean / fy, yHigh: q.gFIDMean * fy, color: c) }
            for q in p where q.gFIDStd > 0 {
                let x = log10(q.flops)
                plot.add("", x: [x, x], y: [max(q.gFIDMean - q.gFIDStd, q.gFIDMean * 1e-3), q.gFIDMean + q.gFIDStd], color: c, lineWidth: 1.5)
            }
            if let f = r.fits.first(where: { $0.kind == kind && $0.fits }), let lo = p.first?.flops, let hi = p.last?.flops {
                plot.add(String(format: "%@ fit: b = %.2f", kind, f.exponent), x: [log10(lo), log10(hi)],
                         y: [f.a * pow(lo, f.exponent), f.a * pow(hi, f.exponent)], color: fitColor(kind), lineWidth: 1.5)
            }
        }
        return plot
    }

    /// Domain gFID (y) of every cell against the values `x` gives (one marker shape per value: +, ×, …),
    /// coloured by kind.
    public static func scatter(_ cells: [StudyCell], title: String, xLabel: String, x: (StudyCell) -> [Double?]) -> LinePlot {
        var plot = LinePlot(title: title, xLabel: xLabel, yLabel: "domain gFID")
        var pts: [(kind: String, shape: Int, x: Double, y: Double)] = []
        for c in cells {
            guard let y = c.domainGFID, y.isFinite else { continue }
            for (shape, v) in x(c).enumerated() { if let v, v.isFinite { pts.append((c.kind, shape, v, y)) } }
        }
        guard let x0 = pts.map(\.x).min(), let x1 = pts.map(\.x).max(), let y0 = pts.map(\.y).min(), let y1 = pts.map(\.y).max() else { return plot }
        let dx = x1 > x0 ? 0.012 * (x1 - x0) : 0.5, dy = y1 > y0 ? 0.02 * (y1 - y0) : 0.5
        var named = Set<String>()
        for p in pts {
            let c = color(p.kind)
            let name = named.insert(p.kind).inserted ? p.kind : ""
            if p.shape == 0 {
                plot.add(name, x: [p.x - dx, p.x + dx], y: [p.y, p.y], color: c)
                cross(&plot, x: p.x, y: p.y, dx: 0, yLow: p.y - dy, yHigh: p.y + dy, color: c)
            } else {
                plot.add(name, x: [p.x - dx, p.x + dx], y: [p.y - dy, p.y + dy], color: c)
                plot.add("", x: [p.x - dx, p.x + dx], y: [p.y + dy, p.y - dy], color: c)
            }
        }
        return plot
    }

    /// A "+" marker: a horizontal stroke of half-width `dx` and a vertical one from `yLow` to `yHigh`.
    static func cross(_ plot: inout LinePlot, x: Double, y: Double, dx: Double, yLow: Double, yHigh: Double, color: PlotColor) {
        if dx > 0 { plot.add("", x: [x - dx, x + dx], y: [y, y], color: color) }
        plot.add("", x: [x, x], y: [yLow, yHigh], color: color)
    }
}
