import Foundation
import VTPData
import VTPTensor

/// `vtp eval fid`: the Fréchet distance between two image sets (or their saved statistics) in the features of
/// a `FeatureNetwork`, as pytorch-fid computes it between two folders.
public enum FIDEvaluation {
    /// One side of a distance.
    public struct Side: Codable, Sendable {
        public var source: String
        /// Images measured; nil when the side was a statistics file.
        public var images: Int?
    }

    public struct Result: Codable, Sendable {
        /// "FID" (Inception) or "domain FD".
        public var metric: String
        public var distance: Double
        public var network: String
        public var a: Side
        public var b: Side
    }

    /// Whether `source` names saved statistics or features rather than images: a `.safetensors` file, or an
    /// `.npz` without uint8 images in `arr_0` (ADM reference batches hold `mu` and `sigma`).
    public static func isStatisticsFile(_ source: String) throws -> Bool {
        let url = URL(fileURLWithPath: source)
        switch url.pathExtension.lowercased() {
        case "safetensors": return true
        case "npz":
            let z = try NumPyArchive(url: url)
            if z.contains("mu") && z.contains("sigma") { return true }
            guard z.contains("arr_0") else { return true }
            return try z.array("arr_0").shape.count != 4
        default: return false
        }
    }

    /// Statistics of `source` in `network`'s features: read from a statistics file, or computed from its images
    /// (`batch` at a time; `progress(done, total)`). Returns the image count too (nil for a statistics file).
    public static func statistics(of source: String, network: FeatureNetwork, limit: Int? = nil, batch: Int = 250,
                                  progress: (Int, Int) -> Void = { _, _ in }) throws -> (FeatureStatistics, Int?) {
        if try isStatisticsFile(source) {
            let s = try FeatureStatistics.load(url: URL(fileURLWithPath: source))
            guard s.dimension == network.dimension else {
                throw MetricError.invalidInput("\(source) holds \(s.dimension)-d statistics; \(network.metricName) with \(network.description) needs \(network.dimension)-d")
            }
            return (s, nil)
        }
        let set = try ImageSet(source, limit: limit)
        guard set.count >= 2 else { throw MetricError.invalidInput("\(source): a covariance needs at least 2 images, found \(set.count)") }
        var features: [Double] = []
        features.reserveCapacity(set.count * network.dimension)
        for start in stride(from: 0, to: set.count, by: max(batch, 1)) {
            let end = min(start + max(batch, 1), set.count)
            features += network.features(try set.images(start..<end)).map(Double.init)
            progress(end, set.count)
        }
        return (try FeatureStatistics(features: features, count: set.count, dimension: network.dimension), set.count)
    }

    /// The distance between `a` and `b`; `saveStatistics` writes A's statistics for reuse.
    public static func run(_ a: String, _ b: String, network: FeatureNetwork, limit: Int? = nil, saveStatistics: URL? = nil,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> Result {
        let (sa, na) = try statistics(of: a, network: network, limit: limit) { progress(a, $0, $1) }
        if let saveStatistics { try sa.save(to: saveStatistics) }
        let (sb, nb) = try statistics(of: b, network: network, limit: limit) { progress(b, $0, $1) }
        return Result(metric: network.metricName, distance: try FrechetDistance.distance(sa, sb), network: network.description,
                      a: Side(source: a, images: na), b: Side(source: b, images: nb))
    }
}
