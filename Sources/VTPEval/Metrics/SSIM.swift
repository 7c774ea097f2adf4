import Foundation
import VTPTensor

/// SSIM exactly as torchmetrics' `StructuralSimilarityIndexMeasure` with its defaults (torchmetrics 1.9): Gaussian
/// window of 11 taps, σ 1.5 (normalised to sum 1), data range 1, k1 0.01, k2 0.03, images reflect-padded by 5 on
/// each side so that the SSIM map has the image's size, and the map averaged over channels and pixels per image:
///
/// ```
/// μ_x = G ⊛ x,  σ_x² = max(G ⊛ x² − μ_x², 0),  σ_xy = G ⊛ xy − μ_x μ_y     (per channel, G the 11×11 Gaussian)
/// SSIM = mean_{c,h,w} (2 μ_x μ_y + c1)(2 σ_xy + c2) / ((μ_x² + μ_y² + c1)(σ_x² + σ_y² + c2)),  c_i = (k_i · range)²
/// ```
/// The metric class reports the mean of the per-image values over all images. Computed here in float64 (torchmetrics
/// computes in the input dtype; float32 rounding moves values by ~1e-7).
public enum SSIM {
    public static let kernelSize = 11
    public static let sigma = 1.5

    /// The normalised 1-D Gaussian window (the 2-D window is its outer product).
    static var window: [Double] {
        let half = Double(kernelSize - 1) / 2
        let g = (0..<kernelSize).map { i -> Double in let d = (Double(i) - half) / sigma; return exp(-d * d / 2) }
        let s = g.reduce(0, +)
        return g.map { $0 / s }
    }

    /// Per-image SSIM of `x` (prediction) and `y` (target), both [B, C, H, W] with H, W ≥ 6 (the reflect padding
    /// needs 5 pixels beside the edge), values in `[0, dataRange]`.
    public static func perImage(_ x: Tensor, _ y: Tensor, dataRange: Double = 1, k1: Double = 0.01, k2: Double = 0.03) throws -> [Double] {
        guard x.rank == 4, x.shape == y.shape else {
            throw MetricError.invalidInput("SSIM: images must be [B, C, H, W] of one shape, got \(x.shape) and \(y.shape)")
        }
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let pad = (kernelSize - 1) / 2
        guard h > pad, w > pad else { throw MetricError.invalidInput("SSIM: images \(h)×\(w) are smaller than 6×6 (reflect padding of 5)") }
        let c1 = (k1 * dataRange) * (k1 * dataRange), c2 = (k2 * dataRange) * (k2 * dataRange)
        let g = window
        let xs = x.scalars, ys = y.scalars
        let ph = h + 2 * pad, pw = w + 2 * pad
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i) }
        var result = [Double](repeating: 0, count: b)
        var maps = [[Double]](repeating: [Double](repeating: 0, count: ph * pw), count: 5)
        var rows = [Double](repeating: 0, count: ph * w)
        var filtered = [[Double]](repeating: [Double](repeating: 0, count: h * w), count: 5)
        for bi in 0..<b {
            var total = 0.0
            for ci in 0..<c {
                let base = (bi * c + ci) * h * w
                for py in 0..<ph {
                    let sy = reflect(py - pad, h)
                    for px in 0..<pw {
                        let sx = reflect(px - pad, w)
                        let a = Double(xs[base + sy * w + sx]), t = Double(ys[base + sy * w + sx])
                        let o = py * pw + px
                        maps[0][o] = a; maps[1][o] = t; maps[2][o] = a * a; maps[3][o] = t * t; maps[4][o] = a * t
                    }
                }
                for k in 0..<5 {
                    // Horizontal pass [ph, w], then vertical pass [h, w].
                    for py in 0..<ph {
                        for ox in 0..<w {
                            var s = 0.0
                            for j in 0..<kernelSize { s += g[j] * maps[k][py * pw + ox + j] }
                            rows[py * w + ox] = s
                        }
                    }
                    for oy in 0..<h {
                        for ox in 0..<w {
                            var s = 0.0
                            for i in 0..<kernelSize { s += g[i] * rows[(oy + i) * w + ox] }
                            filtered[k][oy * w + ox] = s
                        }
                    }
                }
                for i in 0..<(h * w) {
                    let mx = filtered[0][i], my = filtered[1][i]
                    let vx = Swift.max(filtered[2][i] - mx * mx, 0), vy = Swift.max(filtered[3][i] - my * my, 0)
                    let cxy = filtered[4][i] - mx * my
                    total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                }
            }
            result[bi] = total / Double(c * h * w)
        }
        return result
    }

    /// The metric's value over a batch: the mean of the per-image SSIM.
    public static func mean(_ x: Tensor, _ y: Tensor, dataRange: Double = 1) throws -> Double {
        let v = try perImage(x, y, dataRange: dataRange)
        return v.reduce(0, +) / Double(v.count)
    }
}
