import Foundation
import VTPTensor

/// DINOv2's linear evaluation on frozen features: one linear classifier per (feature configuration, learning
/// rate), all trained at once on the same batches — SGD with momentum 0.9, no weight decay, cosine schedule to
/// 0, weights N(0, 0.01) and zero bias, cross-entropy; base learning rates scaled by batch/256. The result is
/// the best top-1 on the validation features over every classifier, measured after each epoch.
public enum LinearProbe {
    /// A feature configuration: the last `blocks` CLS tokens, plus average-pooled patch tokens with `avgpool`.
    public struct FeatureConfig: Hashable, Codable, Sendable, CustomStringConvertible {
        public var blocks: Int
        public var avgpool: Bool
        public init(blocks: Int, avgpool: Bool) { (self.blocks, self.avgpool) = (blocks, avgpool) }

        /// "cls", "cls+avgpool", "last4", "last4+avgpool" (n blocks: "lastN").
        public var description: String { (blocks == 1 ? "cls" : "last\(blocks)") + (avgpool ? "+avgpool" : "") }

        public init?(name: String) {
            let parts = name.split(separator: "+").map(String.init)
            guard let head = parts.first, parts.count <= 2, parts.count == 1 || parts[1] == "avgpool" else { return nil }
            if head == "cls" { blocks = 1 } else if head.hasPrefix("last"), let n = Int(head.dropFirst(4)), n >= 1 { blocks = n } else { return nil }
            avgpool = parts.count == 2
        }
    }

