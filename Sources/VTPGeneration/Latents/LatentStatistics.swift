import Foundation
import VTPTensor

/// Per-channel statistics of a latent set (the official `latents_stats.pt`): mean and std [1, C, 1, 1] over
/// up to 10,000 random training latents (batch and spatial dimensions reduced). Training sees
/// z_n = (z − mean) / std; samples are mapped back with z = z_n·std + mean before decoding.
public struct LatentStatistics {
    /// [1, C, 1, 1] each.
    public var mean: Tensor
    public var std: Tensor

    public init(mean: Tensor, std: Tensor) {
        self.mean = mean
        self.std = std
    }

    /// Statistics of `count` latents of `latents` [N, C, h, w] chosen by a seeded permutation (all when N ≤ count).
    public static func compute(_ latents: Tensor, count: Int = 10_000, seed: UInt64 = 0) -> LatentStatistics {
        let (n, c, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3])
        var rng = RNG(seed: seed)
        let picks = n <= count ? Array(0..<n) : Array(rng.permutation(n).prefix(count))
        var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
        let plane = h * w
        for i in picks {
            for ch in 0..<c {
                let base = (i * c + ch) * plane
                for k in 0..<plane { let v = Double(latents.data[base + k]); sum[ch] += v; sq[ch] += v * v }
            }
        }
        let m = Double(picks.count * plane)
        let mean = sum.map { $0 / m }
        // torch.std: unbiased.
        let std = zip(sq, mean).map { (max($0.0 - m * $0.1 * $0.1, 0) / max(m - 1, 1)).squareRoot() }
        return LatentStatistics(mean: Tensor(mean.map(Float.init), shape: [1, c, 1, 1]), std: Tensor(std.map(Float.init), shape: [1, c, 1, 1]))
    }

    /// z [B, C, h, w] → (z − mean) / std.
    public func normalize(_ z: Tensor) -> Tensor { (z - mean) / std }

    /// z_n [B, C, h, w] → z_n·std + mean.
    public func denormalize(_ z: Tensor) -> Tensor { z * std + mean }

    public static let fileName = "latents_stats.safetensors"

    public func save(to url: URL) throws {
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        try w.add(name: "mean", shape: mean.shape, floats: mean.scalars)
        try w.add(name: "std", shape: std.shape, floats: std.scalars)
        try w.write(to: url)
    }

    public static func load(from url: URL) throws -> LatentStatistics {
        let f = try SafeTensorsFile(url: url)
        let s = LatentStatistics(mean: try f.tensor("mean"), std: try f.tensor("std"))
        guard s.mean.rank == 4, s.mean.shape == s.std.shape, s.mean.shape[0] == 1, s.mean.shape[2] == 1, s.mean.shape[3] == 1 else {
            throw GenerationError.invalidSettings("\(url.path): mean and std must both be [1, C, 1, 1], got \(s.mean.shape) and \(s.std.shape)")
        }
        guard s.std.scalars.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw GenerationError.invalidSettings("\(url.path): every std must be positive and finite")
        }
        return s
    }
}
