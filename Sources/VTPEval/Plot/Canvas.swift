import Foundation
import VTPData

/// An 8-bit RGB colour.
public struct PlotColor: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }

    public static let white = PlotColor(255, 255, 255)
    public static let black = PlotColor(0, 0, 0)
    public static let darkGray = PlotColor(64, 64, 64)
    public static let gray = PlotColor(128, 128, 128)
    public static let lightGray = PlotColor(225, 225, 225)

    /// matplotlib's `tab10` colours, the default series colours.
    public static let palette: [PlotColor] = [
        PlotColor(31, 119, 180), PlotColor(255, 127, 14), PlotColor(44, 160, 44), PlotColor(214, 39, 40),
        PlotColor(148, 103, 189), PlotColor(140, 86, 75), PlotColor(227, 119, 194), PlotColor(127, 127, 127),
        PlotColor(188, 189, 34), PlotColor(23, 190, 207),
    ]
}

/// An integer pixel rectangle [x0, x1) × [y0, y1).
public struct PixelRect: Equatable, Sendable {
    public var x0: Int, y0: Int, x1: Int, y1: Int
    public init(x0: Int, y0: Int, x1: Int, y1: Int) { (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1) }
    public var width: Int { x1 - x0 }
    public var height: Int { y1 - y0 }
    public func contains(x: Int, y: Int) -> Bool { x >= x0 && x < x1 && y >= y0 && y < y1 }
}

/// A raster to draw on: filled rectangles, anti-aliased polylines, bitmap text and pasted images.
/// Pixel (x, y) covers [x, x+1) × [y, y+1); y grows downwards.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// RGB, HWC, 0…255 as floats (blending happens in floats; `image()` rounds once).
    private var rgb: [Float]

    public init(width: Int, height: Int, background: PlotColor = .white) {
        precondition(width > 0 && height > 0, "Canvas: size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
        rgb = [Float](repeating: 0, count: width * height * 3)
        fill(PixelRect(x0: 0, y0: 0, x1: width, y1: height), background)
    }

    /// Mixes `color` into pixel (x, y) with opacity `alpha` (ignored outside the canvas).
    public mutating func blend(x: Int, y: Int, _ color: PlotColor, alpha: Float = 1) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = min(alpha, 1), i = (y * width + x) * 3
        rgb[i] += (Float(color.r) - rgb[i]) * a
        rgb[i + 1] += (Float(color.g) - rgb[i + 1]) * a
        rgb[i + 2] += (Float(color.b) - rgb[i + 2]) * a
    }

    public mutating func fill(_ r: PixelRect, _ color: PlotColor, alpha: Float = 1) {
        for y in max(0, r.y0)..<min(height, r.y1) where r.x0 < r.x1 {
            for x in max(0, r.x0)..<min(width, r.x1) { blend(x: x, y: y, color, alpha: alpha) }
        }
    }

    /// A one-pixel outline just inside `r`.
    public mutating func stroke(_ r: PixelRect, _ color: PlotColor) {
        fill(PixelRect(x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y0 + 1), color)
        fill(PixelRect(x0: r.x0, y0: r.y1 - 1, x1: r.x1, y1: r.y1), color)
        fill(PixelRect(x0: r.x0, y0: r.y0, x1: r.x0 + 1, y1: r.y1), color)
        fill(PixelRect(x0: r.x1 - 1, y0: r.y0, x1: r.x1, y1: r.y1), color)
    }

    /// An anti-aliased polyline of `lineWidth` pixels through `points` (pixel coordinates). Coverage is the
    /// maximum over the segments, so joints are not darkened; `nil` points break the line. Only pixels inside
    /// `clip` are touched.
    public mutating func polyline(_ points: [(x: Double, y: Double)?], _ color: PlotColor, lineWidth: Double = 2, clip: PixelRect? = nil) {
        let c = clip ?? PixelRect(x0: 0, y0: 0, x1: width, y1: height)
        let box = PixelRect(x0: max(0, c.x0), y0: max(0, c.y0), x1: min(width, c.x1), y1: min(height, c.y1))
        guard box.width > 0, box.height > 0 else { return }
        var coverage = [Float](repeating: 0, count: box.width * box.height)
        let half = lineWidth / 2
        func segment(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) {
            let pad = half + 1
            let xs = max(box.x0, Int((min(a.x, b.x) - pad).rounded(.down))), xe = min(box.x1 - 1, Int((max(a.x, b.x) + pad).rounded(.up)))
            let ys = max(box.y0, Int((min(a.y, b.y) - pad).rounded(.down))), ye = min(box.y1 - 1, Int((max(a.y, b.y) + pad).rounded(.up)))
            guard xs <= xe, ys <= ye else { return }
            let dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy
            for y in ys...ye {
                let py = Double(y) + 0.5
                for x in xs...xe {
                    let px = Double(x) + 0.5
                    var t = len2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / len2 : 0
                    t = min(1, max(0, t))
                    let ex = a.x + t * dx - px, ey = a.y + t * dy - py
                    let cov = Float(min(1, max(0, half + 0.5 - (ex * ex + ey * ey).squareRoot())))
                    let i = (y - box.y0) * box.width + (x - box.x0)
                    if cov > coverage[i] { coverage[i] = cov }
                }
            }
        }
        var previous: (x: Double, y: Double)? = nil
        for p in points {
            guard let p, p.x.isFinite, p.y.isFinite, abs(p.x) < 1e7, abs(p.y) < 1e7 else { previous = nil; continue }
            segment(previous ?? p, p)
            previous = p
        }
        for y in 0..<box.height {
            for x in 0..<box.width where coverage[y * box.width + x] > 0 {
                blend(x: box.x0 + x, y: box.y0 + y, color, alpha: coverage[y * box.width + x])
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y) (clipped to the canvas).
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height where y + row >= 0 && y + row < height {
            for col in 0..<image.width where x + col >= 0 && x + col < width {
                let s = (row * image.width + col) * 3, d = ((y + row) * width + x + col) * 3
                rgb[d] = Float(image.pixels[s]); rgb[d + 1] = Float(image.pixels[s + 1]); rgb[d + 2] = Float(image.pixels[s + 2])
            }
        }
    }

    /// The colour at (x, y), rounded to bytes.
    public func pixel(x: Int, y: Int) -> PlotColor {
        let i = (y * width + x) * 3
        return PlotColor(UInt8(rgb[i].rounded()), UInt8(rgb[i + 1].rounded()), UInt8(rgb[i + 2].rounded()))
    }

    /// The canvas as an image.
    public func image() -> RGBImage {
        RGBImage(width: width, height: height, pixels: rgb.map { UInt8(min(255, max(0, $0)).rounded()) })
    }
}
