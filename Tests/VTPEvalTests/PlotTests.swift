import Foundation
import Testing
import VTPData
@testable import VTPEval

/// Where test PNGs go: `$VTP_PLOT_DIR` when set (to look at them), else a temporary directory.
func plotOutputDirectory() throws -> URL {
    let base = ProcessInfo.processInfo.environment["VTP_PLOT_DIR"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("vtp-plot-tests")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    return base
}

func isWhite(_ c: (r: UInt8, g: UInt8, b: UInt8)) -> Bool { c.r == 255 && c.g == 255 && c.b == 255 }

/// Distance in RGB between two colours.
func colorDistance(_ a: (r: UInt8, g: UInt8, b: UInt8), _ b: PlotColor) -> Int {
    abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b))
}

@Suite struct PlotTests {
    @Test func fontCoversPrintableASCII() {
        #expect(BitmapFont.glyphs.count == 95)
        #expect(BitmapFont.glyphs.allSatisfy { $0.count == 7 || $0.count == 9 })
        #expect(BitmapFont.glyphs.allSatisfy { $0.allSatisfy { $0 < 32 } })
        #expect(BitmapFont.glyph("A") == [0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11])
        #expect(BitmapFont.glyph("\u{2212}") == BitmapFont.glyph("-") && BitmapFont.glyph("é") == BitmapFont.glyph("?"))
        #expect(BitmapFont.width("abc") == 17 && BitmapFont.width("abc", scale: 2) == 34 && BitmapFont.width("") == 0)
    }

    @Test func fontSheet() throws {
        // All glyphs, to look at (scale 3).
        var canvas = Canvas(width: 16 * 6 * 3 + 12, height: 6 * 10 * 3 + 12)
        let chars = (32..<127).map { Character(UnicodeScalar(UInt8($0))) }
        for (i, c) in chars.enumerated() {
            canvas.text(String(c), x: 6 + (i % 16) * 18, y: 6 + (i / 16) * 30, .black, scale: 3)
        }
        try canvas.image().write(to: try plotOutputDirectory().appendingPathComponent("font.png"), format: .png)
        // "I" at scale 1: the vertical bar is in column 2 of the glyph.
        var c = Canvas(width: 10, height: 10)
        c.text("I", x: 1, y: 1)
        #expect(c.pixel(x: 3, y: 4) == .black && c.pixel(x: 1, y: 4) == .white && c.pixel(x: 2, y: 1) == .black && c.pixel(x: 1, y: 1) == .white)
    }

    @Test func niceTicks() {
        let a = AxisTicks.linear(0, 1937)
        #expect(a.range == 0...2000 && a.ticks == [0, 500, 1000, 1500, 2000])
        let b = AxisTicks.linear(0.13, 0.92)
        #expect(b.range.lowerBound == 0 && abs(b.range.upperBound - 1) < 1e-12 && b.ticks.count == 6)
        #expect(AxisTicks.labels(b.ticks) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(AxisTicks.labels([0, 0.25, 0.5]) == ["0", "0.25", "0.50"])
        #expect(AxisTicks.labels([0, 2e-5, 4e-5]) == ["0", "2e-5", "4e-5"])
        #expect(AxisTicks.linear(3, 3).ticks.contains(3))
        #expect(AxisTicks.niceStep(0.037) == 0.05 && AxisTicks.niceStep(180) == 200 && AxisTicks.niceStep(1) == 1)
        let l = AxisTicks.log(0.003, 42)
        #expect(l.range == 0.001...100 && l.ticks.count == 6 && AxisTicks.logLabels(l.ticks) == ["0.001", "0.01", "0.1", "1", "10", "100"])
        let m = AxisTicks.log(0.3, 4)
        #expect(m.range == 0.2...5 && m.ticks == [0.2, 0.5, 1, 2, 5])
        #expect(AxisTicks.logLabels([1e-6, 1e6]) == ["1e-6", "1e6"])
    }

