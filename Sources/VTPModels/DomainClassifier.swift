import Foundation
import VTPNN
import VTPTensor

/// The constructor arguments of a `DomainClassifier` (its `config.json`).
public struct DomainClassifierConfig: Codable, Equatable, Sendable, ModelFolderConfig {
    /// Side of the square grey input image; must be divisible by 2^(number of stages).
    public var imageSize = 28
    /// Channels of each stage (two 3×3 convolutions + ReLU each, then a 2×2 max-pool).
    public var channels = [16, 32]
    /// Width of the penultimate layer, whose ReLU outputs are the domain features.
    public var featureDimension = 256
    public var numClasses = 10
    /// Names of the classes (index = label), when known.
    public var classNames: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", channels, featureDimension = "feature_dim", numClasses = "num_classes"
        case classNames = "class_names"
    }

    /// Spatial side after the stages.
    public var finalSide: Int { imageSize >> channels.count }

    public func validate() throws {
        var problems: [String] = []
        if !(4...1024).contains(imageSize) { problems.append("image_size \(imageSize) must be in 4...1024") }
        if channels.isEmpty || channels.count > 6 || channels.contains(where: { !(1...1024).contains($0) }) {
            problems.append("channels \(channels) must be 1–6 stages of 1...1024 channels")
        } else if imageSize % (1 << channels.count) != 0 {
            problems.append("image_size \(imageSize) must be divisible by 2^\(channels.count) (one max-pool per stage)")
        }
        if !(1...65536).contains(featureDimension) { problems.append("feature_dim \(featureDimension) must be in 1...65536") }
        if !(2...100_000).contains(numClasses) { problems.append("num_classes \(numClasses) must be in 2...100000") }
        if let names = classNames, names.count != numClasses {
            problems.append("class_names has \(names.count) names for \(numClasses) classes")
        }
        if problems.isEmpty, let problem = ModelMemory.problem(parameters: estimatedParameterCount) { problems.append(problem) }
        if !problems.isEmpty { throw VTPError.invalidConfig(problems) }
    }

    /// The exact parameter count of `DomainClassifier(config:)`, in floating point (no size overflows).
    public var estimatedParameterCount: Double {
        var n = 0.0, cin = 1.0
        for c in channels.map(Double.init) {
            n += (9 * cin * c + c) + (9 * c * c + c)
            cin = c
        }
        let side = Double(finalSide), f = Double(featureDimension)
        return n + (cin * side * side * f + f) + (f * Double(numClasses) + Double(numClasses))
    }

    public static func load(from url: URL) throws -> DomainClassifierConfig {
        let config = try ConfigJSON.read(DomainClassifierConfig.self, from: url, what: "domain classifier")
        try config.validate()
        return config
    }

    public func save(to url: URL) throws { try ConfigJSON.write(self, to: url) }
}

/// A small convolutional classifier of grey images, trained on the evaluation domain itself (e.g. Fashion-MNIST),
/// whose penultimate features stand in for Inception's where Inception's mean little (28×28 grey images) or its
/// weights are not at hand: they give a *domain* Fréchet distance, and its predictions give the class consistency
/// of class-conditional samples.
///
/// ```
/// x [B, 1, S, S] in [0, 1] → (x − 0.5) / 0.5
/// stages.i:  conv1 3×3 pad 1 → ReLU → conv2 3×3 pad 1 → ReLU → max-pool 2×2      (channels[i])
/// flatten [B, C·s·s] → fc → ReLU = features [B, feature_dim] → head → logits [B, num_classes]
/// ```
/// Keys: `stages.{i}.conv1.weight/bias`, `stages.{i}.conv2.weight/bias`, `fc.weight/bias`, `head.weight/bias`.
public final class DomainClassifier: Module, ModelFolderModel {
    public final class Stage: Module {
        public let conv1: Conv2d, conv2: Conv2d
        public var items: [ModuleItem] { [.child("conv1", conv1), .child("conv2", conv2)] }

        init(_ cin: Int, _ cout: Int, rng: inout RNG) {
            conv1 = Conv2d(cin, cout, kernel: 3, padding: 1, rng: &rng)
            conv2 = Conv2d(cout, cout, kernel: 3, padding: 1, rng: &rng)
        }

        /// [B, Cin, H, W] → [B, Cout, H/2, W/2].
        func callAsFunction(_ x: Tensor) -> Tensor { conv2(conv1(x).relu()).relu().maxPool2d(kernel: 2) }
    }

    public let config: DomainClassifierConfig
    public let stages: [Stage]
    public let fc: Linear, head: Linear
    public var items: [ModuleItem] { [.list("stages", stages), .child("fc", fc), .child("head", head)] }

    public init(config: DomainClassifierConfig, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        var rng = RNG(seed: seed)
        var cin = 1, stages: [Stage] = []
        for c in config.channels {
            stages.append(Stage(cin, c, rng: &rng))
            cin = c
        }
        self.stages = stages
        let flat = cin * config.finalSide * config.finalSide
        fc = Linear(flat, config.featureDimension, std: (2 / Float(flat)).squareRoot(), rng: &rng)
        head = Linear(config.featureDimension, config.numClasses, std: 0.01, rng: &rng)
    }

    /// x [B, 1, S, S] in [0, 1] → (features [B, feature_dim], logits [B, num_classes]).
    public func callAsFunction(_ x: Tensor) -> (features: Tensor, logits: Tensor) {
        precondition(x.rank == 4 && x.shape[1] == 1 && x.shape[2] == config.imageSize && x.shape[3] == config.imageSize,
                     "DomainClassifier: input \(x.shape) must be [B, 1, \(config.imageSize), \(config.imageSize)]")
        var h = (x - 0.5) * 2
        for stage in stages { h = stage(h) }
        let features = fc(h.reshaped([x.shape[0], -1])).relu()
        return (features, head(features))
    }

    /// Loads a state dict strictly (`load(directory:)` and `save(directory:)` come from `ModelFolderModel`).
    public func loadWeights(from source: TensorSource) throws { try load(from: source) }
}
