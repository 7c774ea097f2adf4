import Foundation
import VTPTensor

/// How RoPE tables and the q/k rotation are computed.
public enum RopePrecision: String, Sendable, CaseIterable, Codable {
    /// As the official PyTorch code: tables and rotation in bfloat16 (emulated bit-exactly).
    case bf16
    /// Plain float32.
    case fp32
}

/// DINOv3 axial rotary position embedding (non-learned). Buffer key: `periods` [headDim/4].
///
/// For an h×w grid (token n = row·w + col), coordinates are `2·(i + 0.5)/h − 1` per axis ("separate"
/// normalisation); angles `2π·coord / period`; the per-token angle vector is [row angles (headDim/4),
/// column angles (headDim/4)] tiled twice to headDim; tables are (sin, cos) [h·w, headDim], shared by all
/// heads. In `.bf16` every step is rounded to bfloat16 exactly as PyTorch does it.
public final class RopePositionEmbedding: Module {
    public let periods: Buffer
    public let headDimensions: Int
    public var items: [ModuleItem] { [.buffer("periods", periods)] }
    private var cache: [String: (Tensor, Tensor)] = [:]
    private let lock = NSLock()

    /// periods[i] = base^(2i/(headDim/2)), i < headDim/4, stored (like the official module) in BF16.
    public init(headDimensions: Int, base: Float = 100) {
        precondition(headDimensions % 4 == 0, "RoPE needs a head dimension divisible by 4, got \(headDimensions)")
        let n = headDimensions / 4
        let values = (0..<n).map { i in BF16Kernels.round(Foundation.pow(base, Float(2 * i) / Float(headDimensions / 2))) }
        periods = Buffer(Tensor(values, shape: [n]), storageDType: .bf16)
        self.headDimensions = headDimensions
    }

    /// (sin, cos), each [h·w, headDim].
    public func tables(height h: Int, width w: Int, precision: RopePrecision) -> (sin: Tensor, cos: Tensor) {
        let key = "\(h)x\(w)-\(precision.rawValue)"
        lock.lock(); defer { lock.unlock() }
        if let hit = cache[key] { return hit }
        let bf = precision == .bf16
        func r(_ x: Float) -> Float { bf ? BF16Kernels.round(x) : x }
        func coords(_ n: Int) -> [Float] {
            (0..<n).map { i in
                let c = r(r(Float(i) + 0.5) / Float(n))
                return r(r(2 * c) - 1)
            }
        }
        let p = periods.value.scalars, q = p.count, d = headDimensions
        let twoPi = Float.pi * 2
        let ch = coords(h), cw = coords(w)
        let sin = Tensor(uninitialized: [h * w, d]), cos = Tensor(uninitialized: [h * w, d])
        for y in 0..<h {
            for x in 0..<w {
                let t = y * w + x
                for i in 0..<q {
                    let ar = r(r(ch[y] * twoPi) / p[i]), ac = r(r(cw[x] * twoPi) / p[i])
                    for (j, a) in [(i, ar), (q + i, ac)] {
                        let s = r(Foundation.sin(a)), c = r(Foundation.cos(a))
                        sin.data[t * d + j] = s; sin.data[t * d + j + 2 * q] = s
                        cos.data[t * d + j] = c; cos.data[t * d + j + 2 * q] = c
                    }
                }
            }
        }
        cache[key] = (sin, cos)
        return (sin, cos)
    }

    /// Forget cached tables (after loading new periods).
    public func invalidate() { lock.lock(); cache = [:]; lock.unlock() }
}
