import Foundation

/// Resampling filters with Pillow's definitions (`PIL.Image.Resampling`).
public enum ResampleFilter: String, Sendable, CaseIterable {
    /// Pick the source pixel under the output pixel centre (Pillow's affine nearest path).
    case nearest
    /// Unweighted average over the source area (support 0.5).
    case box
    /// Triangle / linear (support 1). torchvision's default `Resize` interpolation.
    case bilinear
    /// Hamming-windowed sinc (support 1).
    case hamming
    /// Keys cubic with a = -0.5 (support 2). Pillow's default for `resize`.
    case bicubic
    /// Lanczos-3 windowed sinc (support 3).
    case lanczos

    /// Kernel radius at scale 1 (in source pixels); widened by the scale factor when downscaling.
    var support: Double {
        switch self {
        case .nearest: return 0
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The continuous kernel, evaluated in double precision with the same operation order as
    /// Pillow so that the normalised 8-bit coefficients come out identical.
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest:
            return 0
        case .box:
            return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear:
            let t = abs(x)
            return t < 1 ? 1 - t : 0
        case .hamming:
            let t = abs(x)
            if t == 0 { return 1 }
            if t >= 1 { return 0 }
            let p = t * Double.pi
            // The window constants are single-precision literals in Pillow (0.54f, 0.46f).
            let w0 = Double(Float(0.54)), w1 = Double(Float(0.46))
            return sin(p) / p * (w0 + w1 * cos(p))
        case .bicubic:
            let a = -0.5
            let t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            guard x >= -3 && x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let p = x * Double.pi
        return sin(p) / p
    }
}

/// Per-output-sample taps for one axis: output `i` reads `count[i]` consecutive source samples
/// starting at `start[i]`, weighted by `weights[i * stride ..< i * stride + count[i]]` (which sum to 1).
struct ResampleKernel {
    let stride: Int
    var start: [Int]
    let count: [Int]
    let weights: [Double]

    /// Coefficients for resampling the source interval [in0, in1) of an axis with `inSize` samples onto
    /// `outSize` samples. Downscaling widens the kernel by the scale (antialiasing). Mirrors the maths
    /// of Pillow's `precompute_coeffs` (same rounding of the window bounds, same normalisation).
    init(inSize: Int, in0: Float, in1: Float, outSize: Int, filter: ResampleFilter) {
        precondition(outSize > 0 && inSize > 0)
        // Pillow keeps the box in single precision and subtracts before widening.
        let scale = Double(in1 - in0) / Double(outSize)
        let filterScale = scale < 1 ? 1.0 : scale
        let support = filter.support * filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1.0 / filterScale

        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Double](repeating: 0, count: outSize * stride)
        for i in 0..<outSize {
            let center = Double(in0) + (Double(i) + 0.5) * scale
            // Window [lo, hi): bounds rounded half up by truncation (C `(int)` semantics), clamped.
            let lo = max(0, Int(center - support + 0.5))
            let hi = min(inSize, Int(center + support + 0.5))
            let n = max(0, hi - lo)
            let base = i * stride
            var total = 0.0
            for t in 0..<n {
                let w = filter.weight((Double(t + lo) - center + 0.5) * inverseScale)
                weights[base + t] = w
                total += w
            }
            if total != 0 {
                for t in 0..<n { weights[base + t] /= total }
            }
            start[i] = lo
            count[i] = n
        }
        self.stride = stride
        self.start = start
        self.count = count
        self.weights = weights
    }

    /// Number of fractional bits of the 8-bit path's fixed-point weights: 32 - 8 (result) - 2 (headroom
    /// for negative lobes and sums above 1).
    static let precisionBits = 22

    /// Weights rounded half away from zero to `precisionBits` fractional bits (C `(int)` truncation of
    /// `w * 2^22 +- 0.5`).
    func fixedPointWeights() -> [Int32] {
        let one = Double(1 << Self.precisionBits)
        return weights.map { w in
            w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
        }
    }

    /// First and one-past-last source sample touched by any output sample.
    var sourceRange: Range<Int> {
        let last = start.count - 1
        return start[0]..<(start[last] + count[last])
    }
}

/// Source sample index per output sample for nearest-neighbour scaling, reproducing Pillow's
/// affine-scale loop: position starts at in0 + step/2 and is advanced by repeated addition of
/// step = (in1 - in0) / outSize; index = truncation; indices outside the source are -1 (black).
func nearestSourceIndices(inSize: Int, in0: Float, in1: Float, outSize: Int) -> [Int] {
    let step = Double(in1 - in0) / Double(outSize)
    var position = Double(in0) + step * 0.5
    var indices = [Int](repeating: -1, count: outSize)
    for i in 0..<outSize {
        let index = position < 0 ? -1 : Int(position)
        indices[i] = (index >= 0 && index < inSize) ? index : -1
        position += step
    }
    return indices
}

/// A source rectangle for resampling, in (possibly fractional) source pixel coordinates. Pillow stores
/// the box as 32-bit floats, hence `Float`.
public struct ResampleBox: Equatable, Sendable {
    public var x0: Float, y0: Float, x1: Float, y1: Float

    public init(x0: Float, y0: Float, x1: Float, y1: Float) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    /// The whole image.
    public static func full(width: Int, height: Int) -> ResampleBox {
        ResampleBox(x0: 0, y0: 0, x1: Float(width), y1: Float(height))
    }

    func validate(width: Int, height: Int) {
        precondition(x0 >= 0 && y0 >= 0, "resample box offset can't be negative")
        precondition(x1 <= Float(width) && y1 <= Float(height), "resample box can't exceed the image size")
        precondition(x1 - x0 >= 0 && y1 - y0 >= 0, "resample box can't be empty")
    }

    /// Pillow crops instead of resampling when the box has integer origin and exactly the output size.
    func isIntegerCrop(width: Int, height: Int) -> Bool {
        x0 == x0.rounded(.towardZero) && y0 == y0.rounded(.towardZero)
            && x1 - x0 == Float(width) && y1 - y0 == Float(height)
    }
}

/// Which separable pass Pillow runs first. Only matters for the filtered (non-nearest) paths, and only
/// when both axes change: the 8-bit (or float) intermediate is rounded differently.
public enum ResamplePassOrder: Sendable, Equatable {
    /// Pillow >= 13.0: vertical first when `outHeight < inHeight` and the height loses more than twice
    /// as many pixels as the width (`inHeight - outHeight > 2 * (inWidth - outWidth)`), else horizontal
    /// first. (Rule of python-pillow PR #9549, confirmed on 1,000+ random sizes against Pillow 13.0.0.)
    case pillow13
    /// Pillow <= 12.x: always horizontal first.
    case pillow12

    /// The order of the Pillow release current when this was written (13.0).
    public static let `default` = ResamplePassOrder.pillow13

    func verticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        switch self {
        case .pillow12: return false
        case .pillow13: return outHeight < inHeight && (inHeight - outHeight) > 2 * (inWidth - outWidth)
        }
    }
}
