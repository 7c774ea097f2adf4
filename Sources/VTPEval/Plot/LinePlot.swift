import Foundation
import VTPData

/// Line chart of one or more series, rendered to an image: automatic axes with round tick values (optionally
/// log-scaled y), grid, title, axis labels and a legend, anti-aliased lines, a built-in 5×7 bitmap font.
///
/// ```swift
/// var plot = LinePlot(title: "loss", xLabel: "step", logY: true)
/// plot.add("total", x: steps, y: losses)
/// try plot.writePNG(to: url)
/// ```
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// nil: the next palette colour.
        public var color: PlotColor?
        public var lineWidth: Double

        public init(name: String, x: [Double], y: [Double], color: PlotColor? = nil, lineWidth: Double = 2) {
            precondition(x.count == y.count, "LinePlot.Series '\(name)': \(x.count) x values for \(y.count) y values")
            self.name = name
            self.x = x
            self.y = y
            self.color = color
            self.lineWidth = lineWidth
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Logarithmic y axis (non-positive values are left out).
    public var logY: Bool
    public var width: Int
    public var height: Int
    public var series: [Series] = []
    /// Fixed axis ranges (nil: from the data, widened to round ticks).
    public var xRange: ClosedRange<Double>? = nil
    public var yRange: ClosedRange<Double>? = nil
    /// Draw the legend (when there is more than one named series).
    public var showLegend = true

    public init(title: String = "", xLabel: String = "", yLabel: String = "", logY: Bool = false, width: Int = 800, height: Int = 480) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logY = logY
        self.width = width
        self.height = height
    }

    /// Appends a series.
    public mutating func add(_ name: String, x: [Double], y: [Double], color: PlotColor? = nil, lineWidth: Double = 2) {
        series.append(Series(name: name, x: x, y: y, color: color, lineWidth: lineWidth))
    }

    /// Where things go: the plot area in pixels and the mapping from data to pixels.
    public struct Layout: Sendable {
        public let plotArea: PixelRect
        public let xRange: ClosedRange<Double>
        public let yRange: ClosedRange<Double>
        public let xTicks: [Double]
        public let yTicks: [Double]
        public let logY: Bool

        /// Pixel coordinates (continuous) of a data point; nil for a non-finite point or y ≤ 0 on a log axis.
        public func pixel(x: Double, y: Double) -> (x: Double, y: Double)? {
            guard x.isFinite, y.isFinite, !logY || y > 0 else { return nil }
            let fx = (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
            let fy = logY ? (Foundation.log10(y) - Foundation.log10(yRange.lowerBound)) / (Foundation.log10(yRange.upperBound) - Foundation.log10(yRange.lowerBound))
                          : (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
            return (Double(plotArea.x0) + fx * Double(plotArea.width), Double(plotArea.y1) - fy * Double(plotArea.height))
        }
    }

    /// The colour series `i` is drawn in.
    public func color(ofSeries i: Int) -> PlotColor { series[i].color ?? PlotColor.palette[i % PlotColor.palette.count] }

    public func layout() -> Layout {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (x, y) in zip(s.x, s.y) where x.isFinite && y.isFinite && (!logY || y > 0) { xs.append(x); ys.append(y) }
        }
        let xAxis = xRange.map { ($0, AxisTicks.linear($0.lowerBound, $0.upperBound).ticks.filter($0.contains)) }
            ?? AxisTicks.linear(xs.min() ?? 0, xs.max() ?? 1)
        let yAxis: (range: ClosedRange<Double>, ticks: [Double])
        if let r = yRange {
            yAxis = (r, (logY ? AxisTicks.log(r.lowerBound, r.upperBound) : AxisTicks.linear(r.lowerBound, r.upperBound)).ticks.filter(r.contains))
        } else {
            yAxis = logY ? AxisTicks.log(ys.min() ?? 1, ys.max() ?? 10) : AxisTicks.linear(ys.min() ?? 0, ys.max() ?? 1)
        }
        let yLabels = logY ? AxisTicks.logLabels(yAxis.ticks) : AxisTicks.labels(yAxis.ticks)
        let labelWidth = yLabels.map { BitmapFont.width($0) }.max() ?? 0
        let left = 10 + (yLabel.isEmpty ? 0 : BitmapFont.lineHeight + 4) + labelWidth + 8
        let top = title.isEmpty ? 14 : 12 + BitmapFont.height(scale: 2) + 10
        let bottom = 8 + BitmapFont.lineHeight + (xLabel.isEmpty ? 4 : BitmapFont.lineHeight + 8)
        let right = 20
        let area = PixelRect(x0: left, y0: top, x1: max(left + 10, width - right), y1: max(top + 10, height - bottom))
        return Layout(plotArea: area, xRange: xAxis.0, yRange: yAxis.range, xTicks: xAxis.1, yTicks: yAxis.ticks, logY: logY)
    }

    /// The chart as an image.
    public func render() -> RGBImage {
        let L = layout(), a = L.plotArea
        var canvas = Canvas(width: width, height: height)
        // Grid and tick labels.
        let yLabels = logY ? AxisTicks.logLabels(L.yTicks) : AxisTicks.labels(L.yTicks)
        for (t, label) in zip(L.yTicks, yLabels) {
            guard let p = L.pixel(x: L.xRange.lowerBound, y: t) else { continue }
            let y = Int(p.y.rounded(.down))
            canvas.fill(PixelRect(x0: a.x0, y0: y, x1: a.x1, y1: y + 1), .lightGray)
            canvas.fill(PixelRect(x0: a.x0 - 4, y0: y, x1: a.x0, y1: y + 1), .black)
            canvas.text(label, x: a.x0 - 7 - BitmapFont.width(label), y: y - 3, .darkGray)
        }
        let xLabels = AxisTicks.labels(L.xTicks)
        var lastLabelEnd = Int.min
        for (t, label) in zip(L.xTicks, xLabels) {
            guard let p = L.pixel(x: t, y: logY ? L.yRange.lowerBound : L.yRange.lowerBound) else { continue }
            let x = Int(p.x.rounded(.down))
            canvas.fill(PixelRect(x0: x, y0: a.y0, x1: x + 1, y1: a.y1), .lightGray)
            canvas.fill(PixelRect(x0: x, y0: a.y1, x1: x + 1, y1: a.y1 + 4), .black)
            let w = BitmapFont.width(label), lx = x - w / 2
            if lx > lastLabelEnd + 6 {  // skip labels that would overlap their neighbour
                canvas.text(label, x: lx, y: a.y1 + 8, .darkGray)
                lastLabelEnd = lx + w
            }
        }
        // Series.
        for (i, s) in series.enumerated() {
            let points = zip(s.x, s.y).map { L.pixel(x: $0.0, y: $0.1) }
            canvas.polyline(points, color(ofSeries: i), lineWidth: s.lineWidth, clip: a)
        }
        canvas.stroke(PixelRect(x0: a.x0 - 1, y0: a.y0 - 1, x1: a.x1 + 1, y1: a.y1 + 1), .black)
        // Title and axis labels.
        if !title.isEmpty { canvas.text(title, x: (width - BitmapFont.width(title, scale: 2)) / 2, y: 12, .black, scale: 2) }
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: a.x0 + (a.width - BitmapFont.width(xLabel)) / 2, y: a.y1 + 8 + BitmapFont.lineHeight + 6, .black)
        }
        if !yLabel.isEmpty { canvas.text(yLabel, x: 8, y: a.y0 + (a.height + BitmapFont.width(yLabel)) / 2, .black, vertical: true) }
        if showLegend && series.count > 1 { drawLegend(&canvas, a) }
        return canvas.image()
    }

    private func drawLegend(_ canvas: inout Canvas, _ a: PixelRect) {
        let named = series.indices.filter { !series[$0].name.isEmpty }
        guard !named.isEmpty else { return }
        let textWidth = named.map { BitmapFont.width(series[$0].name) }.max() ?? 0
        let box = PixelRect(x0: a.x1 - 10 - (textWidth + 38), y0: a.y0 + 8, x1: a.x1 - 10, y1: a.y0 + 8 + 8 + named.count * 14)
        canvas.fill(box, .white, alpha: 0.85)
        canvas.stroke(box, .gray)
        for (row, i) in named.enumerated() {
            let cy = Double(box.y0 + 10 + row * 14)
            canvas.polyline([(Double(box.x0 + 8), cy), (Double(box.x0 + 28), cy)], color(ofSeries: i), lineWidth: 2.5)
            canvas.text(series[i].name, x: box.x0 + 34, y: Int(cy) - 4, .black)
        }
    }

    /// Renders and writes a PNG (atomically).
    public func writePNG(to url: URL) throws {
        try render().write(to: url, format: .png)
    }
}
