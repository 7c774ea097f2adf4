import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// LPIPS-VGG (v0.1) of image pairs in a safetensors file (`vtp eval lpips`).
public enum LPIPSEvaluation {
    /// The network from published weight files (torchvision's VGG16 `.pth` + lpips' `vgg.pth`, or one
    /// safetensors file with both key sets, or SwiftVTP's LPIPS file).
    public static func model(weights: [URL]) throws -> LPIPS {
        guard !weights.isEmpty else { throw MetricError.invalidInput("LPIPS needs at least one weights file") }
        return try LPIPS.load(from: try weights.map { try WeightFiles.open($0) })
    }

    /// Reads `in0`, `in1` [N, 3, H, W] in [−1, 1] from `input`; writes `distance` [N, 1, 1, 1], `layer0`…`layer4`
    /// [N, 1, 1, 1] and, with `spatial`, `spatial_map` [N, 1, H, W] to `output`. Returns the distances.
    @discardableResult
    public static func run(weights: [URL], input: URL, output: URL, spatial: Bool = false, batchSize: Int = 8) throws -> [Float] {
        guard batchSize > 0 else { throw MetricError.invalidInput("batch size must be positive, got \(batchSize)") }
        let file = try SafeTensorsFile(url: input)
        for key in ["in0", "in1"] where !file.contains(key) {
            throw MetricError.invalidInput("\(input.path): missing '\(key)' (LPIPS reads in0 and in1 [N, 3, H, W] in [-1, 1])")
        }
        let s0 = try file.info("in0").shape, s1 = try file.info("in1").shape
        guard s0 == s1, s0.count == 4, s0[1] == 3, s0[2] >= 16, s0[3] >= 16 else {
            throw MetricError.invalidInput("\(input.path): in0 \(s0) and in1 \(s1) must be one shape [N, 3, H, W] with H, W ≥ 16")
        }
        let net = try model(weights: weights)
        let x = Tensor(try file.floats("in0"), shape: s0), y = Tensor(try file.floats("in1"), shape: s1)
        var total: [Float] = [], layers = [[Float]](repeating: [], count: LPIPS.channels.count), maps: [Float] = []
        for start in stride(from: 0, to: s0[0], by: batchSize) {
            let r = start..<Swift.min(start + batchSize, s0[0])
            let (a, b) = (x.slice(axis: 0, r), y.slice(axis: 0, r))
            let stages = net.stageDistances(a, b)
            for (l, d) in stages.enumerated() { layers[l] += d.scalars }
            total += stages.dropFirst().reduce(stages[0]) { $0 + $1 }.scalars
            if spatial { maps += net.spatialMaps(a, b).total.scalars }
        }
        let n = s0[0]
        var w = SafeTensorsWriter(metadata: ["format": "pt", "metric": "LPIPS vgg v0.1"])
        try w.add(name: "distance", shape: [n, 1, 1, 1], floats: total)
        for (l, v) in layers.enumerated() { try w.add(name: "layer\(l)", shape: [n, 1, 1, 1], floats: v) }
        if spatial { try w.add(name: "spatial_map", shape: [n, 1, s0[2], s0[3]], floats: maps) }
        try w.write(to: output)
        return total
    }
}
