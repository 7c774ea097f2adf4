import Foundation

/// torchvision's colour functions on PIL images, reproduced bit for bit from Pillow's C code
/// (`ImageEnhance` = `Image.blend` with a degenerate image, `convert("L")`, `convert("HSV")`, `ImageOps.solarize`).
/// Factors are Python floats in torchvision; Pillow's blend uses them as C `float`.
public enum ColorAdjust {
    /// Pillow's RGB → L: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16 (ITU-R 601-2 luma, rounded).
    @inline(__always)
    public static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (UInt32(r) * 19595 + UInt32(g) * 38470 + UInt32(b) * 7471 + 0x8000) >> 16)
    }

    /// `F.rgb_to_grayscale(img, num_output_channels=3)`: L replicated into R, G and B.
    public static func grayscale(_ image: RGBImage) -> RGBImage {
        var out = image.pixels
        out.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) {
                let l = luma(p[i], p[i + 1], p[i + 2])
                p[i] = l
                p[i + 1] = l
                p[i + 2] = l
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    /// `ImageOps.solarize(img, threshold)`: values >= threshold are inverted (255 - v).
    public static func solarize(_ image: RGBImage, threshold: Int = 128) -> RGBImage {
        var out = image.pixels
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count where Int(p[i]) >= threshold { p[i] = 255 - p[i] }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    /// The degenerate image `Image.blend` mixes with: one grey value, or each pixel's own L (saturation).
    enum Degenerate {
        case constant(UInt8)
        case luma
    }

    /// `Image.blend(degenerate, image, alpha)`: out = (uint8)(d + alpha·(x − d)) in C float arithmetic,
    /// clipped to 0...255 when alpha is outside [0, 1] (Pillow's Blend.c).
    static func blend(_ image: RGBImage, alpha factor: Double, degenerate: Degenerate) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 1 { return image }
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let interpolate = alpha >= 0 && alpha <= 1
        @inline(__always) func mix(_ d: UInt8, _ x: UInt8) -> UInt8 {
            if alpha == 0 { return d }
            let v = Float(Int32(d)) + alpha * Float(Int32(x) - Int32(d))
            if interpolate { return UInt8(v) }
            return v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
        }
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in stride(from: 0, to: src.count, by: 3) {
                    let d: UInt8
                    switch degenerate {
                    case .constant(let value): d = value
                    case .luma: d = luma(src[i], src[i + 1], src[i + 2])
                    }
                    dst[i] = mix(d, src[i])
                    dst[i + 1] = mix(d, src[i + 1])
                    dst[i + 2] = mix(d, src[i + 2])
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    /// `F.adjust_brightness` (ImageEnhance.Brightness): blend with black.
    public static func brightness(_ image: RGBImage, _ factor: Double) -> RGBImage {
        blend(image, alpha: factor, degenerate: .constant(0))
    }

    /// `F.adjust_contrast` (ImageEnhance.Contrast): blend with the uniform grey int(mean(L) + 0.5).
    public static func contrast(_ image: RGBImage, _ factor: Double) -> RGBImage {
        var sum = 0
        image.pixels.withUnsafeBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) { sum += Int(luma(p[i], p[i + 1], p[i + 2])) }
        }
        let n = max(1, image.pixelCount)
        let mean = UInt8(min(255, Int(Double(sum) / Double(n) + 0.5)))
        return blend(image, alpha: factor, degenerate: .constant(mean))
    }

    /// `F.adjust_saturation` (ImageEnhance.Color): blend with the image's L converted back to RGB.
    public static func saturation(_ image: RGBImage, _ factor: Double) -> RGBImage {
        blend(image, alpha: factor, degenerate: .luma)
    }

    /// `F.adjust_hue` on a PIL image: convert to Pillow's 8-bit HSV, add `int32(factor·255)` to H
    /// modulo 256, convert back. `factor` must lie in [-0.5, 0.5].
    public static func hue(_ image: RGBImage, _ factor: Double) -> RGBImage {
        precondition(factor >= -0.5 && factor <= 0.5, "hue factor \(factor) is not in [-0.5, 0.5]")
        let shift = UInt8(truncatingIfNeeded: Int32(factor * 255))  // np.int32(x).astype(np.uint8)
        // Even a zero shift round-trips through Pillow's lossy 8-bit HSV, as torchvision does.
        var out = image.pixels
        out.withUnsafeMutableBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) {
                let (h, s, v) = rgbToHSV(p[i], p[i + 1], p[i + 2])
                let (r, g, b) = hsvToRGB(h &+ shift, s, v)
                p[i] = r
                p[i + 1] = g
                p[i + 2] = b
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    @inline(__always) static func clip8(_ v: Int) -> UInt8 { UInt8(max(0, min(255, v))) }

    /// C `round` for x >= 0 (half away from zero) without a libm call: floor, then compare the exact remainder.
    @inline(__always) static func roundHalfAway(_ x: Double) -> Int {
        let down = x.rounded(.down)
        return Int(down) + (x - down >= 0.5 ? 1 : 0)
    }

    /// Pillow's `rgb2hsv_row` (Convert.c), with its float/double mix.
    @inline(__always)
    public static func rgbToHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (UInt8, UInt8, UInt8) {
        let maxc = max(r, max(g, b)), minc = min(r, min(g, b))
        if maxc == minc { return (0, 0, maxc) }
        let cr = Float(maxc - minc)
        let s = cr / Float(maxc)
        var h: Float
        if r == maxc {
            h = Float(maxc - b) / cr - Float(maxc - g) / cr  // bc - gc
        } else if g == maxc {
            h = Float(2.0 + Double(Float(maxc - r) / cr) - Double(Float(maxc - b) / cr))  // 2 + rc - bc
        } else {
            h = Float(4.0 + Double(Float(maxc - g) / cr) - Double(Float(maxc - r) / cr))  // 4 + gc - rc
        }
        // fmod(h / 6 + 1, 1): the argument lies in (0.8, 2), where subtracting 1 is exact (Sterbenz).
        let wrapped = Double(h) / 6.0 + 1.0
        h = Float(wrapped >= 1.0 ? wrapped - 1.0 : wrapped)
        // (int) truncation; both products lie in [0, 255].
        let uh = clip8(Int(Double(h) * 255.0))
        let us = clip8(Int(Double(s) * 255.0))
        return (uh, us, maxc)
    }

    /// Pillow's `hsv2rgb` (Convert.c), with its float/double mix and C `round` (half away from zero).
    @inline(__always)
    public static func hsvToRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) {
        if s == 0 { return (v, v, v) }
        let h6 = Double(Float(h)) * 6.0 / 255.0
        let i = Int(h6.rounded(.down))
        let f = Float(h6 - Double(Float(i)))
        let fs = Float(Double(Float(s)) / 255.0)
        let vd = Double(Float(v))
        let up = clip8(roundHalfAway(vd * (1.0 - Double(fs))))
        let uq = clip8(roundHalfAway(vd * (1.0 - Double(fs * f))))
        let ut = clip8(roundHalfAway(vd * (1.0 - Double(fs) * (1.0 - Double(f)))))
        switch i % 6 {
        case 0: return (v, ut, up)
        case 1: return (uq, v, up)
        case 2: return (up, v, ut)
        case 3: return (up, uq, v)
        case 4: return (ut, up, v)
        default: return (v, up, uq)
        }
    }
}
