import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// `vtp eval train-classifier`: trains a `DomainClassifier` on a labelled dataset and measures it on a held-out
/// split. AdamW with a linear warm-up and cosine decay, cross-entropy; optionally random horizontal flips and
/// shifts of up to `shift` pixels (zero fill). The folder it writes (`config.json`, `model.safetensors`, `classifier.json`,
/// `metrics.jsonl`) is what `--net` takes.
public enum DomainClassifierTraining {
    public struct Options: Sendable {
        /// Training data (`LabelledImages` name: `fmnist`, a class-folder path, …).
        public var data: String
        /// Held-out data; nil: `fmnist-test` for Fashion-MNIST, otherwise every 10th training sample.
        public var validation: String?
        public var output: URL
        public var epochs = 5
        public var batchSize = 128
        public var lr = 2e-3
        public var weightDecay = 0.01
        public var warmupSteps = 100
        public var shift = 0
        /// Random horizontal flips (with `shift`: the augmentation of `--augment`).
        public var flip = false
        public var seed: UInt64 = 0
        public var limit: Int?
        public var config = DomainClassifierConfig()

        public init(data: String, output: URL) { (self.data, self.output) = (data, output) }
    }

    /// What `classifier.json` holds.
    public struct Report: Codable, Sendable {
        public var data: String
        public var validation: String
        public var trainImages: Int
        public var validationImages: Int
        public var epochs: Int
        public var steps: Int
        /// Top-1 accuracy (0–1) on the held-out images.
        public var accuracy: Double
        /// Accuracy per class on the held-out images.
        public var classAccuracy: [Double]
        public var classNames: [String]?
        public var seconds: Double
        public var cpu: String
    }