    /// DINOv2's 13 base learning rates.
    public static let baseLearningRates = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1]

    public struct Options: Sendable {
        public var configs = [FeatureConfig(blocks: 1, avgpool: false), FeatureConfig(blocks: 1, avgpool: true),
                              FeatureConfig(blocks: 4, avgpool: false), FeatureConfig(blocks: 4, avgpool: true)]
        public var learningRates = LinearProbe.baseLearningRates
        public var epochs = 10
        public var batchSize = 128
        public var seed: UInt64 = 0
        public init() {}
    }

    /// One classifier's outcome.
    public struct Entry: Codable, Sendable {
        public var features: String
        public var lr: Double
        /// Best validation top-1 (0–1) over the epochs, and the epoch it was reached (1-based).
        public var accuracy: Double
        public var epoch: Int
    }

    public struct Result: Codable, Sendable {
        public var best: Entry
        public var entries: [Entry]
        public var trainSamples: Int
        public var validationSamples: Int
        public var epochs: Int
        public var batchSize: Int
    }

    /// Trains every classifier on `train` and measures them on `validation` after each epoch.
    /// `progress(epoch, epochs, best accuracy so far)`.
    public static func run(train: DatasetFeatures, validation: DatasetFeatures, _ o: Options = Options(),
                           progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> Result {
        guard o.epochs >= 1, o.batchSize >= 1, !o.learningRates.isEmpty, !o.configs.isEmpty else {
            throw MetricError.invalidInput("linear probe: epochs, batch size, learning rates and feature configurations must be non-empty")
        }
        // A trunk shallower than a configuration's block count uses all its blocks (last4 of a 2-block trunk is last2).
        let blocks = train.cls.shape[1]
        var configs: [FeatureConfig] = []
        for c in o.configs {
            let clamped = FeatureConfig(blocks: min(c.blocks, blocks), avgpool: c.avgpool)
            if !configs.contains(clamped) { configs.append(clamped) }
        }
        let classes = max(train.labels.max() ?? 0, validation.labels.max() ?? 0) + 1
        let n = train.count, perEpoch = (n + o.batchSize - 1) / o.batchSize, total = perEpoch * o.epochs
        let scale = Double(o.batchSize) / 256
        let lrs = o.learningRates.map { $0 * scale }
        var rng = RNG(seed: o.seed)
        var heads = configs.map { c -> Heads in
            let x = train.probeInput(blocks: c.blocks, avgpool: c.avgpool)
            return Heads(config: c, train: x, validation: validation.probeInput(blocks: c.blocks, avgpool: c.avgpool),
                         classes: classes, lrs: lrs, rng: &rng)
        }
        var best = [[(Double, Int)]](repeating: [(Double, Int)](repeating: (-1, 0), count: lrs.count), count: heads.count)
        var step = 0
        for epoch in 1...o.epochs {
            let order = rng.permutation(n)
            for b in 0..<perEpoch {
                let idx = Array(order[(b * o.batchSize)..<min((b + 1) * o.batchSize, n)])
                let factor = 0.5 * (1 + cos(Double.pi * Double(step) / Double(total)))
                for k in heads.indices { heads[k].step(indices: idx, labels: idx.map { train.labels[$0] }, lrFactor: factor) }
                step += 1
            }
            for k in heads.indices {
                for (j, acc) in heads[k].accuracies(labels: validation.labels).enumerated() where acc > best[k][j].0 {
                    best[k][j] = (acc, epoch)
                }
            }
            progress(epoch, o.epochs, best.flatMap { $0 }.map(\.0).max() ?? 0)
        }
        var entries: [Entry] = []
        for (k, h) in heads.enumerated() {
            for (j, lr) in o.learningRates.enumerated() {
                entries.append(Entry(features: h.config.description, lr: lr, accuracy: best[k][j].0, epoch: best[k][j].1))
            }
        }
        let top = entries.max { $0.accuracy < $1.accuracy || ($0.accuracy == $1.accuracy && $0.lr > $1.lr) }!
        return Result(best: top, entries: entries, trainSamples: n, validationSamples: validation.count, epochs: o.epochs, batchSize: o.batchSize)
    }

    /// The classifiers of one feature configuration, one per learning rate, side by side in one matrix
    /// W [F, L·K] (column block j = learning rate j) so that a batch costs one product forward and one backward.
    struct Heads {
        let config: FeatureConfig
        let x: Tensor, xVal: Tensor
        let classes: Int, lrs: [Double]
        var w: Tensor, b: Tensor, mw: Tensor, mb: Tensor

        init(config: FeatureConfig, train: Tensor, validation: Tensor, classes: Int, lrs: [Double], rng: inout RNG) {
            (self.config, x, xVal, self.classes, self.lrs) = (config, train, validation, classes, lrs)
            let f = train.shape[1], cols = classes * lrs.count
            w = Tensor.randomNormal([f, cols], std: 0.01, rng: &rng)
            b = Tensor.zeros([cols])
            mw = Tensor.zeros([f, cols])
            mb = Tensor.zeros([cols])
        }

        /// One SGD-momentum step of every classifier on the samples `indices`.
        mutating func step(indices: [Int], labels: [Int], lrFactor: Double) {
            withNoGrad {
                let xb = x.gatherRows(indices, indexShape: [indices.count])           // [B, F]
                let logits = xb.matmul(w) + b                                          // [B, L·K]
                let bsz = indices.count, k = classes, l = lrs.count
                var g = logits.reshaped([bsz * l, k]).softmax().scalars               // dCE/dlogits, per head
                for r in 0..<bsz {
                    for j in 0..<l { g[(r * l + j) * k + labels[r]] -= 1 }
                }
                let grad = Tensor(g.map { $0 / Float(bsz) }, shape: [bsz, l * k])
                let gw = xb.matmul(grad, transposeA: true), gb = grad.sum(axis: 0)
                // Per-column learning rates: head j's columns use lrs[j].
                let lrRow = Tensor((0..<(l * k)).map { Float(lrs[$0 / k] * lrFactor) }, shape: [l * k])
                mw = mw * 0.9 + gw
                mb = mb * 0.9 + gb
                w = w - mw * lrRow
                b = b - mb * lrRow
            }
        }

        /// Validation top-1 of every classifier.
        func accuracies(labels: [Int]) -> [Double] {
            var hits = [Int](repeating: 0, count: lrs.count)
            withNoGrad {
                for start in stride(from: 0, to: labels.count, by: 4096) {
                    let end = min(start + 4096, labels.count)
                    let logits = (xVal.slice(axis: 0, start..<end).matmul(w) + b).scalars
                    let k = classes, l = lrs.count
                    for r in 0..<(end - start) {
                        for j in 0..<l {
                            let base = (r * l + j) * k
                            var arg = 0
                            for c in 1..<k where logits[base + c] > logits[base + arg] { arg = c }
                            if arg == labels[start + r] { hits[j] += 1 }
                        }
                    }
                }
            }
            return hits.map { Double($0) / Double(max(labels.count, 1)) }
        }
    }
}
