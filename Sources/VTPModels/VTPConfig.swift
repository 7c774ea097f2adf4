import Foundation
import VTPNN

/// Every field of the official `VTPConfig` (`config.json` of `MiniMaxAI/VTP-*`), with the official defaults,
/// plus SwiftVTP extras that the official loader ignores.
public struct VTPConfig: Codable, Equatable, Sendable {
    public var imageSize = 256
    public var trainClip = true
    public var trainReconstruction = true
    public var visionPatchSize = 16
    public var visionEmbedDim = 768
    public var visionDepth = 12
    public var visionNumHeads = 12
    public var visionMlpRatio = 4.0
    public var visionFfnLayer = "swiglu"
    public var visionNormLayer = "rmsnorm"
    public var visionInitValues: Double? = nil
    public var visionUseQkNorm = false
    /// Latent channels; `nil` or equal to `visionEmbedDim` means no bottleneck.
    public var visionFeatureBottleneck: Int? = 64
    public var visionBottleneckAeOnly = true
    public var visionClipFeat = "cls"
    public var textContextLength = 77
    public var textVocabSize = 49408
    public var textEmbedDim = 768
    public var textNumHeads = 12
    public var textDepth = 12
    public var textMlpRatio = 4.0
    public var textLsInitValue: Double? = nil
    public var textEmbedCls = false
    public var textPadId = 0
    public var textNoCausalMask = false
    public var textPoolType = "argmax"
    public var textProjType = "linear"
    public var textProjBias = false
    public var textOutputTokens = false
    public var textQuickGelu = false
    public var decoderEmbedDim = 768
    public var decoderNumHeads = 12
    public var decoderDepth = 12
    public var decoderFfnLayer = "swiglu"
    public var decoderNormLayer = "layernorm"
    public var decoderInitValues: Double? = nil
    public var decoderUseQkNorm = false
    public var initLogitScale: Double? = nil
    public var initLogitBias: Double? = nil
    public var nonscalarLogitScale = false
    // HF bookkeeping, kept so that a saved config looks like the official one.
    public var modelType = "vtp"
    public var architectures = ["VTPModel"]
    public var dtype: String? = "float32"
    public var transformersVersion: String? = nil
    /// SwiftVTP extra: the pixel decoder's PixelShuffle factor (the official decoder always uses 16).
    /// Must equal `visionPatchSize` for reconstructions of the input size.
    public var decoderUpscaleFactor: Int? = nil

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageSize = "image_size", trainClip = "train_clip", trainReconstruction = "train_reconstruction"
        case visionPatchSize = "vision_patch_size", visionEmbedDim = "vision_embed_dim", visionDepth = "vision_depth"
        case visionNumHeads = "vision_num_heads", visionMlpRatio = "vision_mlp_ratio", visionFfnLayer = "vision_ffn_layer"
        case visionNormLayer = "vision_norm_layer", visionInitValues = "vision_init_values"
        case visionUseQkNorm = "vision_use_qk_norm", visionFeatureBottleneck = "vision_feature_bottleneck"
        case visionBottleneckAeOnly = "vision_bottleneck_ae_only", visionClipFeat = "vision_clip_feat"
        case textContextLength = "text_context_length", textVocabSize = "text_vocab_size", textEmbedDim = "text_embed_dim"
        case textNumHeads = "text_num_heads", textDepth = "text_depth", textMlpRatio = "text_mlp_ratio"
        case textLsInitValue = "text_ls_init_value", textEmbedCls = "text_embed_cls", textPadId = "text_pad_id"
        case textNoCausalMask = "text_no_causal_mask", textPoolType = "text_pool_type", textProjType = "text_proj_type"
        case textProjBias = "text_proj_bias", textOutputTokens = "text_output_tokens", textQuickGelu = "text_quick_gelu"
        case decoderEmbedDim = "decoder_embed_dim", decoderNumHeads = "decoder_num_heads", decoderDepth = "decoder_depth"
        case decoderFfnLayer = "decoder_ffn_layer", decoderNormLayer = "decoder_norm_layer"
        case decoderInitValues = "decoder_init_values", decoderUseQkNorm = "decoder_use_qk_norm"
        case initLogitScale = "init_logit_scale", initLogitBias = "init_logit_bias"
        case nonscalarLogitScale = "nonscalar_logit_scale"
        case modelType = "model_type", architectures, dtype, transformersVersion = "transformers_version"
        case decoderUpscaleFactor = "decoder_upscale_factor"
    }

    /// Missing fields take the official defaults (as `VTPConfig(**json)` does).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        func o<T: Decodable>(_ k: CodingKeys, _ d: T?) throws -> T? {
            if !c.contains(k) { return d }
            return try c.decodeNil(forKey: k) ? nil : c.decode(T.self, forKey: k)
        }
        let d = VTPConfig()
        imageSize = try v(.imageSize, d.imageSize); trainClip = try v(.trainClip, d.trainClip)
        trainReconstruction = try v(.trainReconstruction, d.trainReconstruction)
        visionPatchSize = try v(.visionPatchSize, d.visionPatchSize); visionEmbedDim = try v(.visionEmbedDim, d.visionEmbedDim)
        visionDepth = try v(.visionDepth, d.visionDepth); visionNumHeads = try v(.visionNumHeads, d.visionNumHeads)
        visionMlpRatio = try v(.visionMlpRatio, d.visionMlpRatio); visionFfnLayer = try v(.visionFfnLayer, d.visionFfnLayer)
        visionNormLayer = try v(.visionNormLayer, d.visionNormLayer); visionInitValues = try o(.visionInitValues, d.visionInitValues)
        visionUseQkNorm = try v(.visionUseQkNorm, d.visionUseQkNorm)
        visionFeatureBottleneck = try o(.visionFeatureBottleneck, d.visionFeatureBottleneck)
        visionBottleneckAeOnly = try v(.visionBottleneckAeOnly, d.visionBottleneckAeOnly)
        visionClipFeat = try v(.visionClipFeat, d.visionClipFeat)
        textContextLength = try v(.textContextLength, d.textContextLength); textVocabSize = try v(.textVocabSize, d.textVocabSize)
        textEmbedDim = try v(.textEmbedDim, d.textEmbedDim); textNumHeads = try v(.textNumHeads, d.textNumHeads)
        textDepth = try v(.textDepth, d.textDepth); textMlpRatio = try v(.textMlpRatio, d.textMlpRatio)
        textLsInitValue = try o(.textLsInitValue, d.textLsInitValue); textEmbedCls = try v(.textEmbedCls, d.textEmbedCls)
        textPadId = try v(.textPadId, d.textPadId); textNoCausalMask = try v(.textNoCausalMask, d.textNoCausalMask)
        textPoolType = try v(.textPoolType, d.textPoolType); textProjType = try v(.textProjType, d.textProjType)
        textProjBias = try v(.textProjBias, d.textProjBias); textOutputTokens = try v(.textOutputTokens, d.textOutputTokens)
        textQuickGelu = try v(.textQuickGelu, d.textQuickGelu)
        decoderEmbedDim = try v(.decoderEmbedDim, d.decoderEmbedDim); decoderNumHeads = try v(.decoderNumHeads, d.decoderNumHeads)
        decoderDepth = try v(.decoderDepth, d.decoderDepth); decoderFfnLayer = try v(.decoderFfnLayer, d.decoderFfnLayer)
        decoderNormLayer = try v(.decoderNormLayer, d.decoderNormLayer)
        decoderInitValues = try o(.decoderInitValues, d.decoderInitValues)
        decoderUseQkNorm = try v(.decoderUseQkNorm, d.decoderUseQkNorm)
        initLogitScale = try o(.initLogitScale, d.initLogitScale); initLogitBias = try o(.initLogitBias, d.initLogitBias)
        nonscalarLogitScale = try v(.nonscalarLogitScale, d.nonscalarLogitScale)
        modelType = try v(.modelType, d.modelType); architectures = try v(.architectures, d.architectures)
        dtype = try o(.dtype, d.dtype); transformersVersion = try o(.transformersVersion, d.transformersVersion)
        decoderUpscaleFactor = try o(.decoderUpscaleFactor, d.decoderUpscaleFactor)
    }

    /// Writes every field (nulls included), as the official `save_pretrained` does.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func n<T: Encodable>(_ v: T?, _ k: CodingKeys) throws { if let v { try c.encode(v, forKey: k) } else { try c.encodeNil(forKey: k) } }
        try c.encode(imageSize, forKey: .imageSize); try c.encode(trainClip, forKey: .trainClip)
        try c.encode(trainReconstruction, forKey: .trainReconstruction)
        try c.encode(visionPatchSize, forKey: .visionPatchSize); try c.encode(visionEmbedDim, forKey: .visionEmbedDim)
        try c.encode(visionDepth, forKey: .visionDepth); try c.encode(visionNumHeads, forKey: .visionNumHeads)
        try c.encode(visionMlpRatio, forKey: .visionMlpRatio); try c.encode(visionFfnLayer, forKey: .visionFfnLayer)
        try c.encode(visionNormLayer, forKey: .visionNormLayer); try n(visionInitValues, .visionInitValues)
        try c.encode(visionUseQkNorm, forKey: .visionUseQkNorm); try n(visionFeatureBottleneck, .visionFeatureBottleneck)
        try c.encode(visionBottleneckAeOnly, forKey: .visionBottleneckAeOnly); try c.encode(visionClipFeat, forKey: .visionClipFeat)
        try c.encode(textContextLength, forKey: .textContextLength); try c.encode(textVocabSize, forKey: .textVocabSize)
        try c.encode(textEmbedDim, forKey: .textEmbedDim); try c.encode(textNumHeads, forKey: .textNumHeads)
        try c.encode(textDepth, forKey: .textDepth); try c.encode(textMlpRatio, forKey: .textMlpRatio)
        try n(textLsInitValue, .textLsInitValue); try c.encode(textEmbedCls, forKey: .textEmbedCls)
        try c.encode(textPadId, forKey: .textPadId); try c.encode(textNoCausalMask, forKey: .textNoCausalMask)
        try c.encode(textPoolType, forKey: .textPoolType); try c.encode(textProjType, forKey: .textProjType)
        try c.encode(textProjBias, forKey: .textProjBias); try c.encode(textOutputTokens, forKey: .textOutputTokens)
        try c.encode(textQuickGelu, forKey: .textQuickGelu)
        try c.encode(decoderEmbedDim, forKey: .decoderEmbedDim); try c.encode(decoderNumHeads, forKey: .decoderNumHeads)
        try c.encode(decoderDepth, forKey: .decoderDepth); try c.encode(decoderFfnLayer, forKey: .decoderFfnLayer)
        try c.encode(decoderNormLayer, forKey: .decoderNormLayer); try n(decoderInitValues, .decoderInitValues)
        try c.encode(decoderUseQkNorm, forKey: .decoderUseQkNorm)
        try n(initLogitScale, .initLogitScale); try n(initLogitBias, .initLogitBias)
        try c.encode(nonscalarLogitScale, forKey: .nonscalarLogitScale)
        try c.encode(modelType, forKey: .modelType); try c.encode(architectures, forKey: .architectures)
        try n(dtype, .dtype); try n(transformersVersion, .transformersVersion)
        // SwiftVTP's own field is written only when set, so default configs stay identical to the official ones.
        if let decoderUpscaleFactor { try c.encode(decoderUpscaleFactor, forKey: .decoderUpscaleFactor) }
    }

    /// Effective latent channels (the bottleneck width, or the embedding width without one).
    public var latentChannels: Int { visionFeatureBottleneck ?? visionEmbedDim }
    /// Whether the trunk has a `feature_bottleneck` layer.
    public var hasBottleneck: Bool { latentChannels != visionEmbedDim }
    /// The pixel decoder's upscale factor.
    public var upscaleFactor: Int { decoderUpscaleFactor ?? 16 }

    /// Checks every field for values the official code would reject or that cannot work.
    public func validate() throws {
        var problems: [String] = []
        func need(_ ok: Bool, _ msg: String) { if !ok { problems.append(msg) } }
        need(visionPatchSize > 0, "vision_patch_size must be positive")
        need(imageSize > 0, "image_size must be positive")
        need(visionEmbedDim > 0 && visionNumHeads > 0 && visionEmbedDim % visionNumHeads == 0,
             "vision_embed_dim (\(visionEmbedDim)) must be a positive multiple of vision_num_heads (\(visionNumHeads))")
        need(visionNumHeads > 0 && visionNumHeads <= 4096 && visionEmbedDim % (4 * visionNumHeads) == 0,
             "RoPE needs vision_embed_dim divisible by 4 × vision_num_heads")
        need(visionDepth >= 1, "vision_depth must be at least 1")
        need(visionMlpRatio > 0, "vision_mlp_ratio must be positive")
        need(FFNKind(rawValue: visionFfnLayer) != nil, "vision_ffn_layer '\(visionFfnLayer)' is not one of \(FFNKind.allCases.map(\.rawValue))")
        need(NormKind(rawValue: visionNormLayer) != nil, "vision_norm_layer '\(visionNormLayer)' is not one of \(NormKind.allCases.map(\.rawValue))")
        need(latentChannels > 0, "vision_feature_bottleneck must be positive")
        need(ClipFeature(rawValue: visionClipFeat) != nil, "vision_clip_feat must be 'cls' or 'pooled', got '\(visionClipFeat)'")
        if trainReconstruction {
            need(decoderEmbedDim > 0 && decoderNumHeads > 0 && decoderNumHeads <= 4096 && decoderEmbedDim % (4 * decoderNumHeads) == 0,
                 "decoder_embed_dim (\(decoderEmbedDim)) must be divisible by 4 × decoder_num_heads (\(decoderNumHeads))")
            need(decoderDepth >= 0, "decoder_depth must not be negative")
            need(FFNKind(rawValue: decoderFfnLayer) != nil, "decoder_ffn_layer '\(decoderFfnLayer)' is not one of \(FFNKind.allCases.map(\.rawValue))")
            need(NormKind(rawValue: decoderNormLayer) != nil, "decoder_norm_layer '\(decoderNormLayer)' is not one of \(NormKind.allCases.map(\.rawValue))")
            need(upscaleFactor > 0, "decoder_upscale_factor must be positive")
        }
        if trainClip {
            need(textEmbedDim > 0 && textNumHeads > 0 && textEmbedDim % textNumHeads == 0,
                 "text_embed_dim (\(textEmbedDim)) must be a multiple of text_num_heads (\(textNumHeads))")
            need(textContextLength > 0 && textVocabSize > 0, "text_context_length and text_vocab_size must be positive")
            need(textDepth >= 0, "text_depth must not be negative")
            need(TextPooling(rawValue: textPoolType) != nil, "text_pool_type must be first, last, argmax or none")
            need(!textEmbedCls, "text_embed_cls=true is not usable with the official VTPModel (its positional embedding would not match the context); not supported")
        }
        // Bounds before any arithmetic on the sizes (a few digits in a config must not overflow, hang or allocate).
        for (name, v, limit) in [("vision_patch_size", visionPatchSize, 1024), ("vision_embed_dim", visionEmbedDim, 65_536),
                                 ("vision_depth", visionDepth, 1024), ("vision_num_heads", visionNumHeads, 4096),
                                 ("vision_feature_bottleneck", latentChannels, 65_536), ("image_size", imageSize, 65_536),
                                 ("decoder_embed_dim", decoderEmbedDim, 65_536), ("decoder_depth", decoderDepth, 1024),
                                 ("decoder_num_heads", decoderNumHeads, 4096), ("decoder_upscale_factor", upscaleFactor, 1024),
                                 ("text_embed_dim", textEmbedDim, 65_536), ("text_depth", textDepth, 1024),
                                 ("text_num_heads", textNumHeads, 4096), ("text_context_length", textContextLength, 65_536),
                                 ("text_vocab_size", textVocabSize, 10_000_000)] {
            need(v <= limit, "\(name) (\(v)) is over its limit of \(limit)")
        }
        // The feed-forward hidden width is int(dim·ratio) (SwiGLU: two thirds of it, aligned): at least 2 keeps every
        // layer non-empty; a negative ratio gave negative tensor sizes.
        for (name, r, dim) in [("vision_mlp_ratio", visionMlpRatio, visionEmbedDim)] + (trainClip ? [("text_mlp_ratio", textMlpRatio, textEmbedDim)] : []) {
            need(r.isFinite && r <= 64 && r > 0 && Double(dim) * r >= 2,
                 "\(name) (\(r)) must be positive, finite and at most 64, with width × ratio ≥ 2 (width \(dim))")
        }
        if problems.isEmpty {
            if let problem = ModelMemory.problem(parameters: estimatedParameterCount) { problems.append(problem) }
        }
        if !problems.isEmpty { throw VTPError.invalidConfig(problems) }
    }

    /// The model's parameter count estimated from the sizes alone (in Double, so that no size overflows): blocks
    /// (attention 4·d², feed-forward ≈ 3·ratio·d² for SwiGLU, 2·ratio·d² for an MLP), embeddings and heads.
    public var estimatedParameterCount: Double {
        func blocks(_ depth: Int, _ d: Int, _ ratio: Double, _ ffn: String) -> Double {
            let dd = Double(d) * Double(d)
            return Double(depth) * (4 * dd + (ffn == "mlp" ? 2 : 3) * ratio * dd)
        }
        let p = Double(visionPatchSize)
        var n = blocks(visionDepth, visionEmbedDim, visionMlpRatio, visionFfnLayer) + 3 * p * p * Double(visionEmbedDim)
            + Double(visionEmbedDim) * Double(latentChannels)
        if trainReconstruction {
            let u = Double(upscaleFactor)
            n += blocks(decoderDepth, decoderEmbedDim, visionMlpRatio, decoderFfnLayer)
                + Double(decoderEmbedDim) * (Double(latentChannels) + 3 * u * u)
        }
        if trainClip {
            n += blocks(textDepth, textEmbedDim, textMlpRatio, "mlp") * 2 / 3
                + Double(textEmbedDim) * (Double(textVocabSize) + Double(textContextLength) + Double(textEmbedDim))
        }
        return n
    }
}

