/// Pillow-exact image resizing.
///
/// `RGBImage.resized` reproduces `PIL.Image.resize(size, resample, box)` on mode "RGB" images bit for bit
/// (reducing_gap=None, which is Pillow's default: no integer pre-reduction):
/// - nearest: Pillow's affine scaling loop (`nearestSourceIndices`).
/// - other filters: separable convolution, horizontal pass first into an 8-bit intermediate that only
///   covers the rows the vertical pass will read, then the vertical pass. Each pass uses 22-bit
///   fixed-point weights, starts the accumulator at 2^21 (round half up) and clamps `acc >> 22` to 0...255.
///   A pass is skipped when that axis keeps its size and the box covers it exactly.
///   Pass order: Pillow <= 12 always runs the horizontal pass first; Pillow 13 (python-pillow #9549) runs
///   the vertical pass first when the height shrinks by more than twice as many pixels as the width
///   (`ResamplePassOrder`). The intermediate is 8-bit, so the order changes results by +-1 here and there.
/// `Resampler.resizePlanar` is the same for planar `Float` data (Pillow mode "F": double accumulation,
/// float intermediate, no rounding or clamping).
extension RGBImage {
    /// Resized copy (Pillow `Image.resize((width, height), filter)`). Output sizes must be >= 1 and the
    /// image must not be empty.
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResampleFilter = .bicubic,
                        passOrder: ResamplePassOrder = .default) -> RGBImage {
        resized(width: outWidth, height: outHeight, filter: filter, box: .full(width: width, height: height),
                passOrder: passOrder)
    }

    /// Resizes the region `box` of this image to `width` x `height` (Pillow's `box=` argument).
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResampleFilter, box: ResampleBox,
                        passOrder: ResamplePassOrder = .default) -> RGBImage {
        precondition(outWidth > 0 && outHeight > 0, "height and width must be > 0 (got \(outWidth)x\(outHeight))")
        precondition(width > 0 && height > 0, "cannot resize an empty \(width)x\(height) image")
        box.validate(width: width, height: height)

        if outWidth == width && outHeight == height && box == .full(width: width, height: height) {
            return self
        }
        if box.isIntegerCrop(width: outWidth, height: outHeight) {
            // Pillow crops here; the box lies inside the image (validated), so this cannot throw.
            return try! cropped(x: Int(box.x0), y: Int(box.y0), width: outWidth, height: outHeight)
        }
        if filter == .nearest {
            return resizedNearest(width: outWidth, height: outHeight, box: box)
        }

        let needHorizontal = outWidth != width || box.x0 != 0 || box.x1 != Float(outWidth)
        let needVertical = outHeight != height || box.y0 != 0 || box.y1 != Float(outHeight)
        var vertical = ResampleKernel(inSize: height, in0: box.y0, in1: box.y1, outSize: outHeight, filter: filter)

        if passOrder.verticalFirst(inWidth: width, inHeight: height, outWidth: outWidth, outHeight: outHeight) {
            // Vertical over every column, then horizontal over the `outHeight` new rows.
            var current = Self.verticalPass(pixels, width: width, kernel: vertical, outHeight: outHeight)
            var currentWidth = width
            if needHorizontal {
                let horizontal = ResampleKernel(inSize: width, in0: box.x0, in1: box.x1, outSize: outWidth, filter: filter)
                current = Self.horizontalPass(current, sourceWidth: width, rows: 0..<outHeight, kernel: horizontal,
                                              outWidth: outWidth)
                currentWidth = outWidth
            }
            return RGBImage(width: currentWidth, height: outHeight, pixels: current)
        }

        let rows = vertical.sourceRange
        var current = pixels
        var currentWidth = width
        if needHorizontal {
            let horizontal = ResampleKernel(inSize: width, in0: box.x0, in1: box.x1, outSize: outWidth, filter: filter)
            current = Self.horizontalPass(pixels, sourceWidth: width, rows: rows, kernel: horizontal,
                                          outWidth: outWidth)
            currentWidth = outWidth
            // The intermediate image starts at source row `rows.lowerBound`.
            for i in vertical.start.indices { vertical.start[i] -= rows.lowerBound }
        }
        if needVertical {
            current = Self.verticalPass(current, width: currentWidth, kernel: vertical, outHeight: outHeight)
            return RGBImage(width: currentWidth, height: outHeight, pixels: current)
        }
        return RGBImage(width: currentWidth, height: rows.count, pixels: current)
    }

    private func resizedNearest(width outWidth: Int, height outHeight: Int, box: ResampleBox) -> RGBImage {
        let xs = nearestSourceIndices(inSize: width, in0: box.x0, in1: box.x1, outSize: outWidth)
        let ys = nearestSourceIndices(inSize: height, in0: box.y0, in1: box.y1, outSize: outHeight)
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, sy) in ys.enumerated() where sy >= 0 {
                    let srcRow = sy * width * 3
                    let dstRow = row * outWidth * 3
                    for (col, sx) in xs.enumerated() where sx >= 0 {
                        let s = srcRow + sx * 3, d = dstRow + col * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    @inline(__always)
    private static func clampFixedPoint(_ acc: Int) -> UInt8 {
        let v = acc >> ResampleKernel.precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(truncatingIfNeeded: v))
    }

    /// Horizontal pass over source rows `rows`, producing `rows.count` rows of `outWidth` pixels.
    private static func horizontalPass(_ source: [UInt8], sourceWidth: Int, rows: Range<Int>,
                                       kernel: ResampleKernel, outWidth: Int) -> [UInt8] {
        let weights = kernel.fixedPointWeights()
        let half = 1 << (ResampleKernel.precisionBits - 1)
        var out = [UInt8](repeating: 0, count: outWidth * rows.count * 3)
        source.withUnsafeBufferPointer { src in
            weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    for (row, sy) in rows.enumerated() {
                        let srcRow = sy * sourceWidth * 3
                        let dstRow = row * outWidth * 3
                        for x in 0..<outWidth {
                            let taps = kernel.count[x]
                            let kb = x * kernel.stride
                            var p = srcRow + kernel.start[x] * 3
                            var r = half, g = half, b = half
                            for t in 0..<taps {
                                let w = Int(k[kb + t])
                                r += Int(src[p]) * w
                                g += Int(src[p + 1]) * w
                                b += Int(src[p + 2]) * w
                                p += 3
                            }
                            let d = dstRow + x * 3
                            dst[d] = clampFixedPoint(r)
                            dst[d + 1] = clampFixedPoint(g)
                            dst[d + 2] = clampFixedPoint(b)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Vertical pass: output row `y` mixes rows `kernel.start[y]...` of `source` (already shifted to
    /// the intermediate's row numbering). Integer sums are exact, so accumulating whole rows at a time
    /// gives the same result as Pillow's per-pixel loop.
    private static func verticalPass(_ source: [UInt8], width: Int, kernel: ResampleKernel, outHeight: Int) -> [UInt8] {
        let weights = kernel.fixedPointWeights()
        let half = 1 << (ResampleKernel.precisionBits - 1)
        let rowLength = width * 3
        var out = [UInt8](repeating: 0, count: rowLength * outHeight)
        var acc = [Int](repeating: 0, count: rowLength)
        source.withUnsafeBufferPointer { src in
            weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    acc.withUnsafeMutableBufferPointer { acc in
                        for y in 0..<outHeight {
                            for j in 0..<rowLength { acc[j] = half }
                            let kb = y * kernel.stride
                            for t in 0..<kernel.count[y] {
                                let w = Int(k[kb + t])
                                let s = (kernel.start[y] + t) * rowLength
                                for j in 0..<rowLength { acc[j] += Int(src[s + j]) * w }
                            }
                            let d = y * rowLength
                            for j in 0..<rowLength { dst[d + j] = clampFixedPoint(acc[j]) }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Resampling of planar floating-point data with Pillow's mode "F" semantics.
public enum Resampler {
    /// Resizes `channels` planes of `height` x `width` floats (CHW layout) to `outHeight` x `outWidth`,
    /// each plane exactly like Pillow's `Image.fromarray(plane, mode "F").resize((outWidth, outHeight), filter)`:
    /// same taps and double-precision weights as the 8-bit path, sums accumulated in double in tap order,
    /// stored as Float after each pass, no clamping.
    public static func resizePlanar(_ data: [Float], channels: Int, width: Int, height: Int,
                                    outWidth: Int, outHeight: Int, filter: ResampleFilter,
                                    passOrder: ResamplePassOrder = .default) -> [Float] {
        precondition(channels >= 1 && width > 0 && height > 0, "empty input \(channels)x\(height)x\(width)")
        precondition(outWidth > 0 && outHeight > 0, "height and width must be > 0")
        precondition(data.count == channels * width * height,
                     "planar data has \(data.count) floats, expected \(channels * width * height)")
        if outWidth == width && outHeight == height { return data }
        let plane = width * height
        var result = [Float]()
        result.reserveCapacity(channels * outWidth * outHeight)

        if filter == .nearest {
            let xs = nearestSourceIndices(inSize: width, in0: 0, in1: Float(width), outSize: outWidth)
            let ys = nearestSourceIndices(inSize: height, in0: 0, in1: Float(height), outSize: outHeight)
            for c in 0..<channels {
                for sy in ys {
                    for sx in xs {
                        result.append(sy >= 0 && sx >= 0 ? data[c * plane + sy * width + sx] : 0)
                    }
                }
            }
            return result
        }

        var vertical = ResampleKernel(inSize: height, in0: 0, in1: Float(height), outSize: outHeight, filter: filter)
        let horizontal = outWidth != width
            ? ResampleKernel(inSize: width, in0: 0, in1: Float(width), outSize: outWidth, filter: filter) : nil
        let needVertical = outHeight != height
        let verticalFirst = passOrder.verticalFirst(inWidth: width, inHeight: height, outWidth: outWidth,
                                                    outHeight: outHeight)
        // Horizontal-first only computes the source rows the vertical pass reads.
        var rows = 0..<height
        if !verticalFirst, horizontal != nil {
            rows = vertical.sourceRange
            for i in vertical.start.indices { vertical.start[i] -= rows.lowerBound }
        }
        for c in 0..<channels {
            var current = Array(data[(c * plane)..<((c + 1) * plane)])
            var currentWidth = width
            if verticalFirst {
                current = verticalPassFloat(current, width: width, kernel: vertical, outHeight: outHeight)
                if let horizontal {
                    current = horizontalPassFloat(current, sourceWidth: width, rows: 0..<outHeight, kernel: horizontal,
                                                  outWidth: outWidth)
                }
            } else {
                if let horizontal {
                    current = horizontalPassFloat(current, sourceWidth: width, rows: rows, kernel: horizontal,
                                                  outWidth: outWidth)
                    currentWidth = outWidth
                }
                if needVertical {
                    current = verticalPassFloat(current, width: currentWidth, kernel: vertical, outHeight: outHeight)
                }
            }
            result.append(contentsOf: current)
        }
        return result
    }

    private static func horizontalPassFloat(_ source: [Float], sourceWidth: Int, rows: Range<Int>,
                                            kernel: ResampleKernel, outWidth: Int) -> [Float] {
        var out = [Float](repeating: 0, count: outWidth * rows.count)
        source.withUnsafeBufferPointer { src in
            kernel.weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    for (row, sy) in rows.enumerated() {
                        for x in 0..<outWidth {
                            let base = sy * sourceWidth + kernel.start[x]
                            let kb = x * kernel.stride
                            var sum = 0.0
                            for t in 0..<kernel.count[x] { sum += Double(src[base + t]) * k[kb + t] }
                            dst[row * outWidth + x] = Float(sum)
                        }
                    }
                }
            }
        }
        return out
    }

    private static func verticalPassFloat(_ source: [Float], width: Int, kernel: ResampleKernel, outHeight: Int) -> [Float] {
        var out = [Float](repeating: 0, count: width * outHeight)
        var acc = [Double](repeating: 0, count: width)
        source.withUnsafeBufferPointer { src in
            kernel.weights.withUnsafeBufferPointer { k in
                out.withUnsafeMutableBufferPointer { dst in
                    acc.withUnsafeMutableBufferPointer { acc in
                        for y in 0..<outHeight {
                            // Same per-element operation sequence as Pillow: 0.0, then taps in order.
                            for j in 0..<width { acc[j] = 0 }
                            let kb = y * kernel.stride
                            for t in 0..<kernel.count[y] {
                                let w = k[kb + t]
                                let s = (kernel.start[y] + t) * width
                                for j in 0..<width { acc[j] += Double(src[s + j]) * w }
                            }
                            for j in 0..<width { dst[y * width + j] = Float(acc[j]) }
                        }
                    }
                }
            }
        }
        return out
    }
}
