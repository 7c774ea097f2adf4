import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPNN

/// `vtp dit import`: an official LightningDiT checkpoint (the fork's `train.py` saves `{"model", "ema", "opt",
/// "config"}` with `torch.save`; released weights may be a bare state dict, `.pt` or safetensors) → a model
/// folder that `vtp dit sample` takes (`config.json`, `model.safetensors`, and `latents_stats.safetensors` from
/// the official `latents_stats.pt` when given).
///
/// The pickle is read by the restricted reader, nothing in it is executed, and only the chosen entry's tensors are
/// read (the optimizer state of a 675M-parameter checkpoint is never loaded). The constructor arguments come from
/// the weights (`LightningDiTConfig.inferred`), and the weights load strictly into the model they describe.
///
/// ```swift
/// var o = OfficialDiTImport.Options(checkpoint: URL(fileURLWithPath: "0100000.pt"), output: URL(fileURLWithPath: "dit-xl"))
/// o.statistics = URL(fileURLWithPath: "latents_stats.pt")
/// let report = try OfficialDiTImport.run(o)      // report.config: XL/1 on 16×16×64, 1000 classes
/// ```
public enum OfficialDiTImport {
    /// Which weights of a training checkpoint: its EMA (what the official sampling uses) or the raw model.
    public enum Weights: String, Sendable { case ema, model }

    public struct Options {
        public var checkpoint: URL
        public var output: URL
        /// nil: `ema` when the checkpoint has it, else `model`, else the file is the state dict itself.
        public var weights: Weights?
        /// Constructor arguments the weights do not determine (see `LightningDiTConfig.inferred`).
        public var heads: Int?
        public var numClasses: Int?
        public var useRope: Bool?
        /// The official `latents_stats.pt` (`mean`, `std` [1, C, 1, 1]) or a `LatentStatistics` file.
        public var statistics: URL?
        /// The `latent_multiplier` of the training config (VTP: 1; LightningDiT's own default 0.18215).
        public var latentMultiplier: Float = 1

        public init(checkpoint: URL, output: URL) { (self.checkpoint, self.output) = (checkpoint, output) }
    }

    public struct Report {
        public var config: LightningDiTConfig
        /// The entry the weights came from (`ema`, `model`, or nil for a bare state dict).
        public var entry: String?
        public var tensors: Int
        public var statistics: LatentStatistics?
    }

    public static func run(_ o: Options) throws -> Report {
        let (source, entry) = try open(o.checkpoint, weights: o.weights)
        let config = try LightningDiTConfig.inferred(from: source, heads: o.heads, numClasses: o.numClasses, useRope: o.useRope)
        var stats: LatentStatistics?
        if let url = o.statistics {
            let s = try LatentStatistics.load(from: url, multiplier: o.latentMultiplier)
            guard s.channels == config.inChannels else {
                throw GenerationError.invalidInput("\(url.path) has statistics of \(s.channels) channels, the DiT takes \(config.inChannels)")
            }
            stats = s
        }
        let model = try LightningDiT(config: config)
        try model.loadWeights(from: source)
        try model.save(directory: o.output)
        try stats?.save(to: o.output.appendingPathComponent(LatentStatistics.fileName))
        return Report(config: config, entry: entry, tensors: source.tensorNames.count, statistics: stats)
    }

    /// The state dict of `url`: the requested entry, or `ema`, `model`, the whole file in that order.
    static func open(_ url: URL, weights: Weights?) throws -> (TensorSource, String?) {
        guard WeightFiles.isTorchCheckpoint(url) else {
            if let w = weights { throw GenerationError.invalidInput("--weights \(w.rawValue) needs a PyTorch training checkpoint (.pt), not \(url.lastPathComponent)") }
            return (try WeightFiles.open(url), nil)
        }
        for key in weights.map({ [$0.rawValue] }) ?? ["ema", "model"] {
            do { return (try TorchCheckpoint(url: url, key: key), key) } catch let FormatError.keyNotFound(_, _, available) {
                if weights != nil {
                    let shown = available.prefix(6).joined(separator: ", ") + (available.count > 6 ? ", … (\(available.count) entries)" : "")
                    throw GenerationError.invalidInput("\(url.path) has no '\(key)' entry (it has: \(shown))")
                }
            }
        }
        return (try TorchCheckpoint(url: url), nil)
    }
}
