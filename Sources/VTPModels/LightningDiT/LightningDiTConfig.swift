import Foundation

/// Every argument of the official `LightningDiT.__init__` (github.com/JingfengYao/LightningDiT
/// `models/lightningdit.py`, the generator MiniMax-AI/VTP imports), with the official names in `config.json` and
/// the official defaults. `LightningDiT(**config)` in PyTorch and `LightningDiT(config:)` here build the same
/// model with the same state-dict keys.
public struct LightningDiTConfig: Codable, Equatable, Sendable {
    /// Latent height = width (`input_size`).
    public var inputSize = 32
    public var patchSize = 2
    /// Latent channels (`in_channels`).
    public var inChannels = 32
    public var hiddenSize = 1152
    public var depth = 28
    public var numHeads = 16
    public var mlpRatio = 4.0
    /// > 0 adds the null ("unconditional") class as label `numClasses`.
    public var classDropoutProb = 0.1
    public var numClasses = 1000
    /// Output 2·in_channels channels and return only the first in_channels (DiT's learned variance).
    public var learnSigma = false
    public var useQknorm = false
    /// SwiGLU FFN (`w12`/`w3`, hidden int(2/3·int(D·mlp_ratio))) instead of timm's GELU-tanh `Mlp` (`fc1`/`fc2`).
    public var useSwiglu = false
    /// 2-D RoPE (EVA-02, interleaved pairs) on q and k in every block, on top of the sin-cos `pos_embed`.
    public var useRope = false
    /// RMSNorm (eps 1e-6, learnable weight) instead of LayerNorm without affine (eps 1e-6).
    public var useRmsnorm = false
    /// adaLN without shift: 4 modulation vectors per block (scale, gate, scale, gate) instead of 6.
    public var woShift = false
    /// Gradient checkpointing in the official code; no effect on values (kept for round trips).
    public var useCheckpoint = false

    public init() {}

    /// Tokens per side.
    public var gridSize: Int { inputSize / patchSize }
    public var tokenCount: Int { gridSize * gridSize }
    public var headDimensions: Int { hiddenSize / numHeads }
    /// Output channels of the network before `learn_sigma`'s split.
    public var outChannels: Int { learnSigma ? inChannels * 2 : inChannels }
    /// Label-table rows: the classes plus the null class when `class_dropout_prob` > 0.
    public var labelTableRows: Int { numClasses + (classDropoutProb > 0 ? 1 : 0) }
    /// The null ("unconditional") label, when the table has one.
    public var nullClass: Int? { classDropoutProb > 0 ? numClasses : nil }
    /// MLP hidden width: int(D·mlp_ratio), and for SwiGLU int(2/3 of that) (no rounding to a multiple).
    /// 0 when D·mlp_ratio is not a width at all (negative, not finite or beyond 2³¹; `validate` names it).
    public var mlpHiddenSize: Int {
        let w = Double(hiddenSize) * mlpRatio
        guard w.isFinite, w >= 0, w < Double(Int32.max) else { return 0 }
        let h = Int(w)
        return useSwiglu ? Int(2.0 / 3.0 * Double(h)) : h
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputSize = "input_size", patchSize = "patch_size", inChannels = "in_channels", hiddenSize = "hidden_size"
        case depth, numHeads = "num_heads", mlpRatio = "mlp_ratio", classDropoutProb = "class_dropout_prob"
        case numClasses = "num_classes", learnSigma = "learn_sigma", useQknorm = "use_qknorm", useSwiglu = "use_swiglu"
        case useRope = "use_rope", useRmsnorm = "use_rmsnorm", woShift = "wo_shift", useCheckpoint = "use_checkpoint"
    }

    /// Missing fields take the official constructor defaults (as `LightningDiT(**json)` does).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        let d = LightningDiTConfig()
        inputSize = try v(.inputSize, d.inputSize); patchSize = try v(.patchSize, d.patchSize)
        inChannels = try v(.inChannels, d.inChannels); hiddenSize = try v(.hiddenSize, d.hiddenSize)
        depth = try v(.depth, d.depth); numHeads = try v(.numHeads, d.numHeads); mlpRatio = try v(.mlpRatio, d.mlpRatio)
        classDropoutProb = try v(.classDropoutProb, d.classDropoutProb); numClasses = try v(.numClasses, d.numClasses)
        learnSigma = try v(.learnSigma, d.learnSigma); useQknorm = try v(.useQknorm, d.useQknorm)
        useSwiglu = try v(.useSwiglu, d.useSwiglu); useRope = try v(.useRope, d.useRope)
        useRmsnorm = try v(.useRmsnorm, d.useRmsnorm); woShift = try v(.woShift, d.woShift)
        useCheckpoint = try v(.useCheckpoint, d.useCheckpoint)
    }

    /// The largest value any size field may take (2²⁴; the official presets stay below 2,000), so that sizes and
    /// parameter counts of a valid configuration cannot overflow.
    public static let maxSize = 1 << 24

    /// Every problem with the configuration (empty when valid).
    public var problems: [String] {
        var p: [String] = []
        for (name, value) in [("input_size", inputSize), ("patch_size", patchSize), ("in_channels", inChannels),
                              ("hidden_size", hiddenSize), ("depth", depth), ("num_heads", numHeads),
                              ("num_classes", numClasses)] where value < 1 || value > Self.maxSize {
            p.append("\(name) must be between 1 and \(Self.maxSize), got \(value)")
        }
        if patchSize >= 1 && inputSize % patchSize != 0 {
            p.append("input_size \(inputSize) is not a multiple of patch_size \(patchSize)")
        }
        if numHeads >= 1 && hiddenSize % numHeads != 0 {
            p.append("hidden_size \(hiddenSize) is not divisible by num_heads \(numHeads)")
        }
        if hiddenSize % 4 != 0 { p.append("hidden_size \(hiddenSize) must be a multiple of 4 (2-D sin-cos positions)") }
        if useRope && numHeads >= 1 && hiddenSize % numHeads == 0 && headDimensions % 4 != 0 {
            p.append("use_rope needs a head dimension (hidden_size/num_heads = \(headDimensions)) divisible by 4")
        }
        if !(mlpRatio > 0) || mlpHiddenSize < 1 { p.append("mlp_ratio \(mlpRatio) does not give an MLP width between 1 and 2³¹ at hidden_size \(hiddenSize)") }
        if !(classDropoutProb >= 0 && classDropoutProb < 1) {
            p.append("class_dropout_prob must be in [0, 1), got \(classDropoutProb)")
        }
        return p
    }

    /// Throws `VTPError.invalidConfig` listing every problem.
    public func validate() throws {
        let p = problems
        if !p.isEmpty { throw VTPError.invalidConfig(p.map { "LightningDiT: " + $0 }) }
    }

    /// Reads and validates a `config.json` (extra keys, e.g. a saved model name, are ignored).
    public static func load(from url: URL) throws -> LightningDiTConfig {
        let config = try ConfigJSON.read(LightningDiTConfig.self, from: url, what: "LightningDiT")
        try config.validate()
        return config
    }

    /// Writes the config as pretty, key-sorted JSON (atomically).
    public func save(to url: URL) throws {
        try ConfigJSON.write(self, to: url)
    }
}
