import VTPNN
import VTPTensor

// port of the DINOv3 layers in MiniMax-AI/VTP vtp/models/layers/{attention,block,ffn}.py (written anew)

/// A feed-forward module of either kind.
protocol FeedForward: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}
extension SwiGLUFFN: FeedForward {}
extension MLP: FeedForward {}

/// Builds the official FFN for `kind`: "mlp" (fc1/fc2, exact GELU, hidden D·ratio) or SwiGLU variants.
func makeFeedForward(_ kind: FFNKind, dim: Int, ratio: Double, rng: inout RNG) -> FeedForward {
    let hidden = Int(Double(dim) * ratio)
    switch kind {
    case .mlp: return MLP(dim, hidden: hidden, rng: &rng)
    default: return SwiGLUFFN(dim, hidden: SwiGLUFFN.hiddenDimensions(dim, ratio: ratio, align: kind.align), rng: &rng)
    }
}

/// DINOv3 `SelfAttention`. Keys: `qkv` [3D, D], `proj` [D, D], optional `q_norm`/`k_norm` (RMSNorm over head dim).
public final class SelfAttention: Module {
    public let qkv: Linear, proj: Linear
    public let qNorm: RMSNorm?, kNorm: RMSNorm?
    public let heads: Int
    public var items: [ModuleItem] {
        [.child("qkv", qkv), .child("proj", proj), .child("q_norm", qNorm), .child("k_norm", kNorm)]
    }

    public init(dim: Int, heads: Int, qkNorm: Bool, rng: inout RNG) {
        qkv = Linear(dim, 3 * dim, rng: &rng)
        proj = Linear(dim, dim, rng: &rng)
        qNorm = qkNorm ? RMSNorm(dim / heads) : nil
        kNorm = qkNorm ? RMSNorm(dim / heads) : nil
        self.heads = heads
    }

    /// x [B, N, D] → [B, N, D]. RoPE tables cover the last `sin.shape[0]` tokens (earlier ones are the prefix).
    public func callAsFunction(_ x: Tensor, rope: (sin: Tensor, cos: Tensor)?, precision: RopePrecision) -> Tensor {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let hd = d / heads
        if qNorm == nil {
            // Fused path: attention reads q, k, v from the projection (rotating q and k) and merges the heads.
            let r = rope.map { HeadRope(sin: $0.sin, cos: $0.cos, prefix: n - $0.sin.shape[0], bf16: precision == .bf16) }
            return proj(Tensor.attention(qkv: qkv(x), heads: heads, rope: r))
        }
        // [B, N, 3, H, hd] → [3, B, H, N, hd]
        let parts = qkv(x).reshaped([b, n, 3, heads, hd]).permuted([2, 0, 3, 1, 4]).split([1, 1, 1], axis: 0)
        var q = parts[0].reshaped([b, heads, n, hd]), k = parts[1].reshaped([b, heads, n, hd])
        let v = parts[2].reshaped([b, heads, n, hd])
        if let qNorm, let kNorm { q = qNorm(q); k = kNorm(k) }
        if let rope {
            let prefix = n - rope.sin.shape[0]
            q = q.rope(sin: rope.sin, cos: rope.cos, prefix: prefix, bf16: precision == .bf16)
            k = k.rope(sin: rope.sin, cos: rope.cos, prefix: prefix, bf16: precision == .bf16)
        }
        let o = Tensor.attention(q: q, k: k, v: v)
        return proj(o.permuted([0, 2, 1, 3]).reshaped([b, n, d]))
    }
}

/// Pre-norm transformer block: x + ls1(attn(norm1 x)), then + ls2(mlp(norm2 x)).
/// Keys: `norm1`, `attn`, `ls1`, `norm2`, `mlp`, `ls2` (LayerScale only when `init_values` is set).
public final class SelfAttentionBlock: Module {
    let norm1: Module & NormLayer, norm2: Module & NormLayer
    public let attn: SelfAttention
    let mlp: FeedForward
    let ls1: LayerScale?, ls2: LayerScale?
    public var items: [ModuleItem] {
        [.child("norm1", norm1), .child("attn", attn), .child("ls1", ls1),
         .child("norm2", norm2), .child("mlp", mlp), .child("ls2", ls2)]
    }

    init(dim: Int, heads: Int, ffnRatio: Double, ffn: FFNKind, norm: NormKind, layerScale: Double?, qkNorm: Bool,
         rng: inout RNG) {
        norm1 = norm.make(dim)
        attn = SelfAttention(dim: dim, heads: heads, qkNorm: qkNorm, rng: &rng)
        norm2 = norm.make(dim)
        mlp = makeFeedForward(ffn, dim: dim, ratio: ffnRatio, rng: &rng)
        // The official block tests `if init_values`, so 0 also means "no LayerScale".
        let ls = layerScale.flatMap { $0 == 0 ? nil : Float($0) }
        ls1 = ls.map { LayerScale(dim, initValue: $0) }
        ls2 = ls.map { LayerScale(dim, initValue: $0) }
    }

    /// x [B, N, D] → [B, N, D].
    public func callAsFunction(_ x: Tensor, rope: (sin: Tensor, cos: Tensor)?, precision: RopePrecision) -> Tensor {
        let h = x + attentionBranch(x, rope: rope, precision: precision)
        return h + mlpBranch(h)
    }

    func attentionBranch(_ x: Tensor, rope: (sin: Tensor, cos: Tensor)?, precision: RopePrecision) -> Tensor {
        let a = attn(norm1(x), rope: rope, precision: precision)
        return ls1.map { $0(a) } ?? a
    }

    func mlpBranch(_ x: Tensor) -> Tensor {
        let f = mlp(norm2(x))
        return ls2.map { $0(f) } ?? f
    }

    /// Training forward with DINOv2 "sample drop" (stochastic depth per sample): each residual branch runs on a
    /// random subset of keep = max(⌊B·(1 − r)⌋, 1) samples and is added back scaled by B/keep (the others skip it).
    public func callAsFunction(_ x: Tensor, rope: (sin: Tensor, cos: Tensor)?, precision: RopePrecision,
                               dropRatio: Float, rng: inout RNG) -> Tensor {
        guard dropRatio > 0, x.shape[0] > 1 else { return self(x, rope: rope, precision: precision) }
        func dropped(_ x: Tensor, _ branch: (Tensor) -> Tensor, rng: inout RNG) -> Tensor {
            let b = x.shape[0], rest = Array(x.shape.dropFirst())
            let keep = Swift.max(Int(Float(b) * (1 - dropRatio)), 1)
            let idx = Array(rng.permutation(b).prefix(keep))
            let rows = x.reshaped([b, -1])
            let subset = rows.gatherRows(idx).reshaped([keep] + rest)
            let r = branch(subset).reshaped([keep, -1]) * (Float(b) / Float(keep))
            return rows.scatterAddRows(idx, r).reshaped(x.shape)
        }
        let h = dropped(x, { self.attentionBranch($0, rope: rope, precision: precision) }, rng: &rng)
        return dropped(h, mlpBranch, rng: &rng)
    }
}
