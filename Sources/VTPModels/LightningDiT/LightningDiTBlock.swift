import VTPNN
import VTPTensor

// LightningDiT's Attention, SwiGLUFFN and LightningDiTBlock (models/lightningdit.py, models/swiglu_ffn.py), written anew.

/// LightningDiT `Attention` (`attn`). Keys: `qkv` [3D, D] (+ bias), `proj` [D, D] (+ bias), and with q/k norm
/// `q_norm`/`k_norm` over the head dimension: RMSNorm(eps 1e-6, `weight`) when the model uses RMSNorm, else
/// `nn.LayerNorm(head_dim)` (eps 1e-5, `weight` and `bias`).
public final class DiTAttention: Module {
    public let qkv: Linear, proj: Linear
    public let qNorm: (Module & NormLayer)?, kNorm: (Module & NormLayer)?
    public let heads: Int
    public var items: [ModuleItem] {
        [.child("qkv", qkv), .child("q_norm", qNorm), .child("k_norm", kNorm), .child("proj", proj)]
    }

    public init(dim: Int, heads: Int, qkNorm: Bool, rmsNorm: Bool, rng: inout RNG) {
        qkv = Linear(dim, 3 * dim, rng: &rng)
        let hd = dim / heads
        func norm() -> Module & NormLayer { rmsNorm ? RMSNorm(hd, eps: 1e-6) : LayerNorm(hd, eps: 1e-5) }
        qNorm = qkNorm ? norm() : nil
        kNorm = qkNorm ? norm() : nil
        proj = Linear(dim, dim, rng: &rng)
        self.heads = heads
    }

    /// x [B, N, D] → [B, N, D]. `rope`: (cos, sin) [N, head_dim], applied to q and k with interleaved pairs
    /// (after the q/k norm); attention scale 1/√head_dim, no mask.
    public func callAsFunction(_ x: Tensor, rope: (cos: Tensor, sin: Tensor)?) -> Tensor {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let hd = d / heads
        guard let qNorm, let kNorm else {
            return proj(Tensor.attention(qkv: qkv(x), heads: heads,
                                         rope: rope.map { HeadRope(sin: $0.sin, cos: $0.cos, interleaved: true) }))
        }
        // [B, N, 3, H, hd] → [3, B, H, N, hd]
        let parts = qkv(x).reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4]).split([1, 1, 1], axis: 0)
        var q = qNorm(parts[0].reshaped([b, heads, n, hd])), k = kNorm(parts[1].reshaped([b, heads, n, hd]))
        if let rope {
            q = q.rope(sin: rope.sin, cos: rope.cos, interleaved: true)
            k = k.rope(sin: rope.sin, cos: rope.cos, interleaved: true)
        }
        let o = Tensor.attention(q: q, k: k, v: parts[2].reshaped([b, heads, n, hd]))
        return proj(o.permuted([0, 2, 1, 3]).reshaped([b, n, d]))
    }
}

/// The official `models/swiglu_ffn.py` `SwiGLUFFN` with a fused input projection: h = w12(x) [.., 2H],
/// (x₁, x₂) = halves of h, out = w3(silu(x₁)·x₂). Keys: `w12` [2H, D], `w3` [D, H] (with biases).
public final class FusedSwiGLUFFN: Module {
    public let w12: Linear, w3: Linear
    public var items: [ModuleItem] { [.child("w12", w12), .child("w3", w3)] }

    public init(_ d: Int, hidden: Int, rng: inout RNG) {
        w12 = Linear(d, 2 * hidden, rng: &rng)
        w3 = Linear(hidden, d, rng: &rng)
    }

    /// x [..., D] → [..., D].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        w3(w12(x).swigluHalves())
    }
}

extension FusedSwiGLUFFN: FeedForward {}

/// adaLN `modulate`: x·(1 + scale) + shift, with scale/shift [B, D] broadcast over the tokens of x [B, N, D]
/// (no shift for `wo_shift`).
func modulate(_ x: Tensor, shift: Tensor?, scale: Tensor) -> Tensor {
    let (b, d) = (scale.shape[0], scale.shape[1])
    let y = x * (scale.reshaped([b, 1, d]) + 1)
    return shift.map { y + $0.reshaped([b, 1, d]) } ?? y
}

/// `LightningDiTBlock` (`blocks.i`): x += gate_msa·attn(modulate(norm1 x)), x += gate_mlp·mlp(modulate(norm2 x)),
/// modulation vectors from adaLN_modulation(c) = Linear(SiLU(c)) chunked in the order (shift_msa, scale_msa,
/// gate_msa, shift_mlp, scale_mlp, gate_mlp), or without shifts (scale_msa, gate_msa, scale_mlp, gate_mlp).
/// Keys: `norm1`, `norm2` (RMSNorm `weight`; LayerNorm has none), `attn`, `mlp` (`w12`/`w3` or `fc1`/`fc2`),
/// `adaLN_modulation.1` [6D or 4D, D].
public final class LightningDiTBlock: Module {
    let norm1: Module & NormLayer, norm2: Module & NormLayer
    public let attn: DiTAttention
    let mlp: FeedForward
    public let adaLN: Linear
    public let woShift: Bool
    public var items: [ModuleItem] {
        [.child("norm1", norm1), .child("norm2", norm2), .child("attn", attn), .child("mlp", mlp),
         .child("adaLN_modulation.1", adaLN)]
    }

    init(config c: LightningDiTConfig, rng: inout RNG) {
        let d = c.hiddenSize
        func norm() -> Module & NormLayer { c.useRmsnorm ? RMSNorm(d, eps: 1e-6) : LayerNorm(d, eps: 1e-6, affine: false) }
        norm1 = norm()
        norm2 = norm()
        attn = DiTAttention(dim: d, heads: c.numHeads, qkNorm: c.useQknorm, rmsNorm: c.useRmsnorm, rng: &rng)
        mlp = c.useSwiglu ? FusedSwiGLUFFN(d, hidden: c.mlpHiddenSize, rng: &rng)
                          : MLP(d, hidden: c.mlpHiddenSize, approximateGELU: true, rng: &rng)
        adaLN = Linear(d, (c.woShift ? 4 : 6) * d, rng: &rng)
        woShift = c.woShift
    }

    /// x [B, N, D], c [B, D] → [B, N, D].
    public func callAsFunction(_ x: Tensor, c: Tensor, rope: (cos: Tensor, sin: Tensor)?) -> Tensor {
        let (b, d) = (x.shape[0], x.shape[2])
        let m = adaLN(c.silu()).split(Array(repeating: d, count: woShift ? 4 : 6), axis: 1)
        func gated(_ g: Tensor, _ y: Tensor) -> Tensor { g.reshaped([b, 1, d]) * y }
        let (shiftMSA, scaleMSA, gateMSA) = woShift ? (nil, m[0], m[1]) : (m[0], m[1], m[2])
        let (shiftMLP, scaleMLP, gateMLP) = woShift ? (nil, m[2], m[3]) : (m[3], m[4], m[5])
        let h = x + gated(gateMSA, attn(modulate(norm1(x), shift: shiftMSA, scale: scaleMSA), rope: rope))
        return h + gated(gateMLP, mlp(modulate(norm2(h), shift: shiftMLP, scale: scaleMLP)))
    }
}
