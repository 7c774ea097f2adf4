import Foundation
import VTPEval
import VTPNN
import VTPTensor

/// Per-channel latent normalisation of the official LightningDiT data pipeline (`datasets/img_latent_dataset.py`,
/// `inference.py`): training reads (latent − mean)/std · multiplier, sampling maps back with
/// sample · std / multiplier + mean. mean and std are over the batch and spatial axes of the extracted latents
/// (std unbiased, as `latents.std(dim=[0, 2, 3])`); VTP configs use multiplier 1 (LightningDiT's default 0.18215).
/// Saved like the official `latents_stats.pt`: `mean`, `std` [1, C, 1, 1].
public struct LatentStatistics: Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]
    public var multiplier: Float

    public init(mean: [Float], std: [Float], multiplier: Float = 1) {
        precondition(mean.count == std.count, "latent statistics: \(mean.count) means vs \(std.count) stds")
        (self.mean, self.std, self.multiplier) = (mean, std, multiplier)
    }

    public var channels: Int { mean.count }

    /// The file name a latent folder and a DiT checkpoint keep the statistics under.
    public static let fileName = "latents_stats.safetensors"

    /// Statistics of up to `count` latents of `latents` [N, C, H, W] chosen by a seeded permutation (all when
    /// N ≤ count): the official `latents_stats` use 10,000 random training latents.
    public static func compute(_ latents: Tensor, count: Int = 10_000, seed: UInt64 = 0) throws -> LatentStatistics {
        guard latents.rank == 4, latents.shape[0] > 0 else { throw GenerationError.invalidInput("latent statistics need latents [N, C, H, W], got \(latents.shape)") }
        let n = latents.shape[0]
        var rng = RNG(seed: seed)
        let picks = n <= count ? Array(0..<n) : Array(rng.permutation(n).prefix(count)).sorted()
        var acc = Accumulator(channels: latents.shape[1])
        try acc.add(picks.count == n ? latents : latents.reshaped([n, -1]).gatherRows(picks).reshaped([picks.count] + Array(latents.shape.dropFirst())))
        return try acc.statistics()
    }

    /// Streaming accumulation over latent batches [B, C, H, W] (Double sums, so 10,000 latents stay exact enough).
    public struct Accumulator {
        var sum: [Double], sumSquares: [Double]
        var count = 0

        public init(channels: Int) {
            sum = Array(repeating: 0, count: channels)
            sumSquares = Array(repeating: 0, count: channels)
        }

        /// Adds a batch [B, C, H, W].
        public mutating func add(_ latents: Tensor) throws {
            guard latents.rank == 4, latents.shape[1] == sum.count else {
                throw GenerationError.invalidInput("latent statistics: expected [B, \(sum.count), H, W], got \(latents.shape)")
            }
            let (b, c, hw) = (latents.shape[0], latents.shape[1], latents.shape[2] * latents.shape[3])
            for i in 0..<b {
                for ch in 0..<c {
                    let p = latents.data + (i * c + ch) * hw
                    var s = 0.0, q = 0.0
                    for j in 0..<hw { let v = Double(p[j]); s += v; q += v * v }
                    sum[ch] += s
                    sumSquares[ch] += q
                }
            }
            count += b * hw
        }

        /// Mean and unbiased standard deviation per channel.
        public func statistics(multiplier: Float = 1) throws -> LatentStatistics {
            guard count > 1 else { throw GenerationError.invalidInput("latent statistics need at least 2 values per channel") }
            let n = Double(count)
            let mean = sum.map { $0 / n }
            let std = zip(sumSquares, mean).map { q, m in (Swift.max(q - n * m * m, 0) / (n - 1)).squareRoot() }
            return LatentStatistics(mean: mean.map { Float($0) }, std: std.map { Float($0) }, multiplier: multiplier)
        }
    }

    private func broadcast(_ v: [Float]) -> Tensor { Tensor(v, shape: [1, v.count, 1, 1]) }

    private func check(_ x: Tensor) throws {
        guard x.rank == 4, x.shape[1] == channels else {
            throw GenerationError.invalidInput("latents \(x.shape) do not have the \(channels) channels of the statistics")
        }
    }

    /// (x − mean)/std · multiplier for latents [B, C, H, W] (what the model trains on).
    public func normalize(_ x: Tensor) throws -> Tensor {
        try check(x)
        return (x - broadcast(mean)) / broadcast(std) * multiplier
    }

    /// x · std / multiplier + mean: model space back to tokenizer latents [B, C, H, W].
    public func denormalize(_ x: Tensor) throws -> Tensor {
        try check(x)
        return x * broadcast(std) / multiplier + broadcast(mean)
    }

    /// Writes `mean` and `std` [1, C, 1, 1] (F32) and the multiplier in the metadata.
    public func save(to url: URL) throws {
        var w = SafeTensorsWriter(metadata: ["format": "pt", "latent_multiplier": "\(multiplier)"])
        try w.add(name: "mean", shape: [1, channels, 1, 1], floats: mean)
        try w.add(name: "std", shape: [1, channels, 1, 1], floats: std)
        try w.write(to: url)
    }

    /// Reads a file written by `save`, or the official `latents_stats.pt` (`mean`, `std`; read by the restricted
    /// PyTorch reader) or any safetensors holding those two.
    public static func load(from url: URL, multiplier: Float? = nil) throws -> LatentStatistics {
        let f = try WeightFiles.open(url)
        let names = Set(f.tensorNames)
        guard names.contains("mean"), names.contains("std") else {
            throw GenerationError.invalidInput("\(url.path) must hold 'mean' and 'std' (it has: \(f.tensorNames.joined(separator: ", ")))")
        }
        let (m, s) = (try f.tensorFloats("mean"), try f.tensorFloats("std"))
        guard m.count == s.count, !m.isEmpty else {
            throw GenerationError.invalidInput("\(url.path): 'mean' (\(m.count)) and 'std' (\(s.count)) differ in size")
        }
        guard s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw GenerationError.invalidInput("\(url.path): 'std' must be positive and finite")
        }
        let stored = (f as? SafeTensorsFile)?.metadata["latent_multiplier"].flatMap(Float.init)
        return LatentStatistics(mean: m, std: s, multiplier: multiplier ?? stored ?? 1)
    }
}
