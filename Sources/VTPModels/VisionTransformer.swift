import VTPNN
import VTPTensor

// port of MiniMax-AI/VTP vtp/models/encoders/vision_transformer{,_bottleneck}.py (written anew)

/// Patch embedding: Conv2d(3 → D, kernel = stride = patch). Keys: `proj.weight` [D, 3, p, p], `proj.bias`.
public final class PatchEmbed: Module {
    public let proj: Conv2d
    public var items: [ModuleItem] { [.child("proj", proj)] }

    init(patch: Int, dim: Int, rng: inout RNG) {
        proj = Conv2d(3, dim, kernel: patch, stride: patch, rng: &rng)
    }

    /// images [B, 3, H, W] → tokens [B, h·w, D] (row-major grid).
    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = proj(x)  // [B, D, h, w]
        let (b, d) = (y.shape[0], y.shape[1])
        return y.reshaped([b, d, -1]).permuted([0, 2, 1])
    }
}

/// What a trunk forward returns: final-norm CLS and patch tokens (bottlenecked when asked).
public struct TrunkOutput {
    /// [B, C]
    public var clsToken: Tensor
    /// [B, N, C]
    public var patchTokens: Tensor
}

/// DINOv3 ViT with a linear bottleneck (`trunk`). Keys: `cls_token` [1, 1, D], `mask_token` [1, D],
/// `patch_embed`, `rope_embed.periods`, `blocks.{i}`, `norm`, `feature_bottleneck` [C, D] (no bias).
public final class VisionTransformer: Module {
    public let clsToken: Parameter, maskToken: Parameter
    public let patchEmbed: PatchEmbed
    public let ropeEmbed: RopePositionEmbedding
    public let blocks: [SelfAttentionBlock]
    let norm: Module & NormLayer
    public let featureBottleneck: Linear?
    public let patchSize: Int, embedDim: Int
    public var items: [ModuleItem] {
        [.parameter("cls_token", clsToken), .parameter("mask_token", maskToken), .child("patch_embed", patchEmbed),
         .child("rope_embed", ropeEmbed), .list("blocks", blocks), .child("norm", norm),
         .child("feature_bottleneck", featureBottleneck)]
    }

    public init(config c: VTPConfig, rng: inout RNG) {
        let d = c.visionEmbedDim
        patchSize = c.visionPatchSize
        embedDim = d
        clsToken = Parameter(Tensor.randomNormal([1, 1, d], std: 0.02, rng: &rng))
        maskToken = Parameter(Tensor.zeros([1, d]))
        patchEmbed = PatchEmbed(patch: c.visionPatchSize, dim: d, rng: &rng)
        ropeEmbed = RopePositionEmbedding(headDimensions: d / c.visionNumHeads)
        let ffn = FFNKind(rawValue: c.visionFfnLayer) ?? .swiglu, norm = NormKind(rawValue: c.visionNormLayer) ?? .rmsnorm
        blocks = (0..<c.visionDepth).map { _ in
            SelfAttentionBlock(dim: d, heads: c.visionNumHeads, ffnRatio: c.visionMlpRatio, ffn: ffn, norm: norm,
                               layerScale: c.visionInitValues, qkNorm: c.visionUseQkNorm, rng: &rng)
        }
        self.norm = norm.make(d)
        featureBottleneck = c.hasBottleneck ? Linear(d, c.latentChannels, bias: false, rng: &rng) : nil
    }

    /// Checks that an image batch [B, 3, H, W] fits the patch grid.
    public func checkImages(_ x: Tensor) throws {
        guard x.rank == 4, x.shape[1] == 3, x.shape[0] > 0 else {
            throw VTPError.invalidInput("images must be [B, 3, H, W] with B ≥ 1, got \(x.shape)")
        }
        guard x.shape[2] % patchSize == 0, x.shape[3] % patchSize == 0, x.shape[2] > 0, x.shape[3] > 0 else {
            throw VTPError.invalidImageSize(height: x.shape[2], width: x.shape[3], patch: patchSize)
        }
    }

