import Foundation
import VTPData
import VTPEval

/// The PNGs a run writes: loss curves from `metrics.jsonl` and grids of reconstructions.
public enum TrainingPlots {
    /// Loss curves of `records`: the total `loss` and every `loss/<term>` (or the given `keys`), each drawn
    /// raw (faint) and smoothed with a debiased exponential moving average (`smoothing` in [0, 1), 0 = none,
    /// as TensorBoard's slider). `logY` nil: logarithmic when every value is positive.
    public static func lossCurves(_ records: [MetricsRecord], keys: [String]? = nil, smoothing: Double = 0.8,
                                  logY: Bool? = nil, title: String = "Training losses", width: Int = 900, height: Int = 520) -> LinePlot {
        let names = keys ?? {
            var k: [String] = records.contains { $0.loss != nil } ? ["loss"] : []
            k += Set(records.flatMap { $0.terms.keys }).sorted().map { "loss/" + $0 }
            return k
        }()
        var columns: [(String, [Double], [Double])] = []
        for key in names {
            var xs: [Double] = [], ys: [Double] = []
            for r in records { if let v = r.value(key) { xs.append(Double(r.step)); ys.append(v) } }
            if !xs.isEmpty { columns.append((key, xs, ys)) }
        }
        let positive = columns.allSatisfy { $0.2.allSatisfy { !$0.isFinite || $0 > 0 } }
        var plot = LinePlot(title: title, xLabel: "step", yLabel: (logY ?? positive) ? "loss (log)" : "loss", logY: logY ?? positive,
                            width: width, height: height)
        var raw: [LinePlot.Series] = [], smooth: [LinePlot.Series] = []
        for (i, (key, xs, ys)) in columns.enumerated() {
            let color = PlotColor.palette[i % PlotColor.palette.count]
            if smoothing > 0 && xs.count > 2 {
                let faint = PlotColor(UInt8((Int(color.r) + 2 * 255) / 3), UInt8((Int(color.g) + 2 * 255) / 3), UInt8((Int(color.b) + 2 * 255) / 3))
                raw.append(.init(name: "", x: xs, y: ys, color: faint, lineWidth: 1))
            }
            smooth.append(.init(name: key, x: xs, y: smoothing > 0 ? smoothed(ys, smoothing) : ys, color: color, lineWidth: 2))
        }
        // Raw lines first so that every smoothed line lies on top; unnamed series stay out of the legend.
        plot.series = raw + smooth
        return plot
    }

    /// Reads `metricsURL` and writes the loss-curve PNG to `pngURL`.
    public static func writeLossCurves(metricsURL: URL, to pngURL: URL, keys: [String]? = nil, smoothing: Double = 0.8) throws {
        let plot = lossCurves(try MetricsLogger.read(metricsURL), keys: keys, smoothing: smoothing)
        try plot.writePNG(to: pngURL)
    }

    /// Originals above reconstructions, each column captioned with its PSNR, written as a PNG.
    public static func writeReconstructionGrid(originals: [RGBImage], reconstructions: [RGBImage], step: Int, to url: URL) throws {
        let captions = zip(originals, reconstructions).map { String(format: "%.1f dB", ImageTensors.psnr($0, $1)) }
        let grid = ImageGrid.comparison(originals: originals, reconstructions: reconstructions, columnLabels: captions,
                                        title: "step \(step)")
        try grid.writePNG(to: url)
    }

    /// Debiased EMA (TensorBoard): non-finite values are skipped and kept as they are.
    static func smoothed(_ ys: [Double], _ weight: Double) -> [Double] {
        var last = 0.0, n = 0.0
        return ys.map { y in
            guard y.isFinite else { return y }
            last = last * weight + (1 - weight) * y
            n += 1
            return last / (1 - Foundation.pow(weight, n))
        }
    }
}
