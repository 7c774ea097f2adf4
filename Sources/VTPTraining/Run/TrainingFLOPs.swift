import Foundation
import VTPModels
import VTPNN

/// Analytic floating-point operations of one tokenizer training step (`JointStep`), tower by tower, from the
/// configuration alone, so that runs of different objectives (AE-only, VTP) sit on one compute axis.
///
/// Counted: every matrix product as 2·m·n·k (linear layers, the patch embedding and the decoder's 1×1
/// convolutions, attention's QKᵀ and PV as 2·n²·d each per sequence, the CLIP logit matrix); a trained tower
/// costs forward + backward = 3 × forward (backward = 2 × forward), the EMA teacher and its head forward only.
/// Not counted: normalisations, activations, softmax, losses, the optimizer and the EMA update (all
/// element-wise, O(parameters) or O(activations), small next to the products), drop-path savings.
///
/// ```swift
/// let f = TrainingFLOPs(config: try TrainConfig.load(from: url))
/// print(f.perStep, f.total(steps: 600))      // FLOPs of one step, of the run
/// for t in f.towers { print(t.name, t.forward, t.trained) }
/// ```
public struct TrainingFLOPs: Codable, Equatable, Sendable {
    /// One tower's forward FLOPs per step and whether it is trained (3×) or forward only (1×).
    public struct Tower: Codable, Equatable, Sendable {
        public var name: String
        public var forward: Double
        public var trained: Bool
        /// Forward (+ backward when trained) FLOPs per step.
        public var perStep: Double { trained ? 3 * forward : forward }
    }

    public var towers: [Tower]

    /// FLOPs of one training step, every tower together.
    public var perStep: Double { towers.reduce(0) { $0 + $1.perStep } }

    /// FLOPs of `steps` training steps.
    public func total(steps: Int) -> Double { perStep * Double(steps) }

    public init(towers: [Tower]) { self.towers = towers }

    /// The towers stage 1 (`JointStep`) runs for `config` at its batch size(s). With the GAN objective (decoder
    /// fine-tuning) the counter covers the same towers as reconstruction and leaves the discriminator out.
    public init(config: TrainConfig) {
        let m = config.architecture, o = config.objectives, d = config.data
        let b = Double(config.schedule.batchSize), bc = Double(o.clip.batchSize)
        var towers: [Tower] = []
        func add(_ name: String, _ forward: Double, trained: Bool = true) {
            if forward > 0 { towers.append(Tower(name: name, forward: forward, trained: trained)) }
        }
        let clipOn = o.clip.enabled && m.trainClip
        let recOn = (o.reconstruction.enabled || o.gan.enabled) && m.trainReconstruction
        // The plain view: CLIP and reconstruction share one forward when they see the same images.
        let shared = clipOn && recOn && bc == b && o.clip.dropPath == o.reconstruction.dropPath
        let n = Double(d.imageSize / m.visionPatchSize) * Double(d.imageSize / m.visionPatchSize)
        if clipOn {
            add(shared ? "vision trunk (plain view: CLIP + reconstruction)" : "vision trunk (plain view: CLIP)",
                bc * Self.visionTrunk(m, imageSize: d.imageSize))
            let projIn = Double(m.visionBottleneckAeOnly ? m.visionEmbedDim : m.latentChannels)
            let e = Double(m.textEmbedDim)
            add("text tower", bc * Self.textTower(m))
            add("CLIP projections and logits", 2 * bc * projIn * e + 2 * bc * bc * e)
        }
        if recOn {
            if !shared { add("vision trunk (plain view: reconstruction)", b * Self.visionTrunk(m, imageSize: d.imageSize)) }
            add("bottleneck", m.hasBottleneck ? 2 * b * n * Double(m.visionEmbedDim) * Double(m.latentChannels) : 0)
            add("pixel decoder", b * Self.pixelDecoder(m, tokens: n))
        }
        if o.dino.enabled {
            let globals = 2 * b, locals = Double(d.localCropsNumber) * b
            let globalTrunk = Self.visionTrunk(m, imageSize: d.globalSize)
            add("vision trunk (global crops)", globals * globalTrunk)
            add("vision trunk (local crops)", locals * Self.visionTrunk(m, imageSize: d.localSize))
            add("EMA teacher trunk (global crops)", globals * globalTrunk, trained: false)
            let head = Self.dinoHead(config)
            add("DINO head (student)", (globals + locals) * head)
            add("DINO head (teacher)", globals * head, trained: false)
            if o.dino.ibot.enabled {
                let g = Double(d.globalSize / m.visionPatchSize)
                // Expected masked patches: a share `mask_probability` of the images, each masked at a ratio drawn
                // evenly from [mask_ratio_min, mask_ratio_max].
                let masked = globals * o.dino.ibot.maskProbability * (o.dino.ibot.maskRatioMin + o.dino.ibot.maskRatioMax) / 2 * g * g
                add("iBOT head (student, masked patches)", masked * head)
                add("iBOT head (teacher, masked patches)", masked * head, trained: false)
            }
        }
        self.init(towers: towers)
    }

