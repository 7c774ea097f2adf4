import VTPData
import VTPModels
import VTPTensor

/// Image output of the official sampler (LightningDiT `inference.py`, VTP `vtp_tokenizer.decode_to_images`).
public enum SampleImages {
    /// Decoded images [B, 3, H, W] in [0, 1] → RGB bytes, as `clamp(x·255, 0, 255).to(uint8)` (truncation, not
    /// rounding; NaN becomes 0).
    public static func rgbImages(_ unit: Tensor) throws -> [RGBImage] {
        guard unit.rank == 4, unit.shape[1] == 3 else {
            throw GenerationError.invalidInput("decoded images must be [B, 3, H, W], got \(unit.shape)")
        }
        let (b, h, w) = (unit.shape[0], unit.shape[2], unit.shape[3])
        return (0..<b).map { i in
            var pixels = [UInt8](repeating: 0, count: h * w * 3)
            for c in 0..<3 {
                let plane = unit.data + (i * 3 + c) * h * w
                for j in 0..<(h * w) {
                    let v = Swift.min(Swift.max(plane[j] * 255, 0), 255)
                    pixels[j * 3 + c] = v.isNaN ? 0 : UInt8(v)
                }
            }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }

    /// The inverse of the "half" normalisation (mean = std = 0.5): (x − (−1))/2, decoder output → [0, 1].
    public static func fromHalfNormalized(_ x: Tensor) -> Tensor { (x + 1) / 2 }
}

/// Class-conditional sampling to images (the non-demo branch of `do_sample`): noise N(0, I) per image from `seed`,
/// the ODE sampler, guidance with the interval when scale > 1, latent de-normalisation, then `decode`.
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
    ///   - decode: tokenizer latents [b, C, H, W] → images [b, 3, H', W'] in [0, 1].
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
            images += try SampleImages.rgbImages(try decode(tokenizerLatents))
            start += batch.count
            progress(start, labels.count)
        }
        return (images, Tensor.concat(latents, axis: 0))
    }
}
