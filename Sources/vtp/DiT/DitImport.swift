import ArgumentParser
import Foundation
import VTPGeneration
import VTPModels

/// `vtp dit import`: an official LightningDiT checkpoint → a model folder for `vtp dit sample`.
struct DitImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn an official LightningDiT checkpoint (.pt of the official train.py, or a state dict) into a model folder.",
        discussion: """
        The checkpoint is read without executing it; a training checkpoint ({model, ema, opt, config}) gives its EMA \
        weights unless --weights model. The architecture is read from the weights (width, depth, patch, latent size \
        and channels, SwiGLU/RMSNorm/RoPE/qk-norm/wo_shift/learn_sigma); the head count from the RoPE tables or the \
        preset of the same shape (--heads otherwise). The label table's last row is taken as the null class \
        (class_dropout_prob 0.1) unless --num-classes says the table has no null class. Writes OUTPUT/config.json, \
        model.safetensors and, with --stats, latents_stats.safetensors (then `vtp dit sample` uses them by itself).

          vtp dit import 0100000.pt --stats latents_stats.pt --output runs/dit-xl
          vtp dit sample --model runs/dit-xl --tokenizer VTP-L --output samples
        """)

    @Argument(help: "Official checkpoint (.pt/.pth) or a state dict (.pt or .safetensors).")
    var checkpoint: String
    @Option(name: .long, help: "Output model folder.")
    var output: String
    @Option(name: .long, help: "ema or model (default: ema when the checkpoint has it).")
    var weights: String?
    @Option(name: .long, help: "The official latents_stats.pt (mean/std per channel) the DiT was trained with.")
    var stats: String?
    @Option(name: .long, help: "latent_multiplier of the training config (VTP 1; LightningDiT's default 0.18215).")
    var latentMultiplier: Float = 1
    @Option(name: .long, help: "Attention heads, when neither RoPE tables nor a preset shape give them.")
    var heads: Int?
    @Option(name: .long, help: "Classes (label-table rows, or rows - 1 with the null class).")
    var numClasses: Int?
    @Flag(name: .long, help: "The model uses RoPE but its tables are not in the state dict.")
    var rope = false

    func run() throws {
        var o = OfficialDiTImport.Options(checkpoint: URL(fileURLWithPath: checkpoint), output: URL(fileURLWithPath: output))
        if let weights {
            guard let w = OfficialDiTImport.Weights(rawValue: weights) else { throw ValidationError("--weights must be ema or model") }
            o.weights = w
        }
        guard latentMultiplier > 0, latentMultiplier.isFinite else { throw ValidationError("--latent-multiplier must be positive") }
        (o.heads, o.numClasses, o.useRope, o.latentMultiplier) = (heads, numClasses, rope ? true : nil, latentMultiplier)
        o.statistics = stats.map { URL(fileURLWithPath: $0) }
        let r = try OfficialDiTImport.run(o)
        let c = r.config
        let shape = LightningDiTConfig.presetShapes.first { $0.value.depth == c.depth && $0.value.hidden == c.hiddenSize && $0.value.heads == c.numHeads }
        let flags = [c.useSwiglu ? "SwiGLU" : "GELU MLP", c.useRmsnorm ? "RMSNorm" : "LayerNorm", c.useRope ? "RoPE" : nil,
                     c.useQknorm ? "qk-norm" : nil, c.woShift ? "wo_shift" : nil, c.learnSigma ? "learn_sigma" : nil].compactMap { $0 }
        print("\(shape.map { "LightningDiT-\($0.key)/\(c.patchSize)" } ?? "LightningDiT") (depth \(c.depth), width \(c.hiddenSize), \(c.numHeads) heads, patch \(c.patchSize)), "
              + "\(c.inputSize)×\(c.inputSize)×\(c.inChannels) latents, \(c.numClasses) classes\(c.nullClass == nil ? "" : " + null class"), "
              + flags.joined(separator: ", ") + ", \(c.parameterCount) parameters")
        print("\(r.tensors) tensors from \(r.entry.map { "'\($0)'" } ?? "the state dict") -> \(output)/config.json, model.safetensors"
              + (r.statistics == nil ? "" : ", \(LatentStatistics.fileName) (multiplier \(latentMultiplier))"))
    }
}
