import Foundation
import VTPNN
import VTPTensor

// port of MiniMax-AI/VTP vtp/models/vtp_hf/modeling_vtp.py (written anew)

/// The VTP model: vision trunk (+bottleneck), CLIP visual projection, pixel decoder, text tower, logit scale.
///
/// Top-level keys: `trunk.*`, `visual_proj.weight` [W, D] (no bias), `pixel_decoder.*`, the flattened text tower
/// (`token_embedding.weight`, `positional_embedding`, `text_transformer.*`, `ln_final.*`, `text_projection`),
/// `logit_scale` ([] or [1]) and optional `logit_bias`.
///
/// ```swift
/// let model = try VTPModel.load(directory: URL(fileURLWithPath: "VTP-Base-f16d64"))
/// let latents = try model.reconstructionLatents(images)      // [B, 64, H/16, W/16]
/// let recon = try model.decode(latents)                        // [B, 3, H, W]
/// ```
public final class VTPModel: Module {
    public let config: VTPConfig
    public let trunk: VisionTransformer
    public let visualProj: Linear?
    public let pixelDecoder: PixelDecoder?
    public let text: TextTransformer?
    public let logitScale: Parameter?
    public let logitBias: Parameter?
    /// How RoPE is computed (`.bf16` reproduces the official numerics; `.fp32` is plain float32).
    public var ropePrecision: RopePrecision = .bf16

    public var items: [ModuleItem] {
        [.child("trunk", trunk), .child("visual_proj", visualProj), .child("pixel_decoder", pixelDecoder),
         .child("", text), .parameter("logit_scale", logitScale), .parameter("logit_bias", logitBias)]
    }

    /// A randomly initialised model (the official initialisation; see `VTPInit`).
    public init(config: VTPConfig, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        var rng = RNG(seed: seed)
        trunk = VisionTransformer(config: config, rng: &rng)
        if config.trainClip {
            let projIn = config.visionBottleneckAeOnly ? config.visionEmbedDim : config.latentChannels
            visualProj = Linear(projIn, config.textEmbedDim, bias: false, rng: &rng)
            text = TextTransformer(config: config, rng: &rng)
            let shape = config.nonscalarLogitScale ? [1] : []
            // The official code reads `init_logit_scale or ln(1/0.07)`: 0 also means the default.
            let scale = config.initLogitScale.flatMap { $0 == 0 ? nil : $0 } ?? Foundation.log(1 / 0.07)
            logitScale = Parameter(Tensor(repeating: Float(scale), shape: shape))
            logitBias = config.initLogitBias.map { Parameter(Tensor(repeating: Float($0), shape: shape)) }
        } else {
            (visualProj, text, logitScale, logitBias) = (nil, nil, nil, nil)
        }
        pixelDecoder = config.trainReconstruction ? PixelDecoder(config: config, rng: &rng) : nil
    }

    // MARK: features

    /// Final-norm CLS [B, D] and patch tokens [B, N, D] (or bottlenecked [B, C], [B, N, C]).
    public func lastLayerFeatures(_ images: Tensor, useBottleneck: Bool = false) throws -> TrunkOutput {
        try trunk.checkImages(images)
        return trunk(images, useBottleneck: useBottleneck, precision: ropePrecision)
    }

    /// Outputs of selected blocks, each through the final norm: (patches [B, N, D] or [B, D, h, w] when
    /// `reshape`, CLS [B, D]). `blocks` are block indices (e.g. the last n: depth−n ..< depth).
    public func intermediateLayers(_ images: Tensor, blocks wanted: [Int], reshape: Bool = false)
        throws -> [(patches: Tensor, cls: Tensor)] {
        try trunk.checkImages(images)
        let depth = trunk.blocks.count
        for i in wanted where i < 0 || i >= depth {
            throw VTPError.invalidInput("block index \(i) is out of range 0..<\(depth)")
        }
        var taken: [Int: Tensor] = [:], unused = RNG(seed: 0)
        let f = trunk.features(images, precision: ropePrecision, rng: &unused) { i, x in
            if wanted.contains(i) { taken[i] = x }
        }
        let (h, w) = (f.height, f.width)
        return wanted.sorted().map { i in
            let (cls, patches) = trunk.finalNorm(taken[i]!)
            if reshape {
                let b = patches.shape[0], d = patches.shape[2]
                return (patches.permuted([0, 2, 1]).reshaped([b, d, h, w]), cls)
            }
            return (patches, cls)
        }
    }

