import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// Inception pool3 features of image tensors in a safetensors file (`vtp eval inception`).
public enum InceptionFeatures {
    /// pytorch-fid's InceptionV3 with the weights of `url`: its `.pth` (read safely) or a safetensors file with the
    /// same keys in any float dtype; `fc.*` may be absent.
    public static func model(weights url: URL) throws -> InceptionV3 {
        let m = InceptionV3()
        try m.load(try WeightFiles.open(url))
        return m
    }

    /// Every 4-D key K of `input` (RGB [B, 3, H, W] in [0, 1], any float dtype) becomes K [B, 2048] (F32) in
    /// `output`; other keys are skipped. Images go through the network `batchSize` at a time. Returns the keys
    /// written with their shapes.
    @discardableResult
    public static func extract(weights: URL, input: URL, output: URL, batchSize: Int = 16,
                               progress: ((String, Int, Int) -> Void)? = nil) throws -> [(key: String, shape: [Int])] {
        guard batchSize > 0 else { throw MetricError.invalidInput("batch size must be positive, got \(batchSize)") }
        let file = try SafeTensorsFile(url: input)
        let keys = file.tensors.filter { $0.shape.count == 4 && $0.dtype.isFloatingPoint }
        guard !keys.isEmpty else { throw MetricError.invalidInput("\(input.path): no 4-D float tensor [B, 3, H, W] to embed") }
        for t in keys where t.shape[1] != 3 {
            throw MetricError.invalidInput("\(input.path): '\(t.name)' is \(t.shape); images must be RGB [B, 3, H, W]")
        }
        let net = try model(weights: weights)
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "features": "pytorch-fid InceptionV3 pool3"])
        var written: [(String, [Int])] = []
        for t in keys {
            let images = Tensor(try file.floats(t.name), shape: t.shape)
            var rows: [Float] = []
            rows.reserveCapacity(t.shape[0] * InceptionV3.featureDimension)
            for start in stride(from: 0, to: t.shape[0], by: batchSize) {
                let end = Swift.min(start + batchSize, t.shape[0])
                rows += net.features(images.slice(axis: 0, start..<end)).scalars
                progress?(t.name, end, t.shape[0])
            }
            let shape = [t.shape[0], InceptionV3.featureDimension]
            try writer.add(name: t.name, shape: shape, floats: rows)
            written.append((t.name, shape))
        }
        try writer.write(to: output)
        return written
    }
}

extension FrechetDistance {
    /// The distance between two files of features or statistics (see `FeatureStatistics.load`).
    public static func distance(between a: URL, and b: URL) throws -> Double {
        try distance(try FeatureStatistics.load(url: a), try FeatureStatistics.load(url: b))
    }
}
