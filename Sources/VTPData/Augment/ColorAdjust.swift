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

    /// `Image.blend(degenerate, image, alpha)` where the degenerate value of each byte is given by
    /// `degenerate(i)`: out = (uint8)(d + alpha·(x − d)) in C float, clipped to 0...255 when extrapolating.
    @inline(__always)
    static func blend(_ image: RGBImage, alpha factor: Double, degenerate: (UnsafeBufferPointer<UInt8>, Int) -> UInt8) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 1 { return image }
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        let interpolate = alpha >= 0 && alpha <= 1
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count {
                    let d = degenerate(src, i)
                    if alpha == 0 {
                        dst[i] = d
                        continue
                    }
                    let v = Float(Int32(d)) + alpha * Float(Int32(src[i]) - Int32(d))
                    if interpolate {
                        dst[i] = UInt8(v)
                    } else {
                        dst[i] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }

    /// `F.adjust_brightness` (ImageEnhance.Brightness): blend with black.
    public static func brightness(_ image: RGBImage, _ factor: Double) -> RGBImage {
        blend(image, alpha: factor) { _, _ in 0 }
    }

    /// `F.adjust_contrast` (ImageEnhance.Contrast): blend with the uniform grey int(mean(L) + 0.5).
    public static func contrast(_ image: RGBImage, _ factor: Double) -> RGBImage {
        var sum = 0
        image.pixels.withUnsafeBufferPointer { p in
            for i in stride(from: 0, to: p.count, by: 3) { sum += Int(luma(p[i], p[i + 1], p[i + 2])) }
        }
        let n = max(1, image.pixelCount)
        let mean = UInt8(min(255, Int(Double(sum) / Double(n) + 0.5)))
        return blend(image, alpha: factor) { _, _ in mean }
    }

    /// `F.adjust_saturation` (ImageEnhance.Color): blend with the image's L converted back to RGB.
    public static func saturation(_ image: RGBImage, _ factor: Double) -> RGBImage {
        blend(image, alpha: factor) { p, i in
            let base = i - i % 3
            return luma(p[base], p[base + 1], p[base + 2])
        }
    }

    /// `F.adjust_hue` on a PIL image: convert to Pillow's 8-bit HSV, add `int32(factor·255)` to H
    /// modulo 256, convert back. `factor` must lie in [-0.5, 0.5].
    public static func hue(_ image: RGBImage, _ factor: Double) -> RGBImage {
        precondition(factor >= -0.5 && factor <= 0.5, "hue factor \(factor) is not in [-0.5, 0.5]")
        let shift = UInt8(truncatingIfNeeded: Int32(factor * 255))  // np.int32(x).astype(np.uint8)
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

    /// Pillow's `rgb2hsv_row` (Convert.c), with its float/double mix.
    @inline(__always)
    public static func rgbToHSV(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> (UInt8, UInt8, UInt8) {
        let maxc = max(r, max(g, b)), minc = min(r, min(g, b))
        if maxc == minc { return (0, 0, maxc) }
        let cr = Float(maxc - minc)
        let s = cr / Float(maxc)
        let rc = Float(maxc - r) / cr, gc = Float(maxc - g) / cr, bc = Float(maxc - b) / cr
        var h: Float
        if r == maxc {
            h = bc - gc
        } else if g == maxc {
            h = Float(2.0 + Double(rc) - Double(bc))
        } else {
            h = Float(4.0 + Double(gc) - Double(rc))
        }
        h = Float(fmod(Double(h) / 6.0 + 1.0, 1.0))
        let uh = clip8(Int((Double(h) * 255.0).rounded(.towardZero)))
        let us = clip8(Int((Double(s) * 255.0).rounded(.towardZero)))
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
        let up = clip8(Int((vd * (1.0 - Double(fs))).rounded()))
        let uq = clip8(Int((vd * (1.0 - Double(fs * f))).rounded()))
        let ut = clip8(Int((vd * (1.0 - Double(fs) * (1.0 - Double(f)))).rounded()))
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
