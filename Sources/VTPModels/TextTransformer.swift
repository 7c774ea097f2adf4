import Foundation
import VTPNN
import VTPTensor

// port of MiniMax-AI/VTP vtp/models/encoders/text_transformer.py (OpenCLIP text tower; written anew)

/// OpenCLIP `ResidualAttentionBlock`. Keys: `ln_1`, `attn`, `ls_1`, `ln_2`, `mlp.c_fc`, `mlp.c_proj`, `ls_2`.
public final class ResidualAttentionBlock: Module {
    let ln1: LayerNorm, ln2: LayerNorm
    let attn: MultiheadAttention
    let cFc: Linear, cProj: Linear
    let ls1: LayerScale?, ls2: LayerScale?
    let quickGELU: Bool
    public var items: [ModuleItem] {
        [.child("ln_1", ln1), .child("attn", attn), .child("ls_1", ls1), .child("ln_2", ln2),
         .child("mlp", MLPKeys(cFc: cFc, cProj: cProj)), .child("ls_2", ls2)]
    }

    init(width: Int, heads: Int, mlpRatio: Double, layerScale: Double?, quickGELU: Bool, rng: inout RNG) {
        ln1 = LayerNorm(width, eps: 1e-5)
        ln2 = LayerNorm(width, eps: 1e-5)
        attn = MultiheadAttention(width: width, heads: heads, rng: &rng)
        let hidden = Int(Double(width) * mlpRatio)
        cFc = Linear(width, hidden, rng: &rng)
        cProj = Linear(hidden, width, rng: &rng)
        ls1 = layerScale.map { LayerScale(width, initValue: Float($0)) }
        ls2 = layerScale.map { LayerScale(width, initValue: Float($0)) }
        self.quickGELU = quickGELU
    }

    func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        var a = attn(ln1(x), causal: causal)
        if let ls1 { a = ls1(a) }
        let h = x + a
        let hidden = cFc(ln2(h))
        // QuickGELU: x·σ(1.702x); otherwise exact GELU.
        let act = quickGELU ? hidden * (hidden * 1.702).sigmoid() : hidden.gelu()
        var f = cProj(act)
        if let ls2 { f = ls2(f) }
        return h + f
    }
}

/// The `mlp` Sequential of a text block: keys `c_fc`, `c_proj`.
final class MLPKeys: Module {
    let cFc: Linear, cProj: Linear
    init(cFc: Linear, cProj: Linear) { (self.cFc, self.cProj) = (cFc, cProj) }
    var items: [ModuleItem] { [.child("c_fc", cFc), .child("c_proj", cProj)] }
}

/// The text tower, flattened into the top level of the checkpoint as the official `VTPModel` does.
/// Keys: `token_embedding`, `positional_embedding` [L, W], `text_transformer.resblocks.{i}`, `ln_final`,
/// `text_projection` ([W, out] used as x·P, or a Linear when `text_proj_bias`).
public final class TextTransformer: Module {
    let tokenEmbedding: Embedding
    public let positionalEmbedding: Parameter
    let resblocks: [ResidualAttentionBlock]
    let lnFinal: LayerNorm
    let projectionMatrix: Parameter?
    let projectionLinear: Linear?
    let config: VTPConfig
    public var items: [ModuleItem] {
        [.child("token_embedding", tokenEmbedding), .parameter("positional_embedding", positionalEmbedding),
         .child("text_transformer", ResblockKeys(resblocks)), .child("ln_final", lnFinal),
         .parameter("text_projection", projectionMatrix), .child("text_projection", projectionLinear)]
    }

    init(config c: VTPConfig, rng: inout RNG) {
        let w = c.textEmbedDim
        config = c
        tokenEmbedding = Embedding(c.textVocabSize, w, std: 0.02, rng: &rng)
        positionalEmbedding = Parameter(Tensor.randomNormal([c.textContextLength, w], std: 0.01, rng: &rng))
        resblocks = (0..<c.textDepth).map { _ in
            ResidualAttentionBlock(width: w, heads: c.textNumHeads, mlpRatio: c.textMlpRatio, layerScale: c.textLsInitValue,
                                   quickGELU: c.textQuickGelu, rng: &rng)
        }
        lnFinal = LayerNorm(w, eps: 1e-5)
        let hasProjection = c.hasTextProjection
        if hasProjection && c.textProjBias {
            projectionLinear = Linear(w, w, rng: &rng)
            projectionMatrix = nil
        } else {
            projectionLinear = nil
            projectionMatrix = hasProjection ? Parameter(Tensor.randomNormal([w, w], std: 1 / Float(w).squareRoot(), rng: &rng)) : nil
        }
    }

    /// token ids [T, L] (row-major) → features [T, out] (or [T, L, out] with pool type "none").
    func callAsFunction(_ ids: [Int], rows: Int) throws -> Tensor {
        let l = config.textContextLength
        guard rows > 0, ids.count == rows * l else {
            throw VTPError.invalidInput("text tokens must be [T, \(l)] (context length \(l)); got \(ids.count) ids for \(rows) rows")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= config.textVocabSize }) {
            throw VTPError.invalidInput("token id \(bad) is outside the vocabulary 0..<\(config.textVocabSize)")
        }
        var x = tokenEmbedding(ids, shape: [rows, l]) + positionalEmbedding.value
        for blk in resblocks { x = blk(x, causal: !config.textNoCausalMask) }
        x = lnFinal(x)
        var pooled: Tensor
        switch config.textPooling {
        case .first: pooled = x.slice(axis: 1, 0..<1).reshaped([rows, -1])
        case .last: pooled = x.slice(axis: 1, (l - 1)..<l).reshaped([rows, -1])
        case .argmax:
            // Position of the largest id in each row (the end token); the first maximum wins.
            let idx = (0..<rows).map { r -> Int in
                let row = ids[(r * l)..<((r + 1) * l)]
                let m = row.max() ?? 0
                return r * l + (row.firstIndex(of: m)! - r * l)
            }
            pooled = x.reshaped([rows * l, -1]).gatherRows(idx)
        case .none: pooled = x
        }
        if let p = projectionMatrix { pooled = pooled.matmul(p.value) }
        if let p = projectionLinear { pooled = p(pooled) }
        return pooled
    }
}

/// `text_transformer.resblocks.{i}`.
final class ResblockKeys: Module {
    let blocks: [ResidualAttentionBlock]
    init(_ blocks: [ResidualAttentionBlock]) { self.blocks = blocks }
    var items: [ModuleItem] { [.list("resblocks", blocks)] }
}
