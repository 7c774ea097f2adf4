import Foundation
import VTPData

/// Rows of images in a grid with optional row labels (left), column labels (top) and a title, e.g. originals
/// above their reconstructions. Cells are as large as the largest image (or `cellWidth` × `cellHeight`, images
/// scaled to fit: nearest-neighbour for whole-number enlargements so that small images stay crisp, bicubic
/// otherwise), and at least as wide as the widest column label; images are centred in their cells.
public struct ImageGrid: Sendable {
    public var rows: [[RGBImage]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var title: String
    /// Gap between cells and around the grid, in pixels.
    public var padding = 4
    public var background = PlotColor.white
    public var labelColor = PlotColor.black
    /// Fixed cell size (nil: the largest image).
    public var cellWidth: Int? = nil
    public var cellHeight: Int? = nil
    /// Integer scale of the label font.
    public var labelScale = 1

    public init(rows: [[RGBImage]], rowLabels: [String] = [], columnLabels: [String] = [], title: String = "") {
        self.rows = rows
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
    }

    /// Originals in the first row and their reconstructions in the second, with per-column captions
    /// (e.g. PSNR values).
    public static func comparison(originals: [RGBImage], reconstructions: [RGBImage], columnLabels: [String] = [],
                                  rowLabels: [String] = ["original", "reconstruction"], title: String = "") -> ImageGrid {
        ImageGrid(rows: [originals, reconstructions], rowLabels: rowLabels, columnLabels: columnLabels, title: title)
    }

    /// Where each cell is in the rendered image (for tests and annotations).
    public struct Layout: Sendable {
        public let width: Int
        public let height: Int
        /// `cells[row][column]`: the slot of each image (the image is centred in it).
        public let cells: [[PixelRect]]
    }

    public func layout() -> Layout {
        let all = rows.flatMap { $0 }
        let s = labelScale, lh = BitmapFont.lineHeight * s
        let widestLabel = columnLabels.map { BitmapFont.width($0, scale: s) }.max() ?? 0
        let cw = max(cellWidth ?? max(1, all.map(\.width).max() ?? 1), widestLabel + (columnLabels.isEmpty ? 0 : padding))
        let ch = cellHeight ?? max(1, all.map(\.height).max() ?? 1)
        let columns = max(rows.map(\.count).max() ?? 0, columnLabels.count, 1)
        let labelWidth = rowLabels.isEmpty ? 0 : (rowLabels.map { BitmapFont.width($0, scale: s) }.max() ?? 0) + 2 * padding
        let titleHeight = title.isEmpty ? 0 : BitmapFont.height(scale: 2 * s) + 2 * padding
        let headerHeight = columnLabels.isEmpty ? 0 : lh + padding
        let x0 = padding + labelWidth, y0 = padding + titleHeight + headerHeight
        var cells: [[PixelRect]] = []
        for r in rows.indices {
            let y = y0 + r * (ch + padding)
            cells.append((0..<rows[r].count).map { c in
                let x = x0 + c * (cw + padding)
                return PixelRect(x0: x, y0: y, x1: x + cw, y1: y + ch)
            })
        }
        let width = max(x0 + columns * (cw + padding), title.isEmpty ? 0 : BitmapFont.width(title, scale: 2 * s) + 2 * padding)
        return Layout(width: width, height: y0 + max(1, rows.count) * (ch + padding), cells: cells)
    }

    /// The grid as an image.
    public func render() -> RGBImage {
        let L = layout()
        var canvas = Canvas(width: L.width, height: L.height, background: background)
        let s = labelScale
        if !title.isEmpty { canvas.text(title, x: (L.width - BitmapFont.width(title, scale: 2 * s)) / 2, y: padding, labelColor, scale: 2 * s) }
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let cell = L.cells[r][c]
                let fitted = fit(image, cell.width, cell.height)
                canvas.draw(fitted, x: cell.x0 + (cell.width - fitted.width) / 2, y: cell.y0 + (cell.height - fitted.height) / 2)
            }
            if r < rowLabels.count, let first = L.cells[r].first ?? rowCell(L, r) {
                let label = rowLabels[r]
                canvas.text(label, x: first.x0 - padding - BitmapFont.width(label, scale: s),
                            y: first.y0 + (first.height - BitmapFont.ascent * s) / 2, labelColor, scale: s)
            }
        }
        if let top = L.cells.first(where: { !$0.isEmpty }) {
            for (c, label) in columnLabels.enumerated() {
                let x = top.count > c ? top[c].x0 : top[0].x0 + c * (top[0].width + padding)
                let w = top[0].width, tw = BitmapFont.width(label, scale: s)
                canvas.text(label, x: x + (w - tw) / 2, y: top[0].y0 - padding - BitmapFont.lineHeight * s + 2 * s, labelColor, scale: s)
            }
        }
        return canvas.image()
    }

    /// The cell an empty row would have (for its label).
    private func rowCell(_ L: Layout, _ r: Int) -> PixelRect? {
        guard let ref = L.cells.first(where: { !$0.isEmpty })?.first else { return nil }
        let h = ref.height
        let y = ref.y0 + r * (h + padding) - (L.cells.firstIndex(where: { !$0.isEmpty }) ?? 0) * (h + padding)
        return PixelRect(x0: ref.x0, y0: y, x1: ref.x1, y1: y + h)
    }

    private func fit(_ image: RGBImage, _ slotWidth: Int, _ h: Int) -> RGBImage {
        let w = min(slotWidth, cellWidth ?? slotWidth)
        if image.width <= w && image.height <= h && (cellWidth == nil && cellHeight == nil) { return image }
        if image.width == w && image.height == h { return image }
        let scale = min(Double(w) / Double(image.width), Double(h) / Double(image.height))
        let nw = max(1, Int((Double(image.width) * scale).rounded())), nh = max(1, Int((Double(image.height) * scale).rounded()))
        let whole = scale >= 1 && scale.rounded() == scale
        return image.resized(width: nw, height: nh, filter: whole ? .nearest : .bicubic)
    }

    /// Renders and writes a PNG (atomically).
    public func writePNG(to url: URL) throws {
        try render().write(to: url, format: .png)
    }
}
