import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPNN
import VTPTensor

/// Class-conditional images from a LightningDiT and the tokenizer whose latents it learned: noise → ODE
/// sampler (with optional guidance) → latents mapped back with the latent statistics → the tokenizer's decoder
/// → 8-bit images truncated as the official `clamp(x·255).to(uint8)`.
public struct ClassConditionalSampler {
    public let dit: LightningDiT
    public let tokenizer: VTPModel
    public let statistics: LatentStatistics
    public var sampler: FlowSampler
    public var guidance: Guidance?

    public init(dit: LightningDiT, tokenizer: VTPModel, statistics: LatentStatistics, sampler: FlowSampler, guidance: Guidance? = nil) throws {
        guard statistics.mean.shape[1] == dit.config.inChannels, tokenizer.config.latentChannels == dit.config.inChannels else {
            throw GenerationError.invalidSettings("the DiT takes \(dit.config.inChannels)-channel latents, the tokenizer makes \(tokenizer.config.latentChannels) and the statistics describe \(statistics.mean.shape[1])")
        }
        self.dit = dit
        self.tokenizer = tokenizer
        self.statistics = statistics
        self.sampler = sampler
        self.guidance = guidance
    }

    /// Images for `labels`, `batch` at a time, the noise drawn from `seed` (one stream for the whole call).
    public func images(labels: [Int], seed: UInt64, batch: Int = 16, progress: (Int, Int) -> Void = { _, _ in }) throws -> [RGBImage] {
        var rng = RNG(seed: seed)
        let (c, s) = (dit.config.inChannels, dit.config.inputSize)
        var out: [RGBImage] = []
        for start in stride(from: 0, to: labels.count, by: max(batch, 1)) {
            let y = Array(labels[start..<min(start + max(batch, 1), labels.count)])
            let noise = Tensor.randomNormal([y.count, c, s, s], rng: &rng)
            let decoded: Tensor = try withNoGrad {
                guard let z = try dit.sampleTrajectory(noise: noise, labels: y, sampler: sampler, guidance: guidance).last else {
                    throw GenerationError.solverFailure("the sampler returned no state")
                }
                return try tokenizer.decode(statistics.denormalize(z))
            }
            out += try ImageTensors.images(decoded, quantization: .truncate)
            progress(out.count, labels.count)
        }
        return out
    }

    /// `perClass` samples of each class as a grid (one row per class, labelled with its name), written to `url`.
    @discardableResult
    public func writeGrid(classNames: [String], perClass: Int, seed: UInt64, title: String, to url: URL) throws -> [RGBImage] {
        let labels = classNames.indices.flatMap { Array(repeating: $0, count: perClass) }
        let images = try self.images(labels: labels, seed: seed)
        let rows = classNames.indices.map { Array(images[($0 * perClass)..<(($0 + 1) * perClass)]) }
        try ImageGrid(rows: rows, rowLabels: classNames, title: title).writePNG(to: url)
        return images
    }
}
