import Foundation
import VTPTensor

/// A folder of extracted latents, as `vtp dit extract` writes it (the official extraction's layout):
///
/// ```
/// shard-00000.safetensors …   latents [n, C, h, w], latents_flip [n, C, h, w] (of the flipped image), labels [n] (I64)
/// latents_stats.safetensors   mean, std [1, C, 1, 1]                            (LatentStatistics)
/// latents.json               {"count", "shards", "shard_size", "channels", "height", "width", "class_names", "tokenizer"}
/// ```
public struct LatentSet {
    /// [N, C, h, w]: the images' latents and those of their horizontal flips.
    public let latents: Tensor
    public let flipped: Tensor
    /// [N] class indices.
    public let labels: [Int]
    public let statistics: LatentStatistics
    public let info: LatentSetInfo

    /// Reads every shard of `directory` (all in memory).
    public static func load(directory: URL) throws -> LatentSet {
        let info = try LatentSetInfo.load(from: directory)
        var a: [Tensor] = [], b: [Tensor] = [], labels: [Int] = []
        for i in 0..<info.shards {
            let url = directory.appendingPathComponent(LatentSetInfo.shardName(i))
            let f = try SafeTensorsFile(url: url)
            let z = try f.tensor("latents"), zf = try f.tensor("latents_flip")
            let y = try f.int64s("labels").map { Int($0) }
            guard z.rank == 4, z.shape == zf.shape, z.shape[0] == y.count,
                  Array(z.shape.dropFirst()) == [info.channels, info.height, info.width] else {
                throw GenerationError.invalidInput("\(url.path): latents \(z.shape), latents_flip \(zf.shape) and labels [\(y.count)] do not match latents.json ([n, \(info.channels), \(info.height), \(info.width)])")
            }
            a.append(z); b.append(zf); labels += y
        }
        guard labels.count == info.count, labels.count > 0 else {
            throw GenerationError.invalidInput("\(directory.path): the shards hold \(labels.count) latents, latents.json says \(info.count)")
        }
        let stats = try LatentStatistics.load(from: directory.appendingPathComponent(LatentStatistics.fileName))
        guard stats.channels == info.channels else {
            throw GenerationError.invalidInput("\(directory.path): statistics for \(stats.channels) channels, latents have \(info.channels)")
        }
        return LatentSet(latents: Tensor.concat(a, axis: 0), flipped: Tensor.concat(b, axis: 0), labels: labels,
                         statistics: stats, info: info)
    }

    public var count: Int { labels.count }
}

/// `latents.json`: what a latent folder holds.
public struct LatentSetInfo: Codable, Equatable, Sendable {
    public var count: Int
    public var shards: Int
    public var shardSize: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    public var classNames: [String]
    /// The tokenizer folder the latents were made with.
    public var tokenizer: String

    enum CodingKeys: String, CodingKey {
        case count, shards, channels, height, width, tokenizer
        case shardSize = "shard_size", classNames = "class_names"
    }

    public init(count: Int, shards: Int, shardSize: Int, channels: Int, height: Int, width: Int, classNames: [String], tokenizer: String) {
        (self.count, self.shards, self.shardSize, self.channels) = (count, shards, shardSize, channels)
        (self.height, self.width, self.classNames, self.tokenizer) = (height, width, classNames, tokenizer)
    }

    public static let fileName = "latents.json"

    public static func shardName(_ i: Int) -> String { String(format: "shard-%05d.safetensors", i) }

    public static func load(from directory: URL) throws -> LatentSetInfo {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw GenerationError.invalidInput("\(directory.path) has no \(fileName): is it a folder written by `vtp dit extract`?")
        }
        do { return try JSONDecoder().decode(LatentSetInfo.self, from: data) } catch {
            throw GenerationError.invalidInput("\(url.path) is not a valid latents.json: \(error)")
        }
    }

    public func save(to directory: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }
}
