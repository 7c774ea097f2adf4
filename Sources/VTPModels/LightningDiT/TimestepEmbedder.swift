import Foundation
import VTPNN
import VTPTensor

/// DiT `TimestepEmbedder` (`t_embedder`): sinusoidal features of t, then Linear → SiLU → Linear.
/// Keys: `mlp.0` [D, 256], `mlp.2` [D, D] (weight and bias each).
public final class TimestepEmbedder: Module {
    public let fc1: Linear, fc2: Linear
    public let frequencyDimensions: Int
    public var items: [ModuleItem] { [.child("mlp.0", fc1), .child("mlp.2", fc2)] }

    public init(hiddenSize: Int, frequencyDimensions: Int = 256, rng: inout RNG) {
        fc1 = Linear(frequencyDimensions, hiddenSize, rng: &rng)
        fc2 = Linear(hiddenSize, hiddenSize, rng: &rng)
        self.frequencyDimensions = frequencyDimensions
    }

    /// GLIDE sinusoidal embedding of t [B] (used as is, no ×1000) → [B, dim]: with half = dim/2 and
    /// f_k = exp(−ln(maxPeriod)·k/half) in Float, the row is [cos(t·f_k) (half), sin(t·f_k) (half)] — **cos first** —
    /// plus a zero column when dim is odd.
    public static func sinusoidal(_ t: [Float], dimensions dim: Int, maxPeriod: Float = 10000) -> Tensor {
        let half = dim / 2
        let logPeriod = -Float(Foundation.log(Double(maxPeriod)))
        let freqs = (0..<half).map { Foundation.expf(logPeriod * Float($0) / Float(half)) }
        let out = Tensor.zeros([t.count, dim])
        for (b, tb) in t.enumerated() {
            for k in 0..<half {
                let a = tb * freqs[k]
                out.data[b * dim + k] = Foundation.cosf(a)
                out.data[b * dim + half + k] = Foundation.sinf(a)
            }
        }
        return out
    }

    /// t [B] → [B, D].
    public func callAsFunction(_ t: [Float]) -> Tensor {
        fc2(fc1(Self.sinusoidal(t, dimensions: frequencyDimensions)).silu())
    }
}
