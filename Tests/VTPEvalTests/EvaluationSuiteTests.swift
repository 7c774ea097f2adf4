import Foundation
import Testing
import VTPData
import VTPModels
import VTPTensor
@testable import VTPEval

/// The evaluation suite's own parts on known answers: chunked k-NN against brute force, the linear probe on
/// separable and on random labels, DINOv2's feature configurations, the domain classifier on a task it must
/// learn, class consistency and Fréchet distances of identical sets.
@Suite struct EvaluationSuiteTests {
    /// 1-NN with references numerous enough that the queries are processed in several chunks.
    @Test func knnChunksAgreeWithBruteForce() {
        var rng = RNG(seed: 11)
        let (r, q, d) = (2_000, 300, 4)
        let refs = Tensor.randomNormal([r, d], rng: &rng), queries = Tensor.randomNormal([q, d], rng: &rng)
        let labels = (0..<r).map { $0 % 7 }
        // 64 queries per chunk: five chunks, the last one partial.
        let predicted = KNNClassifier.predict(queries: queries, references: refs, referenceLabels: labels, k: 1, similarityBudget: 64 * r)
        let a = refs.scalars, b = queries.scalars
        func norm(_ v: ArraySlice<Float>) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        var agree = 0
        for i in 0..<q {
            let qi = b[(i * d)..<((i + 1) * d)], qn = norm(qi)
            var best = -2.0, at = 0
            for j in 0..<r {
                let rj = a[(j * d)..<((j + 1) * d)]
                let s = zip(qi, rj).reduce(0) { $0 + Double($1.0) * Double($1.1) } / (qn * norm(rj))
                if s > best { best = s; at = j }
            }
            if predicted[i] == labels[at] { agree += 1 }
        }
        #expect(agree == q)
    }

    static func features(_ x: [Float], n: Int, d: Int, labels: [Int]) -> DatasetFeatures {
        let t = Tensor(x, shape: [n, d])
        return DatasetFeatures(cls: t.reshaped([n, 1, d]), avgpool: t, clip: nil, labels: labels, classNames: nil)
    }

    @Test func linearProbeLearnsSeparableClassesAndNotRandomOnes() throws {
        var rng = RNG(seed: 5)
        let (n, d, classes) = (600, 8, 3)
        func make(_ count: Int, randomLabels: Bool) -> DatasetFeatures {
            var x: [Float] = [], y: [Int] = []
            for i in 0..<count {
                let c = i % classes
                for k in 0..<d { x.append((k == c ? 3 : 0) + rng.normal() * 0.5) }
                y.append(randomLabels ? rng.int(below: classes) : c)
            }
            return Self.features(x, n: count, d: d, labels: y)
        }
        var o = LinearProbe.Options()
        o.configs = [.init(blocks: 1, avgpool: false), .init(blocks: 1, avgpool: true)]
        o.epochs = 3
        let good = try LinearProbe.run(train: make(n, randomLabels: false), validation: make(300, randomLabels: false), o)
        #expect(good.best.accuracy > 0.98)
        #expect(good.entries.count == 2 * LinearProbe.baseLearningRates.count)
        // The smallest learning rates barely move N(0, 0.01) weights in 3 epochs; the best one is a large one.
        #expect(good.best.lr >= 1e-3)
        let bad = try LinearProbe.run(train: make(n, randomLabels: true), validation: make(300, randomLabels: true), o)
        #expect(bad.best.accuracy < 0.5)
    }

    @Test func probeInputsFollowDINOv2() throws {
        // cls [n, 4, D]: block b of sample i holds 10·i + b; avgpool holds −1.
        let (n, d) = (2, 3)
        let cls = Tensor((0..<n).flatMap { i in (0..<4).flatMap { b in [Float](repeating: Float(10 * i + b), count: d) } }, shape: [n, 4, d])
        let f = DatasetFeatures(cls: cls, avgpool: Tensor(repeating: -1, shape: [n, d]), clip: nil, labels: [0, 1], classNames: nil)
        #expect(f.probeInput(blocks: 1, avgpool: false).scalars == [3, 3, 3, 13, 13, 13])
        #expect(f.probeInput(blocks: 1, avgpool: true).scalars == [3, 3, 3, -1, -1, -1, 13, 13, 13, -1, -1, -1])
        #expect(f.probeInput(blocks: 4, avgpool: true).shape == [n, 5 * d])
        #expect(Array(f.probeInput(blocks: 4, avgpool: false).scalars.prefix(12)) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(LinearProbe.FeatureConfig(name: "last4+avgpool") == .init(blocks: 4, avgpool: true))
        #expect(LinearProbe.FeatureConfig(name: "cls") == .init(blocks: 1, avgpool: false))
        #expect(LinearProbe.FeatureConfig(name: "mean") == nil)
    }