    /// Progress: (step, total steps, mean loss of the last logging window).
    public static func train(_ o: Options, progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> Report {
        let start = Date()
        guard o.epochs >= 1, o.batchSize >= 1, o.lr > 0, o.shift >= 0 else {
            throw MetricError.invalidInput("epochs, batch size and learning rate must be positive and shift ≥ 0")
        }
        let (train, validation, validationName) = try datasets(o)
        var config = o.config
        let names = train.classNames
        config.classNames = names
        let side = config.imageSize
        let (xTrain, yTrain) = try load(train, side: side)
        let (xVal, yVal) = try load(validation, side: side)
        let maxLabel = max(yTrain.max() ?? 0, yVal.max() ?? 0)
        config.numClasses = max(names?.count ?? 0, maxLabel + 1, 2)
        if let names, names.count != config.numClasses { config.classNames = nil }
        let model = try DomainClassifier(config: config, seed: o.seed)
        try FileManager.default.createDirectory(at: o.output, withIntermediateDirectories: true)
        let metrics = JSONLLog(url: o.output.appendingPathComponent("metrics.jsonl"))
        let optimizer = AdamW(model.trainableParameters, lr: Float(o.lr), weightDecay: Float(o.weightDecay))
        var rng = RNG(seed: o.seed &+ 1)
        let n = yTrain.count, perEpoch = (n + o.batchSize - 1) / o.batchSize, total = perEpoch * o.epochs
        let plane = side * side
        var step = 0, window = 0.0, windowCount = 0
        for _ in 0..<o.epochs {
            var order: [Int] = []
            order = rng.permutation(n)
            for b in 0..<perEpoch {
                let idx = Array(order[(b * o.batchSize)..<min((b + 1) * o.batchSize, n)])
                var values = [Float](repeating: 0, count: idx.count * plane)
                for (k, j) in idx.enumerated() {
                    augment(xTrain, sample: j, side: side, into: &values, at: k * plane,
                            flip: o.flip && rng.bernoulli(0.5), dx: rng.int(below: 2 * o.shift + 1) - o.shift, dy: rng.int(below: 2 * o.shift + 1) - o.shift)
                }
                let warm = min(1, Double(step + 1) / Double(max(o.warmupSteps, 1)))
                let cosine = 0.5 * (1 + cos(Double.pi * Double(step) / Double(total)))
                optimizer.lr = Float(o.lr * warm * cosine)
                model.zeroGrad()
                let loss = model(Tensor(values, shape: [idx.count, 1, side, side])).logits.crossEntropy(targets: idx.map { yTrain[$0] })
                let value = Double(loss.item)
                guard value.isFinite else { throw MetricError.numerical("classifier loss is \(value) at step \(step + 1)") }
                loss.backward()
                optimizer.update()
                step += 1
                window += value
                windowCount += 1
                if step % 50 == 0 || step == total {
                    try metrics.append(["step": Double(step), "loss": window / Double(windowCount), "lr": Double(optimizer.lr)])
                    progress(step, total, window / Double(windowCount))
                    (window, windowCount) = (0, 0)
                }
            }
        }
        let predicted = DomainNetwork(model: model, directory: o.output).apply(xVal).predicted
        let classes = config.numClasses
        var hits = [Int](repeating: 0, count: classes), counts = [Int](repeating: 0, count: classes)
        for (p, y) in zip(predicted, yVal) {
            counts[y] += 1
            if p == y { hits[y] += 1 }
        }
        try model.save(directory: o.output)
        let report = Report(
            data: o.data, validation: validationName, trainImages: n, validationImages: yVal.count, epochs: o.epochs,
            steps: total, accuracy: Double(hits.reduce(0, +)) / Double(max(yVal.count, 1)),
            classAccuracy: zip(hits, counts).map { Double($0) / Double(max($1, 1)) }, classNames: config.classNames,
            seconds: Date().timeIntervalSince(start), cpu: CPUInfo.current.name)
        try EvaluationReport.writeJSON(report, to: o.output.appendingPathComponent("classifier.json"))
        return report
    }

    /// The training and held-out datasets and the held-out one's name.
    static func datasets(_ o: Options) throws -> (any ImageTextDataset, any ImageTextDataset, String) {
        let all = try LabelledImages.open(o.data, limit: o.limit)
        if let v = o.validation { return (all, try LabelledImages.open(v), v) }
        if o.data == "fmnist" || o.data == "fmnist-train" { return (all, try LabelledImages.open("fmnist-test"), "fmnist-test") }
        let held = Array(stride(from: 9, to: all.count, by: 10))
        let heldSet = Set(held)
        return (SubsetDataset(base: all, indices: (0..<all.count).filter { !heldSet.contains($0) }),
                SubsetDataset(base: all, indices: held), "every 10th sample of \(o.data)")
    }

    /// Every sample as a grey plane [n, 1, S, S] with its label; unlabelled samples are an error.
    static func load(_ dataset: any ImageTextDataset, side: Int) throws -> (Tensor, [Int]) {
        guard dataset.count > 0 else { throw MetricError.invalidInput("the dataset is empty") }
        var images: [RGBImage] = [], labels: [Int] = []
        images.reserveCapacity(dataset.count)
        for i in 0..<dataset.count {
            let s = try dataset.sample(i)
            guard let label = s.label else { throw MetricError.invalidInput("sample \(s.key) has no class label") }
            images.append(s.image)
            labels.append(label)
        }
        return (DomainNetwork.input(images, side: side), labels)
    }

    /// Copies sample `j` of `x` [n, 1, S, S], flipped and shifted by (dx, dy) with zero fill, into `out[at...]`.
    static func augment(_ x: Tensor, sample j: Int, side: Int, into out: inout [Float], at offset: Int,
                        flip: Bool, dx: Int, dy: Int) {
        do {
            let src = x.data, base = j * side * side
            for y in 0..<side {
                let sy = y - dy
                guard sy >= 0 && sy < side else { continue }
                for xx in 0..<side {
                    var sx = xx - dx
                    guard sx >= 0 && sx < side else { continue }
                    if flip { sx = side - 1 - sx }
                    out[offset + y * side + xx] = src[base + sy * side + sx]
                }
            }
        }
    }
}