    /// Forward FLOPs of one transformer block on one sequence of `n` tokens of width `d`: QKV and output
    /// projections 8·n·d², QKᵀ and PV 4·n²·d, feed-forward 4·n·d·h (MLP) or 6·n·d·h (SwiGLU, hidden h).
    public static func block(tokens n: Double, width d: Int, ratio: Double, ffn: String) -> Double {
        let dd = Double(d)
        let kind = FFNKind(rawValue: ffn) ?? .swiglu
        let feedForward = kind == .mlp
            ? 4 * n * dd * Double(Int(dd * ratio))
            : 6 * n * dd * Double(SwiGLUFFN.hiddenDimensions(d, ratio: ratio, align: kind.align))
        return 8 * n * dd * dd + 4 * n * n * dd + feedForward
    }

    /// Forward FLOPs of the vision trunk on one image of `imageSize` pixels: patch embedding 2·N·3p²·D, then
    /// the blocks on 1 + N tokens (CLS and patches).
    public static func visionTrunk(_ m: VTPConfig, imageSize: Int) -> Double {
        let p = m.visionPatchSize, side = Double(imageSize / p), n = side * side
        return 2 * n * Double(3 * p * p) * Double(m.visionEmbedDim)
            + Double(m.visionDepth) * block(tokens: n + 1, width: m.visionEmbedDim, ratio: m.visionMlpRatio, ffn: m.visionFfnLayer)
    }

    /// Forward FLOPs of the pixel decoder on one image's `tokens` latents: 1×1 convolutions C → Dd and
    /// Dd → 3u², the blocks on the latent tokens.
    public static func pixelDecoder(_ m: VTPConfig, tokens n: Double) -> Double {
        let dd = Double(m.decoderEmbedDim), u = Double(m.upscaleFactor)
        return 2 * n * Double(m.latentChannels) * dd + 2 * n * dd * 3 * u * u
            + Double(m.decoderDepth) * block(tokens: n, width: m.decoderEmbedDim, ratio: m.visionMlpRatio, ffn: m.decoderFfnLayer)
    }

    /// Forward FLOPs of the text tower on one caption (the full context, a GELU MLP per block, the projection).
    public static func textTower(_ m: VTPConfig) -> Double {
        let l = Double(m.textContextLength), w = Double(m.textEmbedDim)
        return Double(m.textDepth) * block(tokens: l, width: m.textEmbedDim, ratio: m.textMlpRatio, ffn: "mlp")
            + (m.hasTextProjection ? 2 * w * w : 0)
    }

    /// Forward FLOPs of the DINO head on one row: its MLP (D → hidden → … → bottleneck) and the prototypes.
    public static func dinoHead(_ config: TrainConfig) -> Double {
        let o = config.objectives.dino
        var dims = [config.architecture.visionEmbedDim]
        if o.headLayers > 1 { dims += Array(repeating: o.hiddenDim, count: o.headLayers - 1) }
        dims.append(o.bottleneckDim)
        let mlp = zip(dims, dims.dropFirst()).reduce(0.0) { $0 + 2 * Double($1.0) * Double($1.1) }
        return mlp + 2 * Double(o.bottleneckDim) * Double(o.outDim)
    }
}
