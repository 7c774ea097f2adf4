/// An 8-bit RGB image: `pixels` holds `height` rows of `width` pixels, each R, G, B (HWC order,
/// no padding), i.e. the layout of `np.asarray(pil_image.convert("RGB"))`.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes. Replacing it with an array of another size is a programming error.
    public var pixels: [UInt8] {
        didSet { precondition(pixels.count == width * height * 3, "RGBImage.pixels must keep width*height*3 bytes") }
    }

    /// Wraps existing pixel data. Precondition: `pixels.count == width * height * 3`, sizes >= 0.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height) (expected \(width * height * 3))")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniformly filled image.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        var data = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in stride(from: 0, to: data.count, by: 3) {
                data[i] = fill.r
                data[i + 1] = fill.g
                data[i + 2] = fill.b
            }
        }
        self.width = width
        self.height = height
        self.pixels = data
    }

    public var pixelCount: Int { width * height }

    /// The (r, g, b) value at column `x`, row `y`.
    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The rectangle [x, x+width) x [y, y+height), which must lie inside the image
    /// (Pillow's `crop` with an in-bounds box; numpy `arr[y:y+h, x:x+w]`).
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) throws -> RGBImage {
        guard w >= 0, h >= 0, x >= 0, y >= 0, x <= width - w, y <= height - h else {
            throw ImageError.invalidArgument(
                "crop box x=\(x) y=\(y) \(w)x\(h) does not fit inside the \(width)x\(height) image")
        }
        if x == 0, y == 0, w == width, h == height { return self }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let rowBytes = w * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let s = ((y + row) * width + x) * 3
                    let d = row * rowBytes
                    dst.baseAddress!.advanced(by: d).update(from: src.baseAddress!.advanced(by: s), count: rowBytes)
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// Mirror image left-right (Pillow `Image.transpose(FLIP_LEFT_RIGHT)`, numpy `arr[:, ::-1]`).
    public func horizontallyFlipped() -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let base = row * width * 3
                    for x in 0..<width {
                        let s = base + x * 3
                        let d = base + (width - 1 - x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Pads with a constant colour: `left`/`top`/`right`/`bottom` pixels added on each side
    /// (torchvision's `F.pad` with a constant fill on a PIL image).
    public func padded(left: Int, top: Int, right: Int, bottom: Int,
                       fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) -> RGBImage {
        precondition(left >= 0 && top >= 0 && right >= 0 && bottom >= 0, "negative padding")
        let outWidth = width + left + right
        var out = RGBImage(width: outWidth, height: height + top + bottom, fill: fill)
        let rowBytes = width * 3
        if rowBytes > 0 {
            pixels.withUnsafeBufferPointer { src in
                out.pixels.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<height {
                        let d = ((row + top) * outWidth + left) * 3
                        dst.baseAddress!.advanced(by: d)
                            .update(from: src.baseAddress!.advanced(by: row * rowBytes), count: rowBytes)
                    }
                }
            }
        }
        return out
    }
}