    @Test func linePlotDrawsSeriesWhereTheDataIs() throws {
        var plot = LinePlot(title: "Training loss", xLabel: "step", yLabel: "loss", width: 640, height: 400)
        let steps = (0...200).map(Double.init)
        plot.add("total", x: steps, y: steps.map { 3 * exp(-$0 / 60) + 0.4 })
        plot.add("clip", x: steps, y: steps.map { 1.5 * exp(-$0 / 90) + 0.2 + 0.05 * sin($0 / 4) })
        plot.add("flat", x: [0, 200], y: [1, 1], color: PlotColor(0, 0, 0))
        let image = plot.render()
        #expect(image.width == 640 && image.height == 400)
        try image.write(to: try plotOutputDirectory().appendingPathComponent("line_plot.png"), format: .png)

        let L = plot.layout()
        #expect(L.plotArea.x0 > 20 && L.plotArea.x1 < 640 && L.plotArea.y0 > 20 && L.plotArea.y1 < 400)
        #expect(L.xRange == 0...200 && L.yRange.lowerBound <= 0.2 && L.yRange.upperBound >= 3.4)
        // The series colour is under data points (away from the legend, top right).
        for x in stride(from: 10.0, through: 100, by: 15) {
            let p = try #require(L.pixel(x: x, y: 3 * exp(-x / 60) + 0.4))
            #expect(colorDistance(image.pixel(x: Int(p.x), y: Int(p.y)), PlotColor.palette[0]) < 60, "no series pixel at step \(x)")
        }
        // The horizontal black line at y = 1 covers its row across the plot.
        let y1 = Int(try #require(L.pixel(x: 0, y: 1)).y)
        let covered = (L.plotArea.x0 + 5..<L.plotArea.x0 + 200).filter { x in
            (y1 - 1...y1).contains { colorDistance(image.pixel(x: x, y: $0), .black) < 40 }
        }
        #expect(covered.count >= 190)
        // Far from every series (bottom right of the plot area) the background is white or grid grey.
        let empty = image.pixel(x: L.plotArea.x1 - 5, y: L.plotArea.y1 - 5)
        #expect(isWhite(empty) || colorDistance(empty, .lightGray) == 0)
        // Anti-aliasing: partially covered pixels have intermediate colours.
        let colors = Set((0..<image.height).flatMap { y in (L.plotArea.x0..<L.plotArea.x1).map { x in image.pixel(x: x, y: y).r } })
        #expect(colors.count > 20)
        // Text was drawn above the plot area (title) and left of it (tick labels).
        #expect((0..<L.plotArea.y0 - 2).contains { y in (0..<640).contains { !isWhite(image.pixel(x: $0, y: y)) } })
        #expect((0..<L.plotArea.x0 - 6).contains { x in (L.plotArea.y0..<L.plotArea.y1).contains { !isWhite(image.pixel(x: x, y: $0)) } })
    }

    @Test func logPlotAndGaps() throws {
        var plot = LinePlot(title: "lr (log)", xLabel: "step", logY: true, width: 500, height: 300)
        let steps = (0..<100).map(Double.init)
        // Values spanning four decades, with a NaN gap and a non-positive value (both left out).
        var y = steps.map { 1e-1 * pow(10, -$0 / 25) }
        y[50] = .nan
        y[60] = 0
        plot.add("lr", x: steps, y: y)
        let image = plot.render()
        try image.write(to: try plotOutputDirectory().appendingPathComponent("log_plot.png"), format: .png)
        let L = plot.layout()
        #expect(L.yRange.lowerBound <= 1.2e-5 && L.yRange.upperBound >= 0.1 && L.yTicks.allSatisfy { $0 > 0 })
        // On a log axis the exponential decay is a straight line: the midpoint is halfway down.
        let p0 = try #require(L.pixel(x: 0, y: y[0])), p98 = try #require(L.pixel(x: 98, y: y[98]))
        let mid = try #require(L.pixel(x: 49, y: y[49]))
        #expect(abs(mid.y - (p0.y + (p98.y - p0.y) * 49 / 98)) < 0.5)
        #expect(colorDistance(image.pixel(x: Int(mid.x), y: Int(mid.y)), PlotColor.palette[0]) < 60)
        #expect(L.pixel(x: 60, y: 0) == nil)
    }

    @Test func imageGridPlacesImagesAndLabels() throws {
        func checker(_ n: Int, _ a: PlotColor, _ b: PlotColor) -> RGBImage {
            var px: [UInt8] = []
            for y in 0..<n { for x in 0..<n { let c = (x / 4 + y / 4) % 2 == 0 ? a : b; px += [c.r, c.g, c.b] } }
            return RGBImage(width: n, height: n, pixels: px)
        }
        let originals = (0..<3).map { checker(32, PlotColor.palette[$0], .white) }
        let recons = (0..<3).map { checker(32, PlotColor.palette[$0], .lightGray) }
        let grid = ImageGrid.comparison(originals: originals, reconstructions: recons,
                                        columnLabels: ["PSNR 31.2", "PSNR 28.9", "PSNR 30.0"], title: "step 1000")
        let image = grid.render()
        let L = grid.layout()
        #expect(image.width == L.width && image.height == L.height)
        try image.write(to: try plotOutputDirectory().appendingPathComponent("image_grid.png"), format: .png)
        for r in 0..<2 {
            for c in 0..<3 {
                let cell = L.cells[r][c]
                // Slots are widened to the column labels (53 pixels + padding); the 32×32 image is centred.
                #expect(cell.width == BitmapFont.width("PSNR 31.2") + grid.padding && cell.height == 32)
                let x0 = cell.x0 + (cell.width - 32) / 2
                #expect(colorDistance(image.pixel(x: x0, y: cell.y0), PlotColor.palette[c]) == 0)
                #expect(isWhite(image.pixel(x: x0 - 1, y: cell.y0)))
                let other = image.pixel(x: x0 + 4, y: cell.y0)
                #expect(colorDistance(other, r == 0 ? .white : .lightGray) == 0)
            }
        }
        // Row labels sit left of the first column, column labels above the first row.
        let first = L.cells[0][0]
        #expect((0..<first.x0).contains { x in (first.y0..<first.y1).contains { !isWhite(image.pixel(x: x, y: $0)) } })
        #expect((0..<first.y0).contains { y in (first.x0..<first.x1).contains { !isWhite(image.pixel(x: $0, y: y)) } })
        // A fixed cell size enlarges small images by whole factors with nearest neighbour (crisp pixels).
        var big = ImageGrid(rows: [[checker(8, .black, .white)]])
        (big.cellWidth, big.cellHeight) = (32, 32)
        let b = big.render(), cell = big.layout().cells[0][0]
        #expect(b.pixel(x: cell.x0, y: cell.y0) == (0, 0, 0) && b.pixel(x: cell.x0 + 15, y: cell.y0) == (0, 0, 0))
        #expect(b.pixel(x: cell.x0 + 16, y: cell.y0) == (255, 255, 255))
    }
}