    /// The last `n` blocks (as `get_intermediate_layers(n=n)`).
    public func intermediateLayers(_ images: Tensor, last n: Int, reshape: Bool = false) throws -> [(patches: Tensor, cls: Tensor)] {
        let depth = trunk.blocks.count
        guard n >= 1 && n <= depth else { throw VTPError.invalidInput("n must be in 1...\(depth), got \(n)") }
        return try intermediateLayers(images, blocks: Array((depth - n)..<depth), reshape: reshape)
    }

    // MARK: reconstruction

    /// Latents [B, C, H/p, W/p] (bottlenecked, final-norm patch tokens, channel-first).
    public func reconstructionLatents(_ images: Tensor) throws -> Tensor {
        try trunk.checkImages(images)
        let out = trunk(images, useBottleneck: false, precision: ropePrecision)
        return latents(patchTokens: out.patchTokens, height: images.shape[2] / trunk.patchSize,
                       width: images.shape[3] / trunk.patchSize)
    }

    /// Latents [B, C, h, w] from the trunk's final-norm patch tokens [B, h·w, D] (not yet through the bottleneck).
    public func latents(patchTokens: Tensor, height h: Int, width w: Int) -> Tensor {
        let z = trunk.featureBottleneck.map { $0(patchTokens) } ?? patchTokens
        return z.permuted([0, 2, 1]).reshaped([patchTokens.shape[0], config.latentChannels, h, w])
    }

    /// Decodes latents [B, C, h, w] to images [B, 3, h·r, w·r] in ImageNet-normalised space.
    public func decode(_ latents: Tensor) throws -> Tensor {
        guard let pixelDecoder else { throw VTPError.towerMissing("this model has no pixel decoder (train_reconstruction is false)") }
        guard latents.rank == 4, latents.shape[0] > 0, latents.shape[1] == config.latentChannels, latents.shape[2] > 0, latents.shape[3] > 0 else {
            throw VTPError.invalidInput("latents must be [B, \(config.latentChannels), h, w] with B ≥ 1, got \(latents.shape)")
        }
        return pixelDecoder(latents, precision: ropePrecision)
    }

    /// Encode then decode.
    public func reconstruct(_ images: Tensor) throws -> Tensor { try decode(try reconstructionLatents(images)) }

    // MARK: CLIP

    /// CLIP image embedding [B, W] (L2-normalised when `normalize`).
    public func clipImageFeatures(_ images: Tensor, normalize: Bool = true) throws -> Tensor {
        try trunk.checkImages(images)
        let out = trunk(images, useBottleneck: false, precision: ropePrecision)
        return try clipImageFeatures(cls: out.clsToken, patches: out.patchTokens, normalize: normalize)
    }

    /// CLIP image embedding [B, W] from the trunk's final-norm tokens, CLS [B, D] and patches [B, N, D] (not yet
    /// through the bottleneck): the CLS token or the mean patch token (`vision_clip_feat`), through the
    /// bottleneck unless `vision_bottleneck_ae_only`, then `visual_proj`.
    public func clipImageFeatures(cls: Tensor, patches: Tensor, normalize: Bool = true) throws -> Tensor {
        guard let visualProj else { throw VTPError.towerMissing("this model has no CLIP towers (train_clip is false)") }
        let bottleneck = config.visionBottleneckAeOnly ? nil : trunk.featureBottleneck
        let feature = config.clipFeature == .pooled
            ? (bottleneck.map { $0(patches) } ?? patches).mean(axis: 1)
            : (bottleneck.map { $0(cls) } ?? cls)
        let f = visualProj(feature)
        return normalize ? f.l2Normalized() : f
    }

    /// CLIP text embedding [T, W] from token ids [T, context] (row-major).
    public func clipTextFeatures(tokens: [Int], rows: Int, normalize: Bool = true) throws -> Tensor {
        guard let text else { throw VTPError.towerMissing("this model has no CLIP towers (train_clip is false)") }
        let f = try text(tokens, rows: rows)
        return normalize ? f.l2Normalized() : f
    }

    /// exp(logit_scale)·img·txtᵀ (+ logit_bias): [B, T].
    public func clipLogits(imageFeatures: Tensor, textFeatures: Tensor) throws -> Tensor {
        guard let logitScale else { throw VTPError.towerMissing("this model has no CLIP towers (train_clip is false)") }
        var logits = imageFeatures.matmul(textFeatures, transposeB: true) * logitScale.value.reshaped([1, 1]).exp()
        if let logitBias { logits = logits + logitBias.value.reshaped([1, 1]) }
        return logits
    }
}