    /// A class folder of 28×28 images: a vertical (class `vertical`) or horizontal bar (class `horizontal`) at a
    /// random position.
    static func barDataset(count: Int, seed: UInt64) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-bars-\(UUID().uuidString)")
        var rng = RNG(seed: seed)
        for name in ["horizontal", "vertical"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        for i in 0..<count {
            let vertical = i % 2 == 1, at = 4 + rng.int(below: 20)
            var px = [UInt8](repeating: 0, count: 28 * 28 * 3)
            for t in 0..<28 {
                for w in 0..<3 {
                    let (x, y) = vertical ? (at + w, t) : (t, at + w)
                    for c in 0..<3 { px[(y * 28 + x) * 3 + c] = 200 }
                }
            }
            try RGBImage(width: 28, height: 28, pixels: px)
                .write(to: root.appendingPathComponent("\(vertical ? "vertical" : "horizontal")/\(i).png"), format: .png)
        }
        return root
    }

    /// Cached features come back identical, class names included, without opening the dataset again (here: deleted).
    @Test func cachedFeaturesDoNotReopenTheDataset() throws {
        var c = VTPConfig()
        (c.imageSize, c.trainReconstruction, c.trainClip) = (32, false, false)
        (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.visionPatchSize) = (32, 2, 2, 16)
        let model = try VTPModel(config: c, seed: 2)
        let data = try Self.barDataset(count: 6, seed: 4)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-features-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: cache) }
        let pipeline = Preprocess.Pipeline.zeroShot(size: 32)
        let first = try DatasetFeatures.load(model: model, modelPath: "m", data: data.path, limit: nil, pipeline: pipeline, cache: cache)
        try FileManager.default.removeItem(at: data)
        let again = try DatasetFeatures.load(model: model, modelPath: "m", data: data.path, limit: nil, pipeline: pipeline, cache: cache)
        #expect(again.classNames == ["horizontal", "vertical"] && again.classNames == first.classNames)
        #expect(again.labels == first.labels && again.cls.scalars == first.cls.scalars && again.avgpool.scalars == first.avgpool.scalars)
    }

    @Test func domainClassifierLearnsBarsAndMeasuresConsistency() throws {
        let data = try Self.barDataset(count: 200, seed: 1)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-clf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out) }
        var o = DomainClassifierTraining.Options(data: data.path, output: out)
        (o.epochs, o.batchSize, o.warmupSteps) = (8, 16, 10)
        o.config.channels = [8, 16]
        o.config.featureDimension = 32
        let report = try DomainClassifierTraining.train(o)
        #expect(report.validationImages == 20 && report.trainImages == 180)
        #expect(report.accuracy >= 0.95)
        #expect(report.classNames == ["horizontal", "vertical"])
        let net = try DomainNetwork(directory: out)
        #expect(try net.model.config == DomainClassifier.load(directory: out).config)

        // Samples = fresh bars with the right labels, then with the labels swapped.
        let samples = try Self.barDataset(count: 20, seed: 2)
        defer { try? FileManager.default.removeItem(at: samples) }
        let flat = samples.appendingPathComponent("flat")
        try FileManager.default.createDirectory(at: flat, withIntermediateDirectories: true)
        var files: [String] = [], labels: [Int] = []
        for (label, name) in ["horizontal", "vertical"].enumerated() {
            for f in try FileManager.default.contentsOfDirectory(atPath: samples.appendingPathComponent(name).path).sorted() {
                let dest = "\(name)-\(f)"
                try FileManager.default.copyItem(at: samples.appendingPathComponent("\(name)/\(f)"), to: flat.appendingPathComponent(dest))
                files.append(dest)
                labels.append(label)
            }
        }
        try SampleManifest(files: files, labels: labels, classNames: nil, settings: "test").save(to: flat)
        let right = try GenerationEvaluation.evaluate(samples: flat, classifier: net, reference: flat.path)
        #expect(right.classConsistency >= 0.9)
        #expect(right.classifierAccuracy == report.accuracy)
        // The same images as their own reference: a distance of 0 (up to the square root's rounding).
        #expect(abs(try #require(right.domainFD)) < 1e-3)
        try SampleManifest(files: files, labels: labels.map { 1 - $0 }, classNames: nil, settings: "test").save(to: flat)
        let wrong = try GenerationEvaluation.evaluate(samples: flat, classifier: net, reference: nil)
        #expect(wrong.classConsistency <= 0.1)
        #expect(FileManager.default.fileExists(atPath: flat.appendingPathComponent("generation.md").path))

        // vtp eval fid's library: a set against itself is 0, against the other class's images it is not, and
        // saved statistics give the same distance as the images they came from.
        let network = FeatureNetwork.domain(net)
        let stats = out.appendingPathComponent("stats.safetensors")
        let same = try FIDEvaluation.run(samples.appendingPathComponent("vertical").path, samples.appendingPathComponent("vertical").path,
                                         network: network, saveStatistics: stats)
        #expect(abs(same.distance) < 1e-3 && same.metric == "domain FD" && same.a.images == 10)
        let other = try FIDEvaluation.run(samples.appendingPathComponent("vertical").path, samples.appendingPathComponent("horizontal").path, network: network)
        #expect(other.distance > 1)
        let fromStats = try FIDEvaluation.run(stats.path, samples.appendingPathComponent("horizontal").path, network: network)
        #expect(abs(fromStats.distance - other.distance) < 1e-6 * max(1, other.distance) && fromStats.a.images == nil)
    }
}