    /// [CLS, patches] before the blocks, and the grid size. `masks` (B·N booleans) replace patch embeddings
    /// by `mask_token` (iBOT training).
    public func prepareTokens(_ x: Tensor, masks: [Bool]? = nil) -> (Tensor, h: Int, w: Int) {
        let (b, h, w) = (x.shape[0], x.shape[2] / patchSize, x.shape[3] / patchSize)
        var patches = patchEmbed(x)  // [B, N, D]
        if let masks {
            let m = Tensor(masks.map { $0 ? 1 : 0 }, shape: [b, h * w, 1])
            patches = patches * (1 - m) + m * maskToken.value.reshaped([1, 1, embedDim])
        }
        let cls = masks == nil ? clsToken.value + maskToken.value.reshaped([1, 1, embedDim]) * 0 : clsToken.value
        let tokens = Tensor.concat([cls.expanded(to: [b, 1, embedDim]), patches], axis: 1)
        return (tokens, h, w)
    }

    /// Runs the blocks, calling `tap(i, x)` after block i; returns the last hidden state [B, 1+N, D]. With
    /// `dropRatio` > 0, each block applies DINOv2's per-sample stochastic depth drawn from `rng` (training).
    func runBlocks(_ x: Tensor, h: Int, w: Int, precision: RopePrecision, dropRatio: Float, rng: inout RNG,
                   tap: ((Int, Tensor) -> Void)?) -> Tensor {
        let rope = ropeEmbed.tables(height: h, width: w, precision: precision)
        var x = x
        for (i, blk) in blocks.enumerated() {
            x = blk(x, rope: rope, precision: precision, dropRatio: dropRatio, rng: &rng)
            tap?(i, x)
        }
        return x
    }

    /// Applies the final norm and splits CLS / patch tokens.
    public func finalNorm(_ x: Tensor) -> (cls: Tensor, patches: Tensor) {
        let n = norm(x)
        let t = n.shape[1]
        return (n.slice(axis: 1, 0..<1).reshaped([n.shape[0], n.shape[2]]), n.slice(axis: 1, 1..<t))
    }

    /// The one forward of the trunk, used by inference, evaluation and every training objective: tokens (patch
    /// embeddings with `masks` replaced by `mask_token`, as iBOT) → blocks (per-sample drop with `dropRatio` > 0,
    /// from `rng`; `tap(i, x)` after block i) → final norm. Returns CLS [B, D], patches [B, N, D] and the grid.
    public func features(_ images: Tensor, masks: [Bool]? = nil, precision: RopePrecision, dropRatio: Float = 0,
                         rng: inout RNG, tap: ((Int, Tensor) -> Void)? = nil) -> TrunkFeatures {
        let (tokens, h, w) = prepareTokens(images, masks: masks)
        let (cls, patches) = finalNorm(runBlocks(tokens, h: h, w: w, precision: precision, dropRatio: dropRatio, rng: &rng, tap: tap))
        return TrunkFeatures(cls: cls, patches: patches, height: h, width: w)
    }

    /// Inference forward: final-norm CLS [B, C] and patches [B, N, C], through the bottleneck when `useBottleneck`.
    public func callAsFunction(_ images: Tensor, useBottleneck: Bool, precision: RopePrecision,
                               masks: [Bool]? = nil) -> TrunkOutput {
        var unused = RNG(seed: 0)
        let f = features(images, masks: masks, precision: precision, rng: &unused)
        if useBottleneck, let fb = featureBottleneck {
            return TrunkOutput(clsToken: fb(f.cls), patchTokens: fb(f.patches))
        }
        return TrunkOutput(clsToken: f.cls, patchTokens: f.patches)
    }
}

/// The trunk's final-norm features of a batch: CLS [B, D], patch tokens [B, N, D], the patch grid h × w.
public struct TrunkFeatures {
    public var cls: Tensor
    public var patches: Tensor
    public var height: Int
    public var width: Int
}