/// Feed-forward variants of the official `ffn_layer_dict`.
public enum FFNKind: String, CaseIterable, Sendable {
    case mlp, swiglu, swiglu32, swiglu64, swiglu128
    public var align: Int {
        switch self {
        case .mlp, .swiglu: return 8
        case .swiglu32: return 32
        case .swiglu64: return 64
        case .swiglu128: return 128
        }
    }
}

/// Which trunk output feeds the CLIP image head (`vision_clip_feat`).
public enum ClipFeature: String, CaseIterable, Sendable {
    /// The final-norm CLS token.
    case cls
    /// The mean of the final-norm patch tokens.
    case pooled
}

/// How the text tower pools its tokens (`text_pool_type`).
public enum TextPooling: String, CaseIterable, Sendable {
    /// The first token, the last token, or the position of the largest id (the end token) in each row.
    case first, last, argmax
    /// No pooling: per-token features.
    case none
}

extension VTPConfig {
    /// `vision_clip_feat` as a choice (`validate()` rejects other strings).
    public var clipFeature: ClipFeature { ClipFeature(rawValue: visionClipFeat) ?? .cls }
    /// `text_pool_type` as a choice (`validate()` rejects other strings).
    public var textPooling: TextPooling { TextPooling(rawValue: textPoolType) ?? .argmax }
    /// Whether the text tower has a projection (`text_proj_type` other than "none" and a non-empty width).
    public var hasTextProjection: Bool { textProjType != "none" && textEmbedDim > 0 }
}
