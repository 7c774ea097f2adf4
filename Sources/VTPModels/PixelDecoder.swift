import VTPNN
import VTPTensor

// port of MiniMax-AI/VTP vtp/models/decoders/pixel_decoder.py (written anew)

/// DINOv3 pixel decoder: 1×1 conv in, RoPE ViT on the latent grid (no CLS), norm, 1×1 conv out, PixelShuffle.
/// Keys: `proj_in` [Dd, C, 1, 1], `rope_embed.periods`, `blocks.{i}`, `norm`, `proj_out` [3·r², Dd, 1, 1].
public final class PixelDecoder: Module {
    public let projIn: Conv2d, projOut: Conv2d
    public let ropeEmbed: RopePositionEmbedding
    public let blocks: [SelfAttentionBlock]
    let norm: Module & NormLayer
    public let upscale: Int, embedDim: Int, latentChannels: Int
    public var items: [ModuleItem] {
        [.child("proj_in", projIn), .child("rope_embed", ropeEmbed), .list("blocks", blocks), .child("norm", norm),
         .child("proj_out", projOut)]
    }

    public init(config c: VTPConfig, rng: inout RNG) {
        let d = c.decoderEmbedDim
        embedDim = d
        upscale = c.upscaleFactor
        latentChannels = c.latentChannels
        projIn = Conv2d(c.latentChannels, d, kernel: 1, std: 0.02, rng: &rng)
        ropeEmbed = RopePositionEmbedding(headDimensions: d / c.decoderNumHeads)
        let ffn = FFNKind(rawValue: c.decoderFfnLayer) ?? .swiglu, norm = NormKind(rawValue: c.decoderNormLayer) ?? .layernorm
        // The decoder's FFN ratio is the official default 4 (VTPConfig has no field for it).
        blocks = (0..<c.decoderDepth).map { _ in
            SelfAttentionBlock(dim: d, heads: c.decoderNumHeads, ffnRatio: 4, ffn: ffn, norm: norm,
                               layerScale: c.decoderInitValues, qkNorm: c.decoderUseQkNorm, rng: &rng)
        }
        self.norm = norm.make(d)
        projOut = Conv2d(d, 3 * upscale * upscale, kernel: 1, std: 0.02, rng: &rng)
    }

    /// latents [B, C, h, w] → images [B, 3, h·r, w·r] (ImageNet-normalised space).
    public func callAsFunction(_ z: Tensor, precision: RopePrecision) -> Tensor {
        let (b, h, w) = (z.shape[0], z.shape[2], z.shape[3])
        var x = projIn(z).reshaped([b, embedDim, h * w]).permuted([0, 2, 1])  // [B, N, Dd]
        let rope = ropeEmbed.tables(height: h, width: w, precision: precision)
        for blk in blocks { x = blk(x, rope: rope, precision: precision) }
        x = norm(x).permuted([0, 2, 1]).reshaped([b, embedDim, h, w])
        return projOut(x).pixelShuffle(upscale)
    }
}
