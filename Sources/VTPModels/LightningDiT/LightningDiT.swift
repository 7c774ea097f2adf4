import Foundation
import VTPNN
import VTPTensor

/// LightningDiT (github.com/JingfengYao/LightningDiT `models/lightningdit.py`, as imported by MiniMax-AI/VTP
/// `generation/`), with the official state-dict keys:
///
/// `x_embedder.proj`, `pos_embed` [1, T, D] (fixed 2-D sin-cos, a parameter that is never trained),
/// `t_embedder.mlp.{0,2}`, `y_embedder.embedding_table`, `feat_rope.freqs_cos/_sin` [T, head_dim] (buffers, only
/// with RoPE), `blocks.i.…`, `final_layer.…`.
///
/// forward(x, t, y): tokens = patchify(x) + pos_embed; c = t_embedder(t) + y_embedder(y); blocks; final layer;
/// unpatchify; with `learn_sigma` the first C channels. Time t ∈ [0, 1] is fed as is (t = 0 noise, t = 1 data).
public final class LightningDiT: Module {
    public let config: LightningDiTConfig
    public let xEmbedder: DiTPatchEmbed
    public let tEmbedder: TimestepEmbedder
    public let yEmbedder: LabelEmbedder
    /// [1, T, D], requiresGrad false (as the official `nn.Parameter(..., requires_grad=False)`).
    public let posEmbed: Parameter
    public let ropeCos: Buffer?, ropeSin: Buffer?
    public let blocks: [LightningDiTBlock]
    public let finalLayer: DiTFinalLayer

    public var items: [ModuleItem] {
        [.parameter("pos_embed", posEmbed), .child("x_embedder", xEmbedder), .child("t_embedder", tEmbedder),
         .child("y_embedder", yEmbedder), .buffer("feat_rope.freqs_cos", ropeCos), .buffer("feat_rope.freqs_sin", ropeSin),
         .list("blocks", blocks), .child("final_layer", finalLayer)]
    }

    /// Builds the model with the official initialisation (`initialize_weights`): Xavier-uniform linears (the patch
    /// conv as a linear over C·p·p) with zero biases, label table and t-MLP weights N(0, 0.02²), zero adaLN and final
    /// layer (so a fresh model outputs exactly 0), fixed sin-cos `pos_embed`.
    public init(config: LightningDiTConfig, seed: UInt64 = 0) throws {
        try config.validate()
        // Checked here rather than in validate(): a configuration may describe a model larger than this machine (a
        // preset listed, a file imported elsewhere); building it must fail with the size, before any allocation.
        if let problem = ModelMemory.problem(parameters: config.estimatedParameterCount) {
            throw VTPError.invalidConfig(["LightningDiT: " + problem])
        }
        self.config = config
        var rng = RNG(seed: seed)
        let d = config.hiddenSize
        xEmbedder = DiTPatchEmbed(inChannels: config.inChannels, hiddenSize: d, patchSize: config.patchSize, rng: &rng)
        tEmbedder = TimestepEmbedder(hiddenSize: d, rng: &rng)
        yEmbedder = LabelEmbedder(numClasses: config.numClasses, hiddenSize: d, dropoutProb: config.classDropoutProb,
                                  rng: &rng)
        posEmbed = Parameter(DiTPositions.sinCos2D(dimensions: d, gridSize: config.gridSize).reshaped([1, config.tokenCount, d]),
                             requiresGrad: false)
        if config.useRope {
            let tables = DiTPositions.rope(headDimensions: config.headDimensions, gridSize: config.gridSize)
            ropeCos = Buffer(tables.cos)
            ropeSin = Buffer(tables.sin)
        } else {
            (ropeCos, ropeSin) = (nil, nil)
        }
        var b: [LightningDiTBlock] = []
        for _ in 0..<config.depth { b.append(LightningDiTBlock(config: config, rng: &rng)) }
        blocks = b
        finalLayer = DiTFinalLayer(config: config, rng: &rng)
        initializeWeights(rng: &rng)
    }

    private func initializeWeights(rng: inout RNG) {
        func xavier(_ p: Parameter) {
            let fanOut = p.shape[0], fanIn = p.value.count / fanOut
            let bound = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            p.value = Tensor.randomUniform(p.shape, -bound, bound, rng: &rng)
        }
        func zero(_ l: Linear) {
            l.weight.value = Tensor.zeros(l.weight.shape)
            l.bias.map { $0.value = Tensor.zeros($0.shape) }
        }
        for (key, p) in namedParameters() where key.hasSuffix(".weight") && p.shape.count >= 2 && !key.hasPrefix("y_embedder") {
            xavier(p)
        }
        for (key, p) in namedParameters() where key.hasSuffix(".bias") { p.value = Tensor.zeros(p.shape) }
        yEmbedder.table.weight.value = Tensor.randomNormal(yEmbedder.table.weight.shape, std: 0.02, rng: &rng)
        for l in [tEmbedder.fc1, tEmbedder.fc2] { l.weight.value = Tensor.randomNormal(l.weight.shape, std: 0.02, rng: &rng) }
        for block in blocks { zero(block.adaLN) }
        zero(finalLayer.adaLN)
        zero(finalLayer.linear)
    }

    /// The RoPE tables (cos, sin) [T, head_dim], or nil without RoPE.
    public var ropeTables: (cos: Tensor, sin: Tensor)? {
        guard let ropeCos, let ropeSin else { return nil }
        return (ropeCos.value, ropeSin.value)
    }

    /// Checks an input batch against the configuration.
    public func validateInput(x: Tensor, t: [Float], y: [Int]) throws {
        let c = config
        guard x.shape == [x.shape.first ?? 0, c.inChannels, c.inputSize, c.inputSize], x.shape[0] > 0 else {
            throw VTPError.invalidInput("LightningDiT input must be [B, \(c.inChannels), \(c.inputSize), \(c.inputSize)], got \(x.shape)")
        }
        guard t.count == x.shape[0], y.count == x.shape[0] else {
            throw VTPError.invalidInput("LightningDiT: batch \(x.shape[0]) needs as many times and labels, got \(t.count) and \(y.count)")
        }
    }

    /// The network output before the `learn_sigma` split: x [B, C, H, W], t [B], y [B] → [B, C_out, H, W].
    public func fullOutput(_ x: Tensor, t: [Float], y: [Int]) throws -> Tensor {
        try validateInput(x: x, t: t, y: y)
        let (b, p, g, co) = (x.shape[0], config.patchSize, config.gridSize, config.outChannels)
        var h = xEmbedder(x) + posEmbed.value
        let c = tEmbedder(t) + (try yEmbedder(y))
        let rope = ropeTables
        for block in blocks { h = block(h, c: c, rope: rope) }
        h = finalLayer(h, c: c)
        // (B, h, w, p, q, C) → (B, C, h, p, w, q) → (B, C, H, W)
        return h.reshaped([b, g, g, p, p, co]).permuted([0, 5, 1, 3, 2, 4]).reshaped([b, co, g * p, g * p])
    }

    /// The official `forward(x, t, y)` (eval mode: no label dropout): x [B, C, H, W], t [B] in [0, 1], y [B]
    /// → velocity [B, C, H, W] (with `learn_sigma`, the first C of the 2C output channels).
    public func callAsFunction(_ x: Tensor, t: [Float], y: [Int]) throws -> Tensor {
        let out = try fullOutput(x, t: t, y: y)
        guard config.learnSigma else { return out }
        return out.split([config.inChannels, config.inChannels], axis: 1)[0]
    }
}
