import VTPData
import VTPModels
import VTPTensor

/// Class-conditional sampling to images (the non-demo branch of `do_sample`): noise N(0, I) per image from `seed`,
/// the ODE sampler, guidance with the interval when scale > 1, latent de-normalisation, `decode`, and the official
/// uint8 conversion of VTP's `decode_to_images` (inverse ImageNet normalisation, clamp(x·255, 0, 255), truncation).
public struct ClassConditionalSampling {
    public var sampler: FlowSampler
    /// nil or scale ≤ 1: no guidance.
    public var guidance: Guidance?
    public var statistics: LatentStatistics?
    public var batchSize: Int

    public init(sampler: FlowSampler, guidance: Guidance?, statistics: LatentStatistics?, batchSize: Int = 16) {
        (self.sampler, self.guidance, self.statistics, self.batchSize) = (sampler, guidance, statistics, batchSize)
    }

    /// Samples one image per label, in batches.
    /// - Parameters:
    ///   - decode: tokenizer latents [b, C, H, W] → images [b, 3, H', W'] in ImageNet-normalised space (as
    ///     `VTPModel.decode`).
    ///   - progress: called with (images done, total) after each batch.
    /// - Returns: the images, in label order, and the latents (model space, before de-normalisation) [N, C, H, W].
    public func generate(model: LightningDiT, labels: [Int], seed: UInt64,
                         decode: (Tensor) throws -> Tensor,
                         progress: (Int, Int) -> Void = { _, _ in }) throws -> (images: [RGBImage], latents: Tensor) {
        guard batchSize >= 1 else { throw GenerationError.invalidSettings("batch size must be ≥ 1") }
        guard !labels.isEmpty else { throw GenerationError.invalidInput("no labels to sample") }
        let c = model.config
        if let s = statistics, s.channels != c.inChannels {
            throw GenerationError.invalidInput("latent statistics have \(s.channels) channels, the model \(c.inChannels)")
        }
        let g = guidance.flatMap { $0.scale > 1 ? $0 : nil }
        var rng = RNG(seed: seed)
        var images: [RGBImage] = [], latents: [Tensor] = []
        var start = 0
        while start < labels.count {
            let batch = Array(labels[start..<Swift.min(start + batchSize, labels.count)])
            let noise = Tensor.randomNormal([batch.count, c.inChannels, c.inputSize, c.inputSize], rng: &rng)
            let z = try model.sampleTrajectory(noise: noise, labels: batch, sampler: sampler, guidance: g,
                                                keepAll: false).last!
            latents.append(z)
            let tokenizerLatents = try statistics.map { try $0.denormalize(z) } ?? z
            images += try ImageTensors.images(try decode(tokenizerLatents), quantization: .truncate)
            start += batch.count
            progress(start, labels.count)
        }
        return (images, Tensor.concat(latents, axis: 0))
    }
}
