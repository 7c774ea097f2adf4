import Foundation
import VTPTensor

/// The fixed position tables of LightningDiT.
public enum DiTPositions {
    /// MAE 2-D sin-cos table [g·g, D] (`get_2d_sincos_pos_embed`), computed in Double and rounded to Float as the
    /// official numpy code: for token (row r, col c), channels [0, D/2) encode the **column** c and [D/2, D) the
    /// row r; each half is [sin(pos·ω_k), cos(pos·ω_k)], ω_k = 10000^(−k/(D/4)), k < D/4.
    public static func sinCos2D(dimensions d: Int, gridSize g: Int) -> Tensor {
        precondition(d % 4 == 0, "2-D sin-cos positions need a width divisible by 4, got \(d)")
        let quarter = d / 4
        let omega = (0..<quarter).map { 1 / Foundation.pow(10000.0, Double($0) / Double(quarter)) }
        let out = Tensor(uninitialized: [g * g, d])
        for r in 0..<g {
            for c in 0..<g {
                let row = out.data + (r * g + c) * d
                for (half, pos) in [(0, Double(c)), (1, Double(r))] {
                    for k in 0..<quarter {
                        row[half * 2 * quarter + k] = Float(Foundation.sin(pos * omega[k]))
                        row[half * 2 * quarter + quarter + k] = Float(Foundation.cos(pos * omega[k]))
                    }
                }
            }
        }
        return out
    }

    /// EVA-02 `VisionRotaryEmbeddingFast(dim: headDim/2, pt_seq_len: g)` tables (cos, sin), each [g·g, headDim], in
    /// Float as PyTorch computes them: f_i = 1/10000^(2i/(headDim/2)), i < headDim/4; positions
    /// arange(g)/g·g; per token (row r, col c) the angles are [r·f_0, r·f_0, r·f_1, r·f_1, …, c·f_0, c·f_0, …].
    public static func rope(headDimensions hd: Int, gridSize g: Int) -> (cos: Tensor, sin: Tensor) {
        precondition(hd % 4 == 0, "LightningDiT RoPE needs a head dimension divisible by 4, got \(hd)")
        let dim = hd / 2, nf = dim / 2
        let freqs = (0..<nf).map { i in 1 / Foundation.powf(10000, Float(2 * i) / Float(dim)) }
        let pos = (0..<g).map { Float($0) / Float(g) * Float(g) }
        let cos = Tensor(uninitialized: [g * g, hd]), sin = Tensor(uninitialized: [g * g, hd])
        for r in 0..<g {
            for c in 0..<g {
                let t = r * g + c
                for (half, p) in [(0, pos[r]), (1, pos[c])] {
                    for i in 0..<nf {
                        let a = p * freqs[i]
                        for j in [half * dim + 2 * i, half * dim + 2 * i + 1] {
                            cos.data[t * hd + j] = Foundation.cosf(a)
                            sin.data[t * hd + j] = Foundation.sinf(a)
                        }
                    }
                }
            }
        }
        return (cos, sin)
    }
}
