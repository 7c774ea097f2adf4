import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPTensor
import VTPTraining

/// `vtp dit sample`: images from a DiT checkpoint (its EMA weights by default) decoded by the tokenizer.
public enum DiTSampling {
    public struct Request: Sendable {
        public var model: String
        public var tokenizer: String?
        public var classes: [Int]?
        public var perClass: Int
        public var method: String
        public var steps: Int
        public var shift: Double
        public var cfg: Double
        public var cfgIntervalStart: Double?
        public var seed: UInt64
        public var useEMA: Bool
        public var npz: Bool
        public var output: String

        public init(model: String, tokenizer: String?, classes: [Int]?, perClass: Int, method: String, steps: Int, shift: Double,
                    cfg: Double, cfgIntervalStart: Double?, seed: UInt64, useEMA: Bool, npz: Bool, output: String) {
            (self.model, self.tokenizer, self.classes, self.perClass, self.method) = (model, tokenizer, classes, perClass, method)
            (self.steps, self.shift, self.cfg, self.cfgIntervalStart, self.seed) = (steps, shift, cfg, cfgIntervalStart, seed)
            (self.useEMA, self.npz, self.output) = (useEMA, npz, output)
        }
    }

    /// Writes `<class>-<i>.png` per sample, `grid.png` (a row per class) and with `npz` `samples.npz`; returns the
    /// number of samples.
    @discardableResult
    public static func run(_ r: Request, progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        let dir = try InitialWeights.modelDirectory(for: r.model)
        let weights = r.useEMA && FileManager.default.fileExists(atPath: dir.appendingPathComponent("ema/config.json").path)
            ? dir.appendingPathComponent("ema") : dir
        let dit = try LightningDiT.load(directory: weights)
        let info = try LatentSetInfo.load(from: dir)
        let stats = try LatentStatistics.load(from: dir.appendingPathComponent(LatentStatistics.fileName))
        let tokenizer = try VTPModel.load(directory: try InitialWeights.modelDirectory(for: r.tokenizer ?? info.tokenizer))
        let settings = DiTSampleSection(method: r.method, steps: r.steps, shift: r.shift, cfg: r.cfg, cfgIntervalStart: r.cfgIntervalStart)
        let sampler = try ClassConditionalSampler(dit: dit, tokenizer: tokenizer, statistics: stats, sampler: try settings.flowSampler(),
                                                  guidance: settings.guidance(channels: dit.config.inChannels))
        let classes = r.classes ?? Array(info.classNames.indices)
        for c in classes where c < 0 || c >= info.classNames.count {
            throw GenerationError.invalidInput("class \(c) is outside 0..<\(info.classNames.count) (\(info.classNames.joined(separator: ", ")))")
        }
        let labels = classes.flatMap { Array(repeating: $0, count: r.perClass) }
        let images = try sampler.images(labels: labels, seed: r.seed, progress: progress)
        let out = try OutputFiles.directory(r.output)
        for (i, (img, y)) in zip(images, labels).enumerated() {
            try img.write(to: out.appendingPathComponent(String(format: "%@-%05d.png", info.classNames[y].replacingOccurrences(of: "/", with: "_"), i)), format: .png)
        }
        let rows = classes.indices.map { Array(images[($0 * r.perClass)..<(($0 + 1) * r.perClass)]) }
        try ImageGrid(rows: rows, rowLabels: classes.map { info.classNames[$0] },
                      title: "\(r.method) \(r.steps) points, shift \(r.shift), cfg \(r.cfg)\(settings.guidance(channels: dit.config.inChannels).map { " (\($0.channels.rawValue) channels)" } ?? "")")
            .writePNG(to: out.appendingPathComponent("grid.png"))
        if r.npz { try NumPyArchive.writeImages(images, to: out.appendingPathComponent("samples.npz")) }
        return images.count
    }
}

extension DiTSampleSection {
    init(method: String, steps: Int, shift: Double, cfg: Double, cfgIntervalStart: Double?) {
        self.init()
        (self.method, self.steps, self.shift, self.cfg, self.cfgIntervalStart) = (method, steps, shift, cfg, cfgIntervalStart)
    }
}
