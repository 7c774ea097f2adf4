import VTPTensor

/// `torch.nn.MultiheadAttention` (batch first). Keys: `in_proj_weight` [3W, W], `in_proj_bias` [3W], `out_proj`.
public final class MultiheadAttention: Module {
    public let inProjWeight: Parameter, inProjBias: Parameter
    public let outProj: Linear
    public let heads: Int
    public var items: [ModuleItem] {
        [.parameter("in_proj_weight", inProjWeight), .parameter("in_proj_bias", inProjBias), .child("out_proj", outProj)]
    }

    public init(width: Int, heads: Int, rng: inout RNG) {
        let std = 1 / Float(width).squareRoot()
        inProjWeight = Parameter(Tensor.randomNormal([3 * width, width], std: std, rng: &rng))
        inProjBias = Parameter(Tensor.zeros([3 * width]))
        outProj = Linear(width, width, rng: &rng)
        self.heads = heads
    }

    /// x [B, L, W] → [B, L, W], causal when `causal`.
    public func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        outProj(Tensor.attention(qkv: x.linear(inProjWeight.value, inProjBias.value), heads: heads, causal: causal))
    }
}
